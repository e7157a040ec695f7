// Builds bench/RESULTS.md (headline, targets, every suite's tables, machine, versions, commands)
// and the chart from the suites' JSON and Markdown output.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { machine, table } from './measure.mjs';
import { barChart } from './svg.mjs';

const require = createRequire(import.meta.url);

// First line of a tool's version output (some print to stderr, some exit non-zero).
function version(cmd, args, re) {
  const r = spawnSync(cmd, args, { encoding: 'utf8' });
  if (r.error) return 'not installed';
  const text = `${r.stdout}\n${r.stderr}`;
  return (text.match(re)?.[0] ?? text.trim().split('\n')[0]).trim();
}
const pkgVersion = (name) => {
  try {
    return require(`${name}/package.json`).version;
  } catch {
    return 'not installed';
  }
};
const dpkg = (pkg) => version('dpkg-query', ['-W', '-f', '${Version}', pkg], /\S+/);

function versions() {
  return [
    ['Node', process.version],
    [
      'uWSGI',
      `${version('uwsgi', ['--version'], /^\S+/)} (python3 plugin ${dpkg('uwsgi-plugin-python3')}, lua5.2 plugin ${dpkg('uwsgi-plugin-lua5.2')})`,
    ],
    ['Python', version('python3', ['--version'], /Python \S+/)],
    ['nginx', version('nginx', ['-v'], /nginx\/\S+/)],
    ['wrk', version('wrk', ['-v'], /wrk \S+/)],
    ['h2load', version('h2load', ['--version'], /nghttp2\/\S+/)],
    ['@grpc/grpc-js', pkgVersion('@grpc/grpc-js')],
    ['rpcload', 'bench/rpcload.c, cc -O2'],
  ];
}

const r0 = (v) => (Number.isFinite(v) ? `${Math.round(v)}/s` : '-');

/** Targets of issue 17 (and the issue-6 ones still standing) as [target, measured, wanted, holds]. */
function targets({ server, peers, client, codec }) {
  const m = server?.medians ?? {};
  const ours = m['uwsgi-rpc'] ?? {},
    min = m['minimal Node'] ?? {},
    u1 = m['uWSGI python3 x1'] ?? {};
  const pm = peers?.medians ?? {};
  const rows = [];
  const add = (what, a, b, want) => {
    const v = a / b;
    rows.push([
      what,
      `${Number.isFinite(v) ? v.toFixed(2) : '-'}x (${r0(a)} / ${r0(b)})`,
      `>= ${want}x`,
      Number.isFinite(v) ? (v >= want ? 'holds' : 'misses') : 'not measured',
    ]);
  };
  add(
    'server, connection per call: ours / uWSGI python3 x1',
    ours['connection per call'],
    u1['connection per call'],
    0.8,
  );
  add('server, connection per call: ours / minimal Node', ours['connection per call'], min['connection per call'], 1.0);
  add('server, keep-alive: ours / minimal Node', ours['keep-alive'], min['keep-alive'], 1.0);
  add('server, pipelined: ours / minimal Node', ours['pipelined 16x16'], min['pipelined 16x16'], 1.0);
  add('server, keep-alive: ours / node:http + JSON (peers run)', pm['uwsgi-rpc'], pm['node:http + JSON'], 1.5);
  add('server, keep-alive: ours / grpc-js unary (peers run)', pm['uwsgi-rpc'], pm['grpc-js unary'], 3);
  add(
    'server, pipelined: ours / uWSGI python3 x1 per connection',
    ours['pipelined 16x16'],
    u1['connection per call'],
    10,
  );
  for (const [k, v] of Object.entries(client?.medians ?? {}))
    add(`client -> ${k}: ours / minimal Node client`, v.ours, v.minimal, 1.0);
  const mem = server?.mem ?? {};
  /** The idle-RSS target's row for server `name` against the minimal Node server, when both were measured. */
  const idleRow = (label, name) => {
    if (!mem[name] || !mem['minimal Node']) return;
    const a = mem[name].idle,
      b = mem['minimal Node'].idle;
    rows.push([
      label,
      `${(a / b).toFixed(2)}x (${a.toFixed(1)} / ${b.toFixed(1)} MB)`,
      '<= 1.05x',
      a / b <= 1.05 ? 'holds' : 'misses',
    ]);
  };
  idleRow('idle RSS: `serve --socket` / minimal Node', 'uwsgi-rpc serve --socket (idle only)');
  idleRow('idle RSS: ours / minimal Node (bench/servers/ours.mjs: the whole package entry)', 'uwsgi-rpc');
  if (mem['uwsgi-rpc'] && mem['minimal Node']) {
    const after = mem['uwsgi-rpc'].after,
      g = after.at(-1) - after[0];
    rows.push([
      'RSS growth across runs, ours (after round 1 -> after last round)',
      `${g >= 0 ? '+' : ''}${g.toFixed(1)} MB (${after.map((x) => x.toFixed(1)).join(', ')})`,
      'none (<= 2 MB)',
      g <= 2 ? 'holds' : 'misses',
    ]);
  }
  const codecRows = codec?.rows ?? [];
  const scan = codecRows.find((r) => r.op.startsWith('scan 64 pipelined requests + parse'));
  if (scan) add('codec, scan + parse a 64-request chunk: wasm / ts', scan.r.wasm, scan.r.ts, 3);
  const withAuto = codecRows.filter((r) => Number.isFinite(r.r.auto));
  if (withAuto.length > 0) {
    const worst = withAuto.reduce((w, r) =>
      r.r.auto / Math.max(r.r.ts, r.r.wasm) < w.r.auto / Math.max(w.r.ts, w.r.wasm) ? r : w,
    );
    const v = worst.r.auto / Math.max(worst.r.ts, worst.r.wasm);
    rows.push([
      `codec, auto / the faster engine, worst row (${worst.op})`,
      `${v.toFixed(2)}x`,
      '>= 0.9x (noise)',
      v >= 0.9 ? 'holds' : 'misses',
    ]);
  }
  return rows;
}

function headline({ server, peers }) {
  const m = server?.medians ?? {};
  const rows = Object.entries(m).map(([name, c]) => [
    name,
    r0(c['connection per call']),
    Number.isFinite(c['keep-alive']) ? r0(c['keep-alive']) : 'closes',
    Number.isFinite(c['pipelined 16x16']) ? r0(c['pipelined 16x16']) : 'closes',
  ]);
  for (const name of ['node:http + JSON', 'grpc-js unary']) {
    if (peers?.medians?.[name])
      rows.push([`${name} (${peers.tools[name]}, peers run)`, '-', r0(peers.medians[name]), '-']);
  }
  return table(['server (echo call, 16 connections)', 'connection per call', 'keep-alive', 'pipelined 16x16'], rows);
}

/**
 * @typedef {{ medians: Record<string, Record<string, number>> }} ServerJson
 * @typedef {{ medians: Record<string, number>, tools: Record<string, string> }} PeersJson
 * @typedef {{ medians: Record<string, { ours: number, minimal: number }> }} ClientJson
 * @param {{ server?: ServerJson, peers?: PeersJson, client?: ClientJson }} suites the JSON of the suites that ran
 */
export function chart({ server, peers, client }) {
  const m = server?.medians ?? {};
  const bars = (label) => Object.entries(m).map(([name, c]) => ({ label: name, value: c[label] }));
  const ka = Object.entries(peers?.medians ?? {}).map(([name, v]) => ({ label: name, value: v }));
  const short = (k) => k.replace(', connection per call', ', per call').replace('uwsgi-rpc server', 'uwsgi-rpc');
  const cl = Object.entries(client?.medians ?? {}).flatMap(([k, v]) => [
    { label: `uwsgi-rpc client -> ${short(k)}`, value: v.ours },
    { label: `minimal client -> ${short(k)}`, value: v.minimal },
  ]);
  return barChart(
    'uwsgi-rpc: echo calls per second (higher is better)',
    `${machine()}; medians of paired rounds; npm run bench`,
    [
      { title: 'Connection per call (rpcload -c 16)', bars: bars('connection per call') },
      { title: 'Keep-alive, 16 connections (rpcload -k / wrk / h2load; peers run)', bars: ka },
      { title: 'Pipelined 16 x 16 (rpcload -c 16 -p 16)', bars: bars('pipelined 16x16') },
      { title: 'Clients: 16 calls in flight from one Node process', bars: cl },
    ],
  );
}

export function resultsMarkdown(data, sections, root) {
  const rel = (s) => s.split(root).join('.');
  const cmds = ['server', 'peers', 'client'].flatMap((k) => (data[k]?.commands ?? []).map((c) => `${k}: ${rel(c)}`));
  return `# Benchmark results

Generated by \`npm run bench\` (bench/run.mjs) on ${new Date().toISOString().slice(0, 10)}. Every rate is the
median of paired rounds (each server or client once per round, in the same run), echo call with two string
args answered as \`a|b\`. Machine: ${machine()}.

![calls per second](results.svg)

## Headline (calls/s)

${headline(data)}

## Targets (issue 17; the peers and pipelined-vs-uWSGI rows are issue 6's)

${table(['target', 'measured', 'wanted', ''], targets(data))}

## Versions

${table(['tool', 'version'], versions())}
${sections.map((s) => `\n${s.trim()}\n`).join('')}
## Commands

\`npm run bench\` runs, in order: \`node bench/codec.bench.mjs\`, \`node bench/e2e.bench.mjs\` (server),
\`node bench/peers.bench.mjs\`, \`node bench/client.bench.mjs\`, each with \`--json bench/.out/SUITE.json\`.
PORT is a free port picked per run; bench/.out/grpc-echo.bin is one length-prefixed gRPC message (Args{a: 'aaa',
b: 'bbbbb'}) written by bench/baselines/grpc-request.mjs; before loading it the peers suite makes one grpc-js call that checks
status 0 and the answer. Profiles: \`node bench/profile.mjs keepalive|pipelined|percall|client-keepalive|client-percall\`.

\`\`\`
${cmds.join('\n')}
\`\`\`
`;
}
