#!/usr/bin/env node
// node .ci/leftovers.mjs [--tag TAG] [--tmp DIR] [--path P]...: after a test run, lists what it
// left behind — processes whose environment carries UWSGI_RPC_RUN=TAG (everything the run started
// inherits it, orphans reparented to pid 1 included), processes whose command line names DIR or a
// P (for those started with an environment of their own: nginx drops it), and anything left in
// DIR (the run's TMPDIR). Exit 1 if there is anything. Reads /proc: Linux only.
import { readdirSync, readFileSync } from 'node:fs';

const opts = { tag: null, tmp: null, paths: [] };
const argv = process.argv.slice(2);
for (let i = 0; i < argv.length; i += 2) {
  const [name, value] = [argv[i], argv[i + 1]];
  if (value === undefined || !['--tag', '--tmp', '--path'].includes(name)) {
    process.stderr.write('usage: node .ci/leftovers.mjs [--tag TAG] [--tmp DIR] [--path P]...\n');
    process.exit(2);
  }
  if (name === '--path') opts.paths.push(value);
  else opts[name.slice(2)] = value;
}
const marker = opts.tag === null ? null : `UWSGI_RPC_RUN=${opts.tag}`;
const named = opts.tmp === null ? opts.paths : [opts.tmp, ...opts.paths];
const read = (file) => { try { return readFileSync(file, 'latin1'); } catch { return ''; } };

const procs = [];
for (const pid of readdirSync('/proc')) {
  if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (cmdline === '') continue; // gone, a zombie, or a kernel thread
  const env = marker === null ? [] : read(`/proc/${pid}/environ`).split('\0');
  if ((marker !== null && env.includes(marker)) || named.some((d) => cmdline.includes(d))) procs.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
}
let files = [];
if (opts.tmp !== null) {
  try { files = readdirSync(opts.tmp).map((f) => `${opts.tmp}/${f}`); } catch { /* no folder: nothing left in it */ }
}

for (const p of procs) console.log(`left running: ${p}`);
for (const f of files) console.log(`left behind: ${f}`);
process.exit(procs.length + files.length > 0 ? 1 : 0);
