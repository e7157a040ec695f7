// Server suite (`npm run bench -- server`, alias e2e), driven by bench/rpcload.c so the
// client is never the bottleneck: our server (1 process, and --processes 2 through the CLI), a
// minimal hand-written Node server, real uWSGI (python3 and lua, 1 and 2 processes), on the same
// echo call, in the same run, paired rounds (every server once per round, medians reported).
// Also 4 KB args and a 1 MB result, and RSS idle / under load / after each round (growth).
// The same echo cases also run our server (1 and 2 processes) and the minimal server on every
// other runtime found (lib/runtimes.mjs: the Node lines of .ci/runtimes, Bun), in the same
// rounds, for a table per runtime.
//   node bench/e2e.bench.mjs [--rounds N] [--secs S] [--quick] [--json FILE] [--rpcload PATH] [--node PATH]...
// --node PATH (repeatable): the other runtimes to run (default: every one found).
// --rpcload PATH: another load generator with rpcload's arguments and output line instead of
// bench/rpcload.c built into bench/.out/ (the cleanup test gives one that fails half-way).
// Servers run in process groups of their own, stopped however the run ends (lib/cleanup.mjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { machine, quick, ratio, table } from './lib/measure.mjs';
import { uwsgiLua, uwsgiPython } from './lib/uwsgi.mjs';
import {
  arg,
  benchDir,
  freePort,
  has,
  median,
  progress,
  rpcload,
  rpcloadPath,
  rssTree,
  settle,
  start,
} from './lib/procs.mjs';
import { runtimes } from './lib/runtimes.mjs';

rpcloadPath(); // built (or its absence reported) before any server starts

const rounds = Number(arg('rounds', quick ? 1 : 3));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const node = process.execPath;
const servers = join(benchDir, 'servers');

/** `serve --processes 2` on a port: the same command on every runtime. */
const ourCli = (p) => [
  join(benchDir, '..', 'bin', 'uwsgi-rpc.js'),
  'serve',
  '--socket',
  `127.0.0.1:${p}`,
  '--import',
  join(servers, 'functions.mjs'),
  '--processes',
  '2',
  '--listen',
  '1024',
];
/**
 * A server to measure; node: it keeps connections open (keep-alive, pipelining); runtime: the
 * other runtime it runs on; gcOnSignal: started with --expose-gc, RSS measured after a forced GC.
 * @typedef {{ name: string, cmd: string, args: (port: number | string) => string[], node?: boolean, gcOnSignal?: boolean, runtime?: string }} Spec
 * @type {Spec[]}
 */
const specs = [
  {
    name: 'uwsgi-rpc',
    node: true,
    gcOnSignal: true,
    cmd: node,
    args: (p) => ['--expose-gc', join(servers, 'ours.mjs'), String(p)],
  },
  {
    name: 'uwsgi-rpc --processes 2',
    node: true,
    cmd: node,
    args: ourCli,
  },
  {
    name: 'minimal Node',
    node: true,
    gcOnSignal: true,
    cmd: node,
    args: (p) => ['--expose-gc', join(benchDir, 'baselines', 'minimal-server.mjs'), String(p)],
  },
  {
    // the first row's server keeping one-shot callers' connections open until they close (the default before)
    name: 'uwsgi-rpc, close-after-answer never',
    node: true,
    gcOnSignal: true,
    cmd: node,
    args: (p) => ['--expose-gc', join(servers, 'ours.mjs'), String(p), 'auto', '-', 'never'],
  },
  {
    // the first row's server with every call timed and counted for stats and metrics, scraped each second
    name: 'uwsgi-rpc, stats+metrics on',
    node: true,
    gcOnSignal: true,
    cmd: node,
    args: (p) => ['--expose-gc', join(servers, 'ours.mjs'), String(p), 'auto', 'observe'],
  },
];
// The other runtimes: the same three servers (no RSS-after-GC: Bun has no --expose-gc).
const [here, ...others] = runtimes();
for (const r of others) {
  specs.push(
    {
      name: `uwsgi-rpc · ${r.label}`,
      runtime: r.label,
      node: true,
      cmd: r.cmd,
      args: (p) => [join(servers, 'ours.mjs'), String(p)],
    },
    { name: `uwsgi-rpc --processes 2 · ${r.label}`, runtime: r.label, node: true, cmd: r.cmd, args: ourCli },
    {
      name: `minimal Node · ${r.label}`,
      runtime: r.label,
      node: true,
      cmd: r.cmd,
      args: (p) => [join(benchDir, 'baselines', 'minimal-server.mjs'), String(p)],
    },
  );
}
if (has('uwsgi', 'apt-get install uwsgi-core uwsgi-plugin-python3 uwsgi-plugin-lua5.2')) {
  for (const n of [1, 2]) {
    specs.push({
      name: `uWSGI python3 x${n}`,
      cmd: 'uwsgi',
      args: (p) => uwsgiPython(p, n),
    });
    specs.push({
      name: `uWSGI lua x${n}`,
      cmd: 'uwsgi',
      args: (p) => uwsgiLua(p, n),
    });
  }
}

const a2k = 'a'.repeat(2048),
  b2k = 'b'.repeat(2048);
// [label, rpcload flags, function, args, who runs it]: uWSGI closes after each answer, so it only
// takes the per-connection cases.
// Servers on the other runtimes take the first three (echo) cases.
const main = (s) => s.runtime === undefined;
/** @type {[string, string[], string, string[], (s: Spec) => boolean][]} */
const cases = [
  ['connection per call', ['-c', '16'], 'echo', ['aaa', 'bbbbb'], () => true],
  ['keep-alive', ['-k', '-c', '16'], 'echo', ['aaa', 'bbbbb'], (s) => s.node],
  ['pipelined 16x16', ['-c', '16', '-p', '16'], 'echo', ['aaa', 'bbbbb'], (s) => s.node],
  ['4 KB args, connection per call', ['-c', '16'], 'echo', [a2k, b2k], main],
  ['4 KB args, keep-alive', ['-k', '-c', '16'], 'echo', [a2k, b2k], (s) => s.node && main(s)],
  ['1 MB result, connection per call', ['-c', '16'], 'big', ['1048576'], main],
  ['1 MB result, keep-alive', ['-k', '-c', '16'], 'big', ['1048576'], (s) => s.node && main(s)],
];
const RUNTIME_CASES = cases.slice(0, 3).map((c) => c[0]);

const running = [];
const SERVE_SOCKET = 'uwsgi-rpc serve --socket (idle only)';
const results = {}; // server -> case -> [{rate, errors, p99, rss}]
const mem = {};
try {
  for (const s of specs) {
    const port = await freePort();
    running.push({ ...s, ...(await start(s.name, port, s.cmd, s.args(port))) });
  }
  await new Promise((r) => setTimeout(r, 300)); // cluster workers / uWSGI workers up
  for (const s of running) mem[s.name] = { idle: rssTree(s.child.pid), load: 0, after: [] };
  // What issue 17 bounds: the CLI serving one uwsgi socket, idle (started, measured, stopped: it takes no load).
  {
    const port = await freePort();
    const args = [join(benchDir, '..', 'bin', 'uwsgi-rpc.js'), 'serve', '--socket', `127.0.0.1:${port}`];
    const idle = await start(SERVE_SOCKET, port, node, [...args, '--import', join(servers, 'functions.mjs')]);
    try {
      await new Promise((r) => setTimeout(r, 300));
      mem[SERVE_SOCKET] = { idle: rssTree(idle.child.pid) };
    } finally {
      await idle.stop();
    }
  }
  process.stderr.write(`bench server: ${running.length} servers, ${rounds} rounds x ${secs}s per server and case\n`);
  if (!quick) {
    // warm-up (JIT, uWSGI workers), not counted
    for (const [, flags, fn, args, who] of cases)
      for (const s of running) if (who(s)) await rpcload(s, flags, 1, fn, args);
  }
  for (let r = 0; r < rounds; r++) {
    for (const [label, flags, fn, args, who] of cases) {
      for (const s of running) {
        if (!who(s)) continue;
        const x = await rpcload(s, flags, secs, fn, args);
        ((results[s.name] ??= {})[label] ??= []).push(x);
        mem[s.name].load = Math.max(mem[s.name].load, x.rss || 0);
        progress(`round ${r + 1}/${rounds} ${s.name}, ${label}: ${Math.round(x.rate)}/s errors=${x.errors}`);
      }
    }
    await settle(running);
    for (const s of running) mem[s.name].after.push(rssTree(s.child.pid));
  }
} finally {
  await Promise.all(running.map((s) => s.stop()));
}

const med = (name, label) => median((results[name]?.[label] ?? []).map((x) => x.rate));
const errs = (name, label) => (results[name]?.[label] ?? []).reduce((n, x) => n + x.errors, 0);
const cell = (v) => (Number.isFinite(v) ? `${Math.round(v)}/s` : 'closes');
const names = running.filter(main).map((s) => s.name);
const rows = cases.map(([label]) => [
  label,
  ...names.map((n) => cell(med(n, label))),
  ratio(med('uwsgi-rpc', label), med('minimal Node', label)),
  ratio(med('uwsgi-rpc', label), med('uWSGI python3 x1', label)),
  ratio(med('uwsgi-rpc, stats+metrics on', label), med('uwsgi-rpc', label)),
  String(names.reduce((k, n) => k + errs(n, label), 0)),
]);
const md = table(
  ['case', ...names, 'ours / minimal', 'ours / uWSGI python3 x1', 'stats+metrics on / off', 'errors'],
  rows,
);
const memMd = table(
  ['server', 'RSS idle (MB)', 'RSS under load (MB)', 'RSS after each round (MB)', 'growth round 1 -> last (MB)'],
  running.filter(main).map((s) => {
    const m = mem[s.name];
    return [
      s.name,
      m.idle.toFixed(1),
      m.load.toFixed(1),
      m.after.map((v) => v.toFixed(1)).join(', '),
      (m.after.at(-1) - m.after[0]).toFixed(1),
    ];
  }),
);
// Per runtime: this Node's rows are the main servers; the others carry the runtime in their name.
const at = (server, r) => (r === here.label ? server : `${server} · ${r}`);
const runtimeRows = [here, ...others]
  .filter((r) => r === here || running.some((s) => s.runtime === r.label))
  .flatMap((r) =>
    RUNTIME_CASES.map((label) => {
      const three = ['uwsgi-rpc', 'uwsgi-rpc --processes 2', 'minimal Node'].map((n) => at(n, r.label));
      const [ours, two, min] = three.map((n) => med(n, label));
      return [
        r.label,
        label,
        cell(ours),
        cell(two),
        cell(min),
        ratio(ours, min),
        String(three.reduce((k, n) => k + errs(n, label), 0)),
      ];
    }),
  );
const runtimeMd = table(
  ['runtime', 'case', 'uwsgi-rpc', 'uwsgi-rpc --processes 2', 'minimal Node', 'ours / minimal', 'errors'],
  runtimeRows,
);
console.log(
  `\n### Servers, driven by rpcload -c 16 (${machine()}; medians of ${rounds} paired rounds of ${secs}s)\n\n${md}\n\nPer runtime, the same rounds (our server and the minimal one on each; rpcload -c 16, echo):\n\n${runtimeMd}\n\nMemory (process tree: uWSGI master + workers, cluster primary + workers; "after each round" follows a forced GC in uwsgi-rpc and minimal Node, both run with --expose-gc):\n\n${memMd}\n\n\`uwsgi-rpc serve --socket 127.0.0.1:PORT --import bench/servers/functions.mjs\` alone, idle: ${mem[SERVE_SOCKET].idle.toFixed(1)} MB (the uwsgi-rpc row above is bench/servers/ours.mjs, which loads the whole package entry).\n`,
);
const j = arg('json');
const commands = [
  ...specs.map((s) => `${s.cmd === node ? 'node' : (s.runtime ?? s.cmd)} ${s.args('PORT').join(' ')}`),
  ...cases.map(
    ([label, flags, fn, args]) =>
      `rpcload ${flags.join(' ')} -d ${secs} 127.0.0.1:PORT ${fn} ${args.map((a) => (a.length > 20 ? `<${a.length} x ${a[0]}>` : a)).join(' ')}   # ${label}`,
  ),
];
const runtimeMedians = Object.fromEntries(
  [here, ...others].map((r) => [
    r.label,
    Object.fromEntries(
      ['uwsgi-rpc', 'uwsgi-rpc --processes 2', 'minimal Node'].map((n) => [
        n,
        Object.fromEntries(RUNTIME_CASES.map((l) => [l, med(at(n, r.label), l)])),
      ]),
    ),
  ]),
);
if (j)
  writeFileSync(
    j,
    JSON.stringify(
      {
        commands,
        rounds,
        secs,
        cases: cases.map((c) => c[0]),
        servers: names,
        medians: Object.fromEntries(names.map((n) => [n, Object.fromEntries(cases.map(([l]) => [l, med(n, l)]))])),
        runtimes: runtimeMedians,
        results,
        mem,
      },
      null,
      2,
    ),
  );
