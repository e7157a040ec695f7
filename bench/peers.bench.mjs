// Peers suite (`npm run bench -- peers`): what users would pick instead of uwsgi RPC, on the same
// echo call (a|b), keep-alive, 16 connections, each driven by a C load generator, in the same run
// as our server and the minimal Node server (rpcload -k -c 16), paired rounds:
//   node:http + JSON body {a,b} -> wrk -t 1 -c 16 with baselines/wrk-post.lua
//   @grpc/grpc-js unary (baselines/echo.proto) -> h2load -c 16 -m 1 with one length-prefixed message
//   node bench/peers.bench.mjs [--rounds N] [--secs S] [--quick] [--json FILE] [--rpcload PATH]
// --rpcload PATH: another load generator instead of bench/rpcload.c (see e2e.bench.mjs).
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import grpc from '@grpc/grpc-js';
import { grpcEchoBody } from './baselines/grpc-request.mjs';
import { loadEcho } from './baselines/grpc-server.mjs';
import { machine, quick, ratio, table } from './lib/measure.mjs';
import {
  arg,
  benchDir,
  drive,
  freePort,
  has,
  median,
  outDir,
  progress,
  rpcload,
  rpcloadPath,
  rssTree,
  settle,
  start,
} from './lib/procs.mjs';

rpcloadPath(); // built (or its absence reported) before any server starts

const rounds = Number(arg('rounds', quick ? 1 : 3));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const wrkSecs = Math.max(1, Math.round(secs)); // wrk takes whole seconds
const node = process.execPath;

function parseWrk(out) {
  const rate = Number(out.match(/Requests\/sec:\s+([\d.]+)/)[1]);
  const non2xx = Number(out.match(/Non-2xx or 3xx responses:\s+(\d+)/)?.[1] ?? 0);
  const sock = out.match(/Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/);
  return { rate, errors: non2xx + (sock ? sock.slice(1).reduce((n, v) => n + Number(v), 0) : 0) };
}
function parseH2load(out) {
  const rate = Number(out.match(/finished in [\d.]+m?s, ([\d.]+) req\/s/)[1]);
  const m = out.match(/requests: \d+ total, \d+ started, \d+ done, \d+ succeeded, (\d+) failed, (\d+) errored/);
  const codes = out.match(/status codes: \d+ 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx/);
  return { rate, errors: Number(m[1]) + Number(m[2]) + Number(codes[1]) + Number(codes[2]) + Number(codes[3]) };
}

// One real gRPC call first: h2load counts HTTP 200s only; this checks grpc-status 0 and the answer.
async function checkGrpc(port) {
  const Echo = loadEcho();
  const client = new Echo(`127.0.0.1:${port}`, grpc.credentials.createInsecure());
  const r = await new Promise((res, rej) => client.Call({ a: 'aaa', b: 'bbbbb' }, (e, v) => (e ? rej(e) : res(v))));
  client.close();
  if (r.r !== 'aaa|bbbbb') throw new Error(`grpc-js echo answered ${JSON.stringify(r)}`);
}

const grpcBody = join(outDir, 'grpc-echo.bin');
writeFileSync(grpcBody, grpcEchoBody());
const rpc = (s) => rpcload(s, ['-k', '-c', '16'], secs, 'echo', ['aaa', 'bbbbb']);
const wrkCmd = (port) => [
  'wrk',
  '-t',
  '1',
  '-c',
  '16',
  '-d',
  `${wrkSecs}s`,
  '-s',
  join(benchDir, 'baselines', 'wrk-post.lua'),
  `http://127.0.0.1:${port}/`,
];
const h2Cmd = (port) => [
  'h2load',
  '-c',
  '16',
  '-m',
  '1',
  '-D',
  `${Math.round(secs * 1000)}ms`,
  '-d',
  grpcBody,
  '-H',
  'content-type: application/grpc',
  '-H',
  'te: trailers',
  `http://127.0.0.1:${port}/bench.Echo/Call`,
];
const specs = [
  {
    name: 'uwsgi-rpc',
    gcOnSignal: true,
    args: (p) => ['--expose-gc', join(benchDir, 'servers', 'ours.mjs'), String(p)],
    load: rpc,
    tool: 'rpcload -k -c 16',
  },
  {
    name: 'minimal Node',
    gcOnSignal: true,
    args: (p) => ['--expose-gc', join(benchDir, 'baselines', 'minimal-server.mjs'), String(p)],
    load: rpc,
    tool: 'rpcload -k -c 16',
  },
];
if (has('wrk', 'apt-get install wrk')) {
  specs.push({
    name: 'node:http + JSON',
    gcOnSignal: true,
    args: (p) => ['--expose-gc', join(benchDir, 'baselines', 'http-json-server.mjs'), String(p)],
    tool: 'wrk -t 1 -c 16',
    load: (s) => drive('wrk', wrkCmd(s.port).slice(1), wrkSecs, s.child.pid, parseWrk),
    cmd: wrkCmd,
  });
}
if (has('h2load', 'apt-get install nghttp2-client')) {
  specs.push({
    name: 'grpc-js unary',
    gcOnSignal: true,
    args: (p) => ['--expose-gc', join(benchDir, 'baselines', 'grpc-server.mjs'), String(p)],
    tool: 'h2load -c 16 -m 1',
    check: checkGrpc,
    load: (s) => drive('h2load', h2Cmd(s.port).slice(1), secs, s.child.pid, parseH2load),
    cmd: h2Cmd,
  });
}

const running = [];
const results = {};
const mem = {};
try {
  for (const s of specs) {
    const port = await freePort();
    const r = { ...s, ...(await start(s.name, port, node, s.args(port))) };
    running.push(r);
    await s.check?.(port);
  }
  for (const s of running) mem[s.name] = { idle: rssTree(s.child.pid), load: 0, after: [] };
  process.stderr.write(`bench peers: ${running.length} servers, ${rounds} rounds x ${secs}s\n`);
  if (!quick) for (const s of running) await s.load(s); // warm-up (JIT), not counted
  for (let r = 0; r < rounds; r++) {
    for (const s of running) {
      const x = await s.load(s);
      (results[s.name] ??= []).push(x);
      mem[s.name].load = Math.max(mem[s.name].load, x.rss || 0);
      progress(`round ${r + 1}/${rounds} ${s.name} (${s.tool}): ${Math.round(x.rate)}/s errors=${x.errors}`);
    }
    await settle(running);
    for (const s of running) mem[s.name].after.push(rssTree(s.child.pid));
  }
} finally {
  await Promise.all(running.map((s) => s.stop()));
}

const med = (name) => median((results[name] ?? []).map((x) => x.rate));
const ours = med('uwsgi-rpc');
const md = table(
  [
    'server (keep-alive, 16 connections)',
    'driven by',
    'calls/s',
    'uwsgi-rpc / this',
    'errors',
    'RSS idle (MB)',
    'RSS under load (MB)',
    'RSS after each round (MB)',
  ],
  running.map((s) => [
    s.name,
    s.tool,
    `${Math.round(med(s.name))}/s`,
    ratio(ours, med(s.name)),
    String(results[s.name].reduce((n, x) => n + x.errors, 0)),
    mem[s.name].idle.toFixed(1),
    mem[s.name].load.toFixed(1),
    mem[s.name].after.map((v) => v.toFixed(1)).join(', '),
  ]),
);
console.log(
  `\n### Peers: the same echo call over what users would pick instead (${machine()}; medians of ${rounds} paired rounds of ${secs}s, wrk ${wrkSecs}s)\n\n${md}\n`,
);
const j = arg('json');
const quote = (a) => (/[\s]/.test(a) ? `'${a}'` : a);
const commands = specs.flatMap((s) => [
  `node ${s.args('PORT').join(' ')}`,
  s.cmd ? s.cmd('PORT').map(quote).join(' ') : `rpcload -k -c 16 -d ${secs} 127.0.0.1:PORT echo aaa bbbbb`,
]);
if (j)
  writeFileSync(
    j,
    JSON.stringify(
      {
        commands,
        rounds,
        secs,
        medians: Object.fromEntries(running.map((s) => [s.name, med(s.name)])),
        tools: Object.fromEntries(running.map((s) => [s.name, s.tool])),
        results,
        mem,
      },
      null,
      2,
    ),
  );
