// Soak: N minutes of mixed load against our server (a child `uwsgi-rpc serve`), printing the
// server's RSS every 10 s and a final line with min/max/last. Not part of npm test or CI.
//   node bench/soak.mjs [--minutes N] [--rpcload PATH]        (default 10 minutes)
// Load, in turns of 10 s: bench/rpcload.c keep-alive, pipelined, connection per call, raw, and
// 64-bit-form answers; all along: bad packets on their own connections and 64 MB streamed
// answers read by our client's stream(). The server and rpcload are stopped however the run
// ends (lib/cleanup.mjs). --rpcload PATH: another load generator (see e2e.bench.mjs).
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { spawnGroup } from './lib/cleanup.mjs';
import { freePort, rpcloadPath } from './lib/procs.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const root = join(here, '..');
const at = process.argv.indexOf('--minutes');
const minutes = at > 0 ? Number(process.argv[at + 1]) : 10;
if (!(minutes > 0)) throw new Error('--minutes N: N > 0');
const TURN = 10;

execFileSync(process.execPath, [join(root, 'scripts', 'build.mjs'), '--if-needed'], { stdio: 'inherit' });
const rpcload = rpcloadPath();
const { RpcClient } = await import('../dist/src/index.js');

const port = await freePort();
const addr = `127.0.0.1:${port}`;
const server = spawnGroup(
  process.execPath,
  [join(root, 'bin', 'uwsgi-rpc.js'), 'serve', '--socket', addr, '--import', join(here, 'soak-functions.mjs')],
  { stdio: ['ignore', 'pipe', 'pipe'], cwd: root },
  { stopSignal: 'SIGINT' },
);
let logLines = 0;
let lastLog = '';
server.stderr.setEncoding('utf8').on('data', (t) => {
  for (const l of t.split('\n'))
    if (l) {
      logLines++;
      lastLog = l;
    }
});
await new Promise((resolve, reject) => {
  server.stdout.setEncoding('utf8').on('data', (t) => {
    if (t.includes(addr)) resolve();
  });
  server.once('exit', (code) => reject(new Error(`serve exited (${code})`)));
});

const rssMB = () => {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${server.pid}/status`, 'utf8'));
  return m ? Number(m[1]) / 1024 : NaN;
};
const t0 = Date.now();
const deadline = t0 + minutes * 60_000;
const rss = [];
let mode = 'start';
const sample = () => {
  const r = rssMB();
  rss.push(r);
  console.log(
    `t=${String(Math.round((Date.now() - t0) / 1000)).padStart(4)}s  server RSS ${r.toFixed(1)} MB  (${mode})`,
  );
};
sample();
const sampler = setInterval(sample, 10_000);

// rpcload in turns
/** @type {[string, string[], string[]][]} */
const MODES = [
  ['keep-alive', ['-c', '16', '-k'], ['echo', 'aaa', 'bbbbb']],
  ['pipelined x16', ['-c', '8', '-p', '16'], ['echo', 'aaa', 'bbbbb']],
  ['connection per call', ['-c', '16'], ['echo', 'aaa', 'bbbbb']],
  ['raw, per call', ['-c', '16', '-r'], ['echo', 'aaa', 'bbbbb']],
  ['async, pipelined x32', ['-c', '8', '-p', '32'], ['later', 'x']],
  ['200 KB answers, keep-alive', ['-c', '8', '-k'], ['blob', '200000']],
];
const totals = { calls: 0, errors: 0 };
const loadRuns = (async () => {
  for (let i = 0; Date.now() < deadline; i++) {
    const [name, flags, call] = MODES[i % MODES.length];
    const secs = Math.min(TURN, Math.max(1, (deadline - Date.now()) / 1000));
    mode = name;
    const line = await new Promise((resolve) => {
      const p = spawnGroup(rpcload, [...flags, '-d', String(secs), addr, ...call], {
        stdio: ['ignore', 'pipe', 'inherit'],
      });
      let text = '';
      p.stdout.setEncoding('utf8').on('data', (t) => {
        text += t;
      });
      p.on('close', () => resolve(text.trim()));
    });
    const calls = Number(/calls=(\d+)/.exec(line)?.[1] ?? 0);
    const errors = Number(/errors=(\d+)/.exec(line)?.[1] ?? 0);
    totals.calls += calls;
    totals.errors += errors;
    console.log(`  rpcload ${name}: ${line}`);
  }
})();

// bad packets, all along, on their own connections
let bad = 0;
const badRuns = (async () => {
  while (Date.now() < deadline) {
    await new Promise((resolve) => {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      s.on('connect', () => {
        const junk = randomBytes(1 + Math.floor(Math.random() * 300));
        if (Math.random() < 0.5) junk[0] = 173; // past the modifier1 check, into lengths and items
        s.end(junk);
        bad++;
      });
      s.on('close', resolve);
      s.resume();
    });
    await new Promise((r) => setTimeout(r, 20));
  }
})();

// big streamed answers, all along
const client = new RpcClient({ timeout: 10_000 });
const BIG = 64 << 20;
let big = 0;
let bigFailed = 0;
const bigRuns = (async () => {
  while (Date.now() < deadline) {
    let n = 0;
    try {
      for await (const c of client.stream(addr, 'stream', [String(BIG)])) n += c.length;
      if (n === BIG) big++;
      else bigFailed++;
    } catch (err) {
      bigFailed++;
      console.log(`  big answer failed: ${err.message}`);
    }
    await new Promise((r) => setTimeout(r, 2_000));
  }
})();

await Promise.all([loadRuns, badRuns, bigRuns]);
clearInterval(sampler);
sample();
await client.close();
await server.stop();
const min = Math.min(...rss);
const max = Math.max(...rss);
console.log(
  `soak ${minutes} min: rpcload calls=${totals.calls} errors=${totals.errors}; bad packets=${bad}; 64 MB streamed answers=${big} (failed ${bigFailed}); server log lines=${logLines}`,
);
if (lastLog) console.log(`  last server log line: ${lastLog}`);
console.log(`server RSS MB: min ${min.toFixed(1)} max ${max.toFixed(1)} last ${rss.at(-1).toFixed(1)}`);
