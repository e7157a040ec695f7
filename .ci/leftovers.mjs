#!/usr/bin/env node
// node .ci/leftovers.mjs TAG TMPDIR [PATH...]: after a test run, lists what it left behind —
// processes whose environment carries UWSGI_RPC_RUN=TAG (everything the run started inherits it,
// orphans reparented to pid 1 included) or whose command line names TMPDIR or a PATH (for those
// started with an environment of their own: nginx drops it), and anything left in TMPDIR (the
// run's temp folder). Exit 1 if there is anything. Reads /proc: Linux only.
import { readdirSync, readFileSync } from 'node:fs';

const [tag, tmp, ...paths] = process.argv.slice(2);
if (!tag || !tmp) {
  process.stderr.write('usage: node .ci/leftovers.mjs TAG TMPDIR [PATH...]\n');
  process.exit(2);
}
const marker = `UWSGI_RPC_RUN=${tag}`;
const read = (file) => { try { return readFileSync(file, 'latin1'); } catch { return ''; } };

const procs = [];
for (const pid of readdirSync('/proc')) {
  if (!/^\d+$/.test(pid) || Number(pid) === process.pid) continue;
  const cmdline = read(`/proc/${pid}/cmdline`);
  if (cmdline === '') continue; // gone, or a kernel thread
  const env = read(`/proc/${pid}/environ`).split('\0');
  if (env.includes(marker) || [tmp, ...paths].some((d) => cmdline.includes(d))) procs.push(`${pid} ${cmdline.replaceAll('\0', ' ').trim()}`);
}
let files = [];
try { files = readdirSync(tmp).map((f) => `${tmp}/${f}`); } catch { /* no folder: nothing left in it */ }

for (const p of procs) console.log(`left running: ${p}`);
for (const f of files) console.log(`left behind: ${f}`);
process.exit(procs.length + files.length > 0 ? 1 : 0);
