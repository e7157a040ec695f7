// CPU profiles (node --cpu-prof) with the top frames by self time:
//   node bench/profile.mjs keepalive|pipelined|percall [--secs S] [--top N] [--server FILE]
//     our server (or --server FILE, e.g. baselines/minimal-server.mjs) under rpcload -c 16 (-k / -p 16)
//   node bench/profile.mjs client-keepalive|client-percall [--secs S] [--top N] [--client FILE]
//     our client (or --client FILE) driving 16 calls in flight against the minimal server
// The .cpuprofile stays in bench/.out/prof/MODE/ (open it in Chrome DevTools for the call tree).
// --rpcload PATH: another load generator instead of bench/rpcload.c (see e2e.bench.mjs).
import { mkdirSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, relative } from 'node:path';
import { arg, benchDir, drive, freePort, outDir, rpcload, start } from './lib/procs.mjs';

const mode = process.argv[2] && !process.argv[2].startsWith('--') ? process.argv[2] : 'keepalive';
const secs = Number(arg('secs', 5));
const top = Number(arg('top', 25));
const root = join(benchDir, '..');
const dir = join(outDir, 'prof', mode);
rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const profFlags = ['--cpu-prof', '--cpu-prof-dir', dir];
// exit on SIGINT whatever the server does, so that the profile is written (the minimal server has no handler)
const exitOnSigint = ['--import', 'data:text/javascript,process.on("SIGINT",()=>process.exit(0))'];

let what;
if (mode.startsWith('client-')) {
  const client = arg('client', join(benchDir, 'clients', 'ours-client.mjs'));
  const port = await freePort();
  const s = await start('minimal', port, process.execPath, [
    join(benchDir, 'baselines', 'minimal-server.mjs'),
    String(port),
  ]);
  const m = mode.slice(7);
  const x = await drive(
    process.execPath,
    [...profFlags, client, m, `127.0.0.1:${port}`, '16', String(secs)],
    secs,
    s.child.pid,
    (o) => JSON.parse(o),
  );
  await s.stop();
  what = `${relative(benchDir, client)} ${m}, 16 in flight against the minimal server for ${secs}s: ${Math.round(x.rate)}/s, errors=${x.errors}`;
} else {
  const server = arg('server', join(benchDir, 'servers', 'ours.mjs'));
  const flags = { keepalive: ['-k', '-c', '16'], pipelined: ['-c', '16', '-p', '16'], percall: ['-c', '16'] }[mode];
  const port = await freePort();
  const s = await start('profiled', port, process.execPath, [...profFlags, ...exitOnSigint, server, String(port)]);
  await rpcload(s, flags, Math.min(1, secs), 'echo', ['aaa', 'bbbbb']); // warm-up
  const x = await rpcload(s, flags, secs, 'echo', ['aaa', 'bbbbb']);
  await s.stop();
  what = `${relative(benchDir, server)}, rpcload ${flags.join(' ')} for ${secs}s: ${Math.round(x.rate)}/s, errors=${x.errors}`;
}

const file = readdirSync(dir).find((f) => f.endsWith('.cpuprofile'));
const prof = JSON.parse(readFileSync(join(dir, file), 'utf8'));
const dt = new Map(); // node id -> sampled µs
for (let i = 0; i < prof.samples.length; i++)
  dt.set(prof.samples[i], (dt.get(prof.samples[i]) ?? 0) + (prof.timeDeltas[i] ?? 0));
const total = [...dt.values()].reduce((a, b) => a + b, 0);
const self = new Map();
for (const n of prof.nodes) {
  const { functionName, url, lineNumber } = n.callFrame;
  const where = url ? `${relative(root, url.replace('file://', ''))}:${lineNumber + 1}` : '';
  const key = `${functionName || '(anonymous)'} ${where}`.trim();
  self.set(key, (self.get(key) ?? 0) + (dt.get(n.id) ?? 0));
}
console.log(`${what}\n${relative(root, join(dir, file))}\nself %  frame`);
for (const [k, v] of [...self].sort((a, b) => b[1] - a[1]).slice(0, top))
  console.log(`${((100 * v) / total).toFixed(1).padStart(6)}  ${k}`);
