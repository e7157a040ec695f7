// The version in package.json, for `uwsgi-rpc version`.
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The version in uwsgi-rpc's package.json. Looked for upwards from this file, which runs
 * from src/cli (tests) as well as from dist/src/cli (the bin), at different depths.
 */
export function packageVersion(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = readPackage(join(dir, 'package.json'));
    if (pkg?.name === 'uwsgi-rpc' && typeof pkg.version === 'string') return pkg.version;
    const up = dirname(dir);
    if (up === dir) throw new Error("uwsgi-rpc's package.json was not found above its code");
    dir = up;
  }
}

function readPackage(file: string): { name?: unknown; version?: unknown } | null {
  try {
    return JSON.parse(readFileSync(file, 'utf8')) as { name?: unknown; version?: unknown };
  } catch {
    return null;
  }
}
