#!/usr/bin/env node
// npm run bench [-- codec|server|peers|client|cluster|tls ...] [--quick] [--out DIR]: runs the suites
// (all but cluster and tls by default), progress on stderr, tables on stdout. The whole suite (not --quick)
// also writes bench/RESULTS.md and bench/results.svg; --out DIR writes them there instead (any run).
// cluster (network namespaces, so root) runs only when named; not --quick, it writes
// bench/CLUSTER.md (or DIR/CLUSTER.md with --out). Other options go to every suite, e.g.
// --rounds N, --secs S, --rpcload PATH (another load generator: see e2e.bench.mjs).
// Each suite runs in a process group of its own: SIGINT/SIGTERM here is passed on to it, so it
// stops its servers and removes its temp folders before this exits (lib/cleanup.mjs).
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGroup, stopping } from './lib/cleanup.mjs';
import { chart, resultsMarkdown } from './lib/report.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const suites = {
  codec: 'codec.bench.mjs',
  server: 'e2e.bench.mjs',
  peers: 'peers.bench.mjs',
  client: 'client.bench.mjs',
  cluster: 'cluster.bench.mjs',
  tls: 'tls.bench.mjs',
};
const defaults = ['codec', 'server', 'peers', 'client'];
const alias = { e2e: 'server' };
const argv = process.argv.slice(2);
const outIdx = argv.indexOf('--out');
const outDir = outIdx >= 0 ? argv[outIdx + 1] : null;
const rest = argv.filter((a, i) => !suites[a] && !alias[a] && i !== outIdx && i !== outIdx + 1);
const picked = argv.map((a) => alias[a] ?? a).filter((a) => suites[a]);
const names = picked.length ? picked : defaults;
const quick = rest.includes('--quick');
const SUITE_GRACE_MS = 20_000;

let failed = 0;
const sections = [];
const data = {};
const t0 = Date.now();
for (const name of names) {
  process.stderr.write(`\n# ${name} (${Math.round((Date.now() - t0) / 1000)}s)\n`);
  const json = join(here, '.out', `${name}.json`);
  rmSync(json, { force: true });
  const clusterMd = name === 'cluster' && (outDir || !quick) ? ['--md', join(outDir ?? here, 'CLUSTER.md')] : [];
  // A suite's own cleanup waits out its servers' grace: give it that and more before SIGKILL.
  const child = spawnGroup(
    process.execPath,
    [join(here, suites[name]), ...rest, '--json', json, ...clusterMd],
    { stdio: ['ignore', 'pipe', 'inherit'] },
    { stopSignal: 'SIGINT', graceMs: SUITE_GRACE_MS },
  );
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (t) => {
    stdout += t;
  });
  const closed = new Promise((r) => child.once('close', r)); // its output read to the end
  const [{ code, signal }] = await Promise.all([child.exited, closed]);
  process.stdout.write(stdout);
  if (stopping()) break; // a signal: the suite has stopped what it started; cleanup.mjs exits
  if (code !== 0) {
    failed++;
    process.stderr.write(`# ${name} failed (exit ${code ?? signal})\n`);
    continue;
  }
  sections.push(stdout.replace(/^\s*\d+(\.\d+)?\s*$/gm, ''));
  if (existsSync(json)) data[name] = JSON.parse(readFileSync(json, 'utf8'));
}

const dir = stopping() ? null : (outDir ?? (!picked.length && !quick && !failed ? here : null));
if (dir) {
  writeFileSync(join(dir, 'RESULTS.md'), resultsMarkdown(data, sections, join(here, '..')));
  writeFileSync(join(dir, 'results.svg'), chart(data));
  process.stderr.write(
    `\nwrote ${join(dir, 'RESULTS.md')} and ${join(dir, 'results.svg')} (${Math.round((Date.now() - t0) / 1000)}s)\n`,
  );
}
if (!stopping()) process.exit(failed ? 1 : 0);
