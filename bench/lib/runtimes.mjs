// The JavaScript runtimes the server suite compares, side by side in the same rounds: this
// Node, the Node lines CI tests (.ci/runtimes, installed with `npm ci --prefix .ci/runtimes`)
// and Bun (a devDependency). `--node PATH` (repeatable) names them instead.
import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { benchDir } from './procs.mjs';

/** Every value of a repeatable option `--name VALUE`. */
function args(name) {
  const out = [];
  for (let i = 2; i < process.argv.length - 1; i++) if (process.argv[i] === `--${name}`) out.push(process.argv[i + 1]);
  return out;
}

/** 'Node 24.22.3' or 'Bun 1.4.5': what the binary says it is. */
function runtimeLabel(cmd) {
  return execFileSync(
    cmd,
    ['-e', "console.log(typeof Bun === 'object' ? `Bun ${Bun.version}` : `Node ${process.versions.node}`)"],
    { encoding: 'utf8' },
  ).trim();
}

/** [{ cmd, label }]: this Node first, then the others (missing ones named on stderr, once). */
export function runtimes() {
  const given = args('node');
  const root = join(benchDir, '..');
  const lines = join(root, '.ci', 'runtimes', 'node_modules');
  const found =
    given.length > 0
      ? given
      : [
          ...(existsSync(lines)
            ? readdirSync(lines)
                .filter((d) => /^node\d+$/.test(d))
                .sort()
                .map((d) => join(lines, d, 'bin', 'node'))
            : []),
          join(root, 'node_modules', '.bin', 'bun'),
        ];
  if (given.length === 0 && !existsSync(lines))
    process.stderr.write(
      'skipped: the Node lines of .ci/runtimes are not installed (npm ci --prefix .ci/runtimes); their rows are left out\n',
    );
  const out = [{ cmd: process.execPath, label: `Node ${process.versions.node}` }];
  for (const cmd of found) {
    let label;
    try {
      label = runtimeLabel(cmd);
    } catch (e) {
      process.stderr.write(
        `skipped: ${cmd} does not run (${String(e.message).split('\n')[0]}); its rows are left out\n`,
      );
      continue;
    }
    if (!out.some((r) => r.label === label)) out.push({ cmd, label });
  }
  return out;
}
