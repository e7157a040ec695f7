// The gateway's demo page and browser bundle, read from the package.
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The package root, from src/gateway (tests) or dist/src/gateway (built). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'package.json')) && existsSync(join(dir, 'examples'))) return dir;
    dir = dirname(dir);
  }
  return process.cwd();
}

const root = packageRoot();

/** examples/web/index.html: the page a person types calls into. */
export function demoPage(): string {
  return readFileSync(join(root, 'examples', 'web', 'index.html'), 'utf8');
}

/** The browser bundle `npm run build` writes (codec + RpcWebSocketClient). */
export function builtBundle(): string {
  const file = join(root, 'dist', 'browser', 'uwsgi-rpc-codec.js');
  if (!existsSync(file)) throw new Error(`${file} is missing: run npm run build`);
  return readFileSync(file, 'utf8');
}
