// Faults suite (`node bench/faults.mjs`): what the server survives,
// in figures.
//   - drips: N connections each trickling a never-finished request (one byte per second or so):
//     how many are still held after --request-timeout, and good calls' p99 meanwhile;
//   - full table: --max-conns filled with drips, good per-call calls' p99 and how many failed;
//   - worker kill: `serve --processes 2`, C concurrent per-call callers, one worker SIGKILLed:
//     every failed call classified by its error and by whether it ran (the function writes its
//     call id to a file as it starts), with the primary handing connections out, with
//     --shared-accept and, where the runtime has it, with --reuse-port;
//   - bad link (root, network namespaces, cc): our node behind a link of 50 ms ± 20 each way losing
//     2% of its frames (the lab's userspace netem, test/helpers/impair.c): per-call, keep-alive
//     pipelined and Splitter callers, every call accounted for: answered, failed (by code), ran
//     twice, answered without having run.
//   node bench/faults.mjs [--drips N] [--kills K] [--concurrency C] [--node PATH]... [--only drips,table,kill,badlink]
//                         [--modes primary,shared-accept,reuse-port] [--quick] [--json FILE]
// Every process and folder it starts is gone when it ends, however it ends (lib/cleanup.mjs).
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { join } from 'node:path';
import { impairUnavailable } from '../test/helpers/impair.mjs';
import { createLab, netnsUnavailable } from '../test/helpers/netns.mjs';
import { register, spawnGroup, tempDir } from './lib/cleanup.mjs';
import { quick, table } from './lib/measure.mjs';
import { arg, benchDir, freePort, progress } from './lib/procs.mjs';
import { runtimes } from './lib/runtimes.mjs';

const root = join(benchDir, '..');
const BIN = join(root, 'bin', 'uwsgi-rpc.js');
const RAN = join(root, 'test', 'faults', 'fixtures', 'ran.mjs');
const LOSSY_CALLER = join(root, 'test', 'faults', 'fixtures', 'lossy-caller.mjs');
/** The bad link: each way, as the issue asked of netem. */
const BAD_LINK = { delayMs: 50, jitterMs: 20, lossPct: 2 };
const ECHO = join(benchDir, 'servers', 'functions.mjs');
const { RpcClient } = await import(join(root, 'dist', 'src', 'index.js'));

const DRIPS = Number(arg('drips', quick ? 500 : 10_000));
const KILLS = Number(arg('kills', quick ? 1 : 5));
const CONCURRENCY = Number(arg('concurrency', 16));
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((s.length * p) / 100))] : NaN;
};

/** `serve` on a free port; resolves once its workers are ready, with their pids. */
async function serve(node, args, env = {}) {
  const port = await freePort();
  const child = spawnGroup(
    node,
    [BIN, 'serve', '--socket', `127.0.0.1:${port}`, ...args],
    { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } },
    { stopSignal: 'SIGINT' },
  );
  let log = '';
  // the listening lines come on stdout, the rest on stderr
  for (const stream of [child.stdout, child.stderr])
    stream.on('data', (d) => {
      log += d;
    });
  for (let i = 0; ; i++) {
    const ready = /(\d+) workers ready \(pids ([\d, ]+);/.exec(log);
    if (ready) return { child, port, pids: ready[2].split(', ').map(Number), log: () => log };
    if (!args.includes('--processes') && /uwsgi socket on/.test(log)) return { child, port, pids: [], log: () => log };
    if (child.exitCode !== null || i > 300) {
      await child.stop();
      throw new Error(`serve did not start:\n${log}`);
    }
    await sleep(50);
  }
}

/** Opens `n` connections that each send a request header promising 1000 bytes, then one byte every `everyMs`. */
async function drips(port, n, everyMs) {
  const socks = [];
  for (let i = 0; i < n; i++) {
    const s = net.connect(port, '127.0.0.1');
    s.on('error', () => {});
    s.write(Buffer.from([173, 0xe8, 0x03, 0]));
    socks.push(s);
    if (i % 500 === 499) await sleep(20);
  }
  let k = 0;
  // spread over the period: each connection gets a byte every everyMs
  const per = Math.max(1, Math.ceil(n / (everyMs / 10)));
  const timer = setInterval(() => {
    for (let j = 0; j < per; j++, k++) {
      const s = socks[k % n];
      if (!s.destroyed) s.write('x');
    }
  }, 10);
  return {
    open: () => socks.filter((s) => !s.destroyed && s.readyState === 'open').length,
    stop: () => {
      clearInterval(timer);
      for (const s of socks) s.destroy();
    },
  };
}

/** `count` good per-call calls, one at a time; their latencies (ms) and failures. */
async function goodCalls(port, count) {
  const client = new RpcClient({ timeout: 2000 });
  const times = [];
  let failed = 0;
  for (let i = 0; i < count; i++) {
    const t = performance.now();
    try {
      await client.call(`127.0.0.1:${port}`, 'echo', ['a', 'b']);
      times.push(performance.now() - t);
    } catch {
      failed++;
    }
    await sleep(5);
  }
  await client.close();
  return { p50: pct(times, 50), p99: pct(times, 99), max: Math.max(...times), failed, count };
}

/** Drips against the defaults (request-timeout 5 s): held after the deadline, and good calls meanwhile. */
async function dripSection() {
  const s = await serve(process.execPath, ['--import', ECHO, '--max-conns', String(DRIPS + 1000)]);
  try {
    const d = await drips(s.port, DRIPS, 1000);
    await sleep(1000);
    const heldEarly = d.open();
    const good = await goodCalls(s.port, quick ? 50 : 300);
    // past request-timeout (5 s) plus a sweep
    await sleep(Math.max(0, 7000 - 1000 - good.count * 6));
    const heldLate = d.open();
    d.stop();
    return { drips: DRIPS, heldAfter1s: heldEarly, heldAfter7s: heldLate, good };
  } finally {
    await s.child.stop();
  }
}

/**
 * --max-conns DRIPS with more drips than that (request-timeout off, so they stay): the table is
 * full before the good calls start (the server's line says so), and they must still get in.
 */
async function fullTableSection() {
  const s = await serve(process.execPath, ['--import', ECHO, '--max-conns', String(DRIPS), '--request-timeout', '0']);
  try {
    const d = await drips(s.port, DRIPS + Math.ceil(DRIPS / 10), 1000);
    // connects the listen queue dropped are retried by the kernel after 1 s, then 3 s
    await sleep(4000);
    const full = /max-conns: \d+ connections open/.test(s.log());
    const held = d.open();
    const good = await goodCalls(s.port, quick ? 50 : 300);
    d.stop();
    return { maxConns: DRIPS, full, dripsConnected: held, good };
  } finally {
    await s.child.stop();
  }
}

/**
 * One worker SIGKILLed while CONCURRENCY per-call callers run `mark` (5 ms each): every call's
 * outcome, and whether it ran.
 */
async function workerKill(node, mode) {
  const dir = tempDir('faults-ran-');
  const flags = { primary: [], 'shared-accept': ['--shared-accept'], 'reuse-port': ['--reuse-port'] }[mode];
  const s = await serve(node, ['--import', RAN, '--processes', '2', ...flags], { FAULTS_RAN_DIR: dir });
  const client = new RpcClient({ timeout: 3000 });
  const outcomes = new Map();
  let id = 0;
  let running = true;
  const loop = async () => {
    while (running) {
      const my = String(++id);
      try {
        await client.call(`127.0.0.1:${s.port}`, 'mark', [my, '5']);
        outcomes.set(my, 'answered');
      } catch (e) {
        outcomes.set(my, `${e.code}${e.cause?.code ? ` (${e.cause.code})` : ''}`);
      }
    }
  };
  try {
    const loops = Array.from({ length: CONCURRENCY }, loop);
    await sleep(1000);
    process.kill(s.pids[0], 'SIGKILL');
    // until the primary has started another worker, and a while more
    for (let i = 0; i < 200 && !/died \(signal SIGKILL\): starting another/.test(s.log()); i++) await sleep(20);
    await sleep(1000);
    running = false;
    await Promise.all(loops);
    const ran = ranCounts(dir);
    const failures = {};
    let answered = 0;
    for (const [call, how] of outcomes) {
      if (how === 'answered') answered++;
      else {
        const key = `${how}, ${ran.has(call) ? 'ran' : 'never ran'}`;
        failures[key] = (failures[key] ?? 0) + 1;
      }
    }
    return { calls: outcomes.size, answered, failures };
  } finally {
    await client.close();
    await s.child.stop();
  }
}

/** How many times each call id appears in the `mark` files of `dir`. */
function ranCounts(dir) {
  const ran = new Map();
  for (const f of readdirSync(dir))
    for (const id of readFileSync(join(dir, f), 'utf8').split('\n').filter(Boolean))
      ran.set(id, (ran.get(id) ?? 0) + 1);
  return ran;
}

/**
 * Our node behind the bad link, a clean one and a caller (lab hosts): each caller mode's calls,
 * every one accounted for by the caller (answered or its error code) and by the node (ran, how often).
 */
async function badLinkSection() {
  for (const why of [netnsUnavailable(), impairUnavailable()]) if (why) return { skipped: why };
  const dir = tempDir('faults-badlink-');
  const lab = createLab(['node', 'other', 'client'], { impair: { node: BAD_LINK } });
  const forget = register({ stop: () => lab.destroy(), kill: () => lab.destroyNow() });
  try {
    const nodes = {};
    for (const host of ['node', 'other']) {
      const address = `${lab.ip(host)}:3031`;
      const p = lab.spawn(host, process.execPath, [BIN, 'serve', '--socket', address, '--import', RAN], {
        log: join(dir, `${host}.log`),
        stopSignal: 'SIGINT',
        env: { ...process.env, FAULTS_RAN_DIR: dir },
      });
      await lab.waitListening(host, address, { child: p.child });
      nodes[host] = address;
    }
    const n = quick ? 100 : 300;
    const modes = [
      ['per call, 8 at a time', ['--calls', String(n), '--concurrency', '8']],
      [
        'keep-alive, 16 at a time, pipelining 4',
        ['--calls', String(2 * n), '--concurrency', '16', '--keepalive', '--pipelining', '4'],
      ],
      // a round trip takes 60-140 ms and a call per connection two of them: many calls time out
      ['per call, 8 at a time, timeout 200 ms', ['--calls', String(n), '--concurrency', '8', '--timeout', '200']],
      // nothing listens on the client's port 3999: calls given to it are refused, never left
      [
        'Splitter over it, a clean node, a refusing address',
        ['--calls', String(n), '--concurrency', '4', '--split', `${nodes.other},${lab.ip('client')}:3999`],
      ],
    ];
    const rows = [];
    for (const [i, [mode, args]] of modes.entries()) {
      progress(`bad link: ${mode}`);
      const before = await lab.linkStats('node');
      const t = performance.now();
      const r = await lab.run(
        'client',
        process.execPath,
        [LOSSY_CALLER, '--target', nodes.node, '--prefix', `m${i}-`, ...args],
        { timeoutMs: 180_000 },
      );
      const seconds = (performance.now() - t) / 1000;
      if (r.code !== 0) throw new Error(`bad link caller exited ${r.code ?? r.signal}: ${r.stderr}`);
      const after = await lab.linkStats('node');
      const res = JSON.parse(r.stdout);
      const ran = ranCounts(dir);
      const mine = [...ran].filter(([id]) => id.startsWith(`m${i}-`));
      const failed = {};
      for (const code of Object.values(res.failed)) failed[code] = (failed[code] ?? 0) + 1;
      const delta = (k) => after.toHost[k] + after.fromHost[k] - before.toHost[k] - before.fromHost[k];
      rows.push({
        mode,
        calls: res.calls,
        answered: res.answered.length,
        failed,
        untyped: res.untyped,
        ranTwice: mine.filter(([, c]) => c > 1).length,
        answeredNotRun: res.answered.filter((id) => !ran.has(id)).length,
        movedOn: res.movedOn,
        framesLost: delta('lost'),
        framesReordered: delta('reordered'),
        seconds,
      });
    }
    return { link: BAD_LINK, rows };
  } finally {
    await lab.destroy();
    forget();
  }
}

const only = new Set(arg('only', 'drips,table,kill,badlink').split(','));
const out = { drips: null, fullTable: null, workerKill: [], badLink: null };
if (only.has('drips')) {
  progress(`drips: ${DRIPS} connections`);
  out.drips = await dripSection();
}
if (only.has('table')) {
  progress(`full table: --max-conns ${DRIPS}`);
  out.fullTable = await fullTableSection();
}
for (const { cmd, label } of only.has('kill') ? runtimes().filter((r) => r.label.startsWith('Node')) : []) {
  for (const mode of arg('modes', 'primary,shared-accept,reuse-port').split(',')) {
    if (mode === 'reuse-port' && /^Node 20\./.test(label)) continue;
    for (let k = 0; k < KILLS; k++) {
      progress(`worker kill: ${label} ${mode} #${k + 1}`);
      out.workerKill.push({ runtime: label, mode, ...(await workerKill(cmd, mode)) });
    }
  }
}

const f = (n) => (Number.isFinite(n) ? n.toFixed(1) : '-');
/** `{ what: count }` as "count what; ...", or `none` when empty. */
const tally = (counts, none) =>
  Object.entries(counts)
    .map(([k, v]) => `${v} ${k}`)
    .join('; ') || none;
if (out.drips)
  console.log(
    `\nDrips: ${out.drips.drips} connections, one byte per second each, defaults (--request-timeout 5 s):` +
      ` held after 1 s ${out.drips.heldAfter1s}, after 7 s ${out.drips.heldAfter7s};` +
      ` good calls meanwhile p50 ${f(out.drips.good.p50)} ms, p99 ${f(out.drips.good.p99)} ms,` +
      ` max ${f(out.drips.good.max)} ms, ${out.drips.good.failed} of ${out.drips.good.count} failed`,
  );
if (out.fullTable)
  console.log(
    `Full table: --max-conns ${out.fullTable.maxConns}, ${out.fullTable.full ? 'full (the server said so)' : 'NOT full'}` +
      ` with ${out.fullTable.dripsConnected} drip connections open on the client's side:` +
      ` good calls p50 ${f(out.fullTable.good.p50)} ms, p99 ${f(out.fullTable.good.p99)} ms,` +
      ` max ${f(out.fullTable.good.max)} ms, ${out.fullTable.good.failed} of ${out.fullTable.good.count} failed`,
  );
if (out.workerKill.length > 0) {
  console.log(`\nOne worker of --processes 2 SIGKILLed, ${CONCURRENCY} per-call callers (5 ms calls):\n`);
  console.log(
    table(
      ['runtime', 'handoff', 'calls', 'answered', 'failed: error, ran?'],
      out.workerKill.map((r) => [r.runtime, r.mode, String(r.calls), String(r.answered), tally(r.failures, 'none')]),
    ),
  );
}
if (only.has('badlink')) out.badLink = await badLinkSection();
if (out.badLink?.skipped) console.log(`\nBad link: skipped: ${out.badLink.skipped}`);
else if (out.badLink) {
  const l = out.badLink.link;
  console.log(
    `\nOur node behind a link of ${l.delayMs} ms ± ${l.jitterMs} each way losing ${l.lossPct}% of frames each way:\n`,
  );
  console.log(
    table(
      [
        'caller',
        'calls',
        'answered',
        'failed',
        'untyped',
        'ran twice',
        'answered, never ran',
        'moved on',
        'frames lost',
        'frames reordered',
        's',
      ],
      out.badLink.rows.map((r) => [
        r.mode,
        String(r.calls),
        String(r.answered),
        tally(r.failed, '0'),
        String(r.untyped),
        String(r.ranTwice),
        String(r.answeredNotRun),
        String(r.movedOn),
        String(r.framesLost),
        String(r.framesReordered),
        r.seconds.toFixed(1),
      ]),
    ),
  );
}
const json = arg('json');
if (json) writeFileSync(json, `${JSON.stringify(out, null, 2)}\n`);
