#!/usr/bin/env node
// npm run bench [-- codec|e2e ...] [--quick]: runs the suites (all by default), tables on stdout.
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const suites = { codec: 'codec.bench.mjs', e2e: 'e2e.bench.mjs' };
const names = process.argv.slice(2).filter((a) => suites[a]);
const rest = process.argv.slice(2).filter((a) => !suites[a]);
let failed = 0;
for (const name of names.length ? names : Object.keys(suites)) {
  process.stderr.write(`\n# ${name}\n`);
  const r = spawnSync(process.execPath, [join(here, suites[name]), ...rest], { stdio: 'inherit' });
  if (r.status !== 0) failed++;
}
process.exit(failed ? 1 : 0);
