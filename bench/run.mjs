#!/usr/bin/env node
// npm run bench [-- codec|server|peers|client|cluster ...] [--quick] [--out DIR]: runs the suites
// (all but cluster by default), progress on stderr, tables on stdout. The whole suite (not --quick)
// also writes bench/RESULTS.md and bench/results.svg; --out DIR writes them there instead (any run).
// cluster (network namespaces, so root) runs only when named; not --quick, it writes
// bench/CLUSTER.md (or DIR/CLUSTER.md with --out).
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chart, resultsMarkdown } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const suites = { codec: 'codec.bench.mjs', server: 'e2e.bench.mjs', peers: 'peers.bench.mjs', client: 'client.bench.mjs', cluster: 'cluster.bench.mjs' };
const defaults = ['codec', 'server', 'peers', 'client'];
const alias = { e2e: 'server' };
const argv = process.argv.slice(2);
const outIdx = argv.indexOf('--out');
const outDir = outIdx >= 0 ? argv[outIdx + 1] : null;
const rest = argv.filter((a, i) => !suites[a] && !alias[a] && i !== outIdx && i !== outIdx + 1);
const picked = argv.map((a) => alias[a] ?? a).filter((a) => suites[a]);
const names = picked.length ? picked : defaults;
const quick = rest.includes('--quick');

let failed = 0;
const sections = [];
const data = {};
const t0 = Date.now();
for (const name of names) {
  process.stderr.write(`\n# ${name} (${Math.round((Date.now() - t0) / 1000)}s)\n`);
  const json = join(here, '.out', `${name}.json`);
  rmSync(json, { force: true });
  const clusterMd = name === 'cluster' && (outDir || !quick) ? ['--md', join(outDir ?? here, 'CLUSTER.md')] : [];
  const r = spawnSync(process.execPath, [join(here, suites[name]), ...rest, '--json', json, ...clusterMd], { stdio: ['ignore', 'pipe', 'inherit'], encoding: 'utf8' });
  process.stdout.write(r.stdout ?? '');
  if (r.status !== 0) { failed++; process.stderr.write(`# ${name} failed (exit ${r.status})\n`); continue; }
  sections.push(r.stdout.replace(/^\s*\d+(\.\d+)?\s*$/gm, ''));
  if (existsSync(json)) data[name] = JSON.parse(readFileSync(json, 'utf8'));
}

const dir = outDir ?? (!picked.length && !quick && !failed ? here : null);
if (dir) {
  writeFileSync(join(dir, 'RESULTS.md'), resultsMarkdown(data, sections, join(here, '..')));
  writeFileSync(join(dir, 'results.svg'), chart(data));
  process.stderr.write(`\nwrote ${join(dir, 'RESULTS.md')} and ${join(dir, 'results.svg')} (${Math.round((Date.now() - t0) / 1000)}s)\n`);
}
process.exit(failed ? 1 : 0);
