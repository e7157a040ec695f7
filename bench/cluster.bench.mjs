// Cluster suite (`npm run bench -- cluster`; needs root: network namespaces): calls/s of 1, 2 and
// 3 nodes behind uWSGI's rawrouter, each host in its own namespace (test/helpers/netns.mjs):
// router, n1, n2, n3, client. Every node runs `--processes 2` and subscribes to the router; one
// router process has a socket (= a subscription key = a pool) per node count and stack, so
// every configuration goes through the same router with every node kept running, in paired
// rounds. rpcload -c 32 runs in the client namespace, echo(aaa, bbbbb):
//   - connection per call (uWSGI's model: the router balances connections, so calls);
//   - keep-alive (-k; the router pins each connection to one node), our nodes only: uWSGI
//     nodes close after each answer;
//   - the same N uWSGI python3 nodes (--processes 2, bench/servers/echo.py) for comparison;
//   - direct to n1, no router (the router's cost).
// CPU over each measure window comes from /proc (bench/lib/cpu.mjs): the machine, the router,
// each node, rpcload, and the rest (the kernel's softirq work outside those processes and
// anything else running), so the table says where the limit is.
//   node bench/cluster.bench.mjs [--rounds N] [--secs S] [--conns C] [--router-processes P]
//                                [--quick] [--json FILE] [--md FILE] [--rpcload PATH]
// --rpcload PATH: another load generator instead of bench/rpcload.c (see e2e.bench.mjs).
// The lab (namespaces and all that runs in them) and its log folder are gone when this ends,
// however it ends (lib/cleanup.mjs); on a failure the logs' tails are printed first.
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { createLab, netnsUnavailable } from '../test/helpers/netns.mjs';
import { register, removeDir, stopping, tempDir } from './lib/cleanup.mjs';
import { childrenCpu, cpuWindow } from './lib/cpu.mjs';
import { machine, quick, table } from './lib/measure.mjs';
import { arg, benchDir, has, median, parseRpcload, progress, rpcloadPath, version } from './lib/procs.mjs';
import { startRouter, routerArgs } from '../test/helpers/rawrouter.mjs';

const rounds = Number(arg('rounds', quick ? 1 : 5));
const secs = Number(arg('secs', quick ? 0.3 : 3));
const conns = Number(arg('conns', 32));
const routerProcesses = Number(arg('router-processes', 1));
const PROCESSES = 2; // per node: this machine's cores, as the deployment in the README says
const root = join(benchDir, '..');
const BIN = join(root, 'bin', 'uwsgi-rpc.js');
const servers = join(benchDir, 'servers');
const PLUGINS = '/usr/lib/uwsgi/plugins';
const LOG_TAIL = 20; // lines of each log printed when the run fails
const skip = (why) => {
  process.stderr.write(`skipped: ${why}; the cluster suite is left out\n`);
  process.exit(0);
};

const reason = netnsUnavailable();
if (reason) skip(`network namespaces are unavailable (${reason})`);
if (!has('uwsgi', 'apt-get install uwsgi-core') || !existsSync(join(PLUGINS, 'rawrouter_plugin.so')))
  skip('uWSGI with its rawrouter plugin is not installed (apt-get install uwsgi-core)');
if (!existsSync(join(root, 'dist', 'src', 'index.js'))) skip('the package is not built (npm run build)');
const withPython = existsSync(join(PLUGINS, 'python3_plugin.so')) && existsSync(join(PLUGINS, 'rpc_plugin.so'));
if (!withPython)
  process.stderr.write(
    'skipped: uWSGI python3/rpc plugins are not installed (apt-get install uwsgi-plugin-python3); the uWSGI rows are left out\n',
  );

const NODES = ['n1', 'n2', 'n3'];
const OUR_PORT = 3031,
  PY_PORT = 3032;
// Router sockets: our pools of 1..3 nodes on 3061..3063, uWSGI's on 3071..3073.
const routerPort = (stack, n) => (stack === 'ours' ? 3060 : 3070) + n;
const stacks = withPython ? ['ours', 'uwsgi'] : ['ours'];
const STACK = { ours: 'uwsgi-rpc', uwsgi: 'uWSGI python3' };
const MODES = { percall: 'connection per call', keepalive: 'keep-alive' };
const FUNC = ['echo', 'aaa', 'bbbbb'];

rpcloadPath(); // built (or its absence reported) before the lab is made
const lab = createLab(['router', ...NODES, 'client']);
const forgetLab = register({ stop: () => lab.destroy(), kill: () => lab.destroyNow() });
const logs = tempDir('bench-cluster-');
const ipOf = (h) => lab.ip(h);
const key = (stack, n) => `${ipOf('router')}:${routerPort(stack, n)}`;
const nodeName = (stack, h) => `${ipOf(h)}:${stack === 'ours' ? OUR_PORT : PY_PORT}`;
const pids = {}; // label -> pid, for the CPU windows
let router;

/** The last lines of every log, for a failed run (the folder goes with the run). */
function printLogs() {
  for (const f of readdirSync(logs)) {
    const lines = readFileSync(join(logs, f), 'utf8').trimEnd().split('\n').slice(-LOG_TAIL);
    process.stderr.write(`--- ${f} (last ${lines.length} lines) ---\n${lines.join('\n')}\n`);
  }
}

const ourArgs = (h, keys, sub) => [
  BIN,
  'serve',
  '--socket',
  nodeName('ours', h),
  '--import',
  join(servers, 'functions.mjs'),
  '--processes',
  String(PROCESSES),
  ...keys.flatMap((k) => ['--subscribe-to', `${sub}:${k}`]),
];
const pyArgs = (h, keys, sub) => [
  '--plugin',
  'python3,rpc',
  '--master',
  '--no-orphans',
  '--processes',
  String(PROCESSES),
  '--socket',
  nodeName('uwsgi', h),
  '--disable-logging',
  '--buffer-size',
  '65535',
  '--python-path',
  servers,
  '--import',
  'echo',
  ...keys.flatMap((k) => ['--subscribe-to', `${sub}:${k}`]),
];

/** Each case: what rpcload targets from the client host, and which nodes it should reach. */
const cases = [];
for (const stack of stacks) {
  cases.push({ stack, mode: 'percall', n: 1, direct: true, target: nodeName(stack, 'n1') });
  if (stack === 'ours') cases.push({ stack, mode: 'keepalive', n: 1, direct: true, target: nodeName(stack, 'n1') });
}
for (const stack of stacks) {
  for (let n = 1; n <= NODES.length; n++) {
    for (const mode of stack === 'ours' ? ['percall', 'keepalive'] : ['percall'])
      cases.push({ stack, mode, n, direct: false, target: key(stack, n) });
  }
}
const caseLabel = (c) =>
  `${STACK[c.stack]}, ${c.direct ? '1 node direct (no router)' : `${c.n} node${c.n > 1 ? 's' : ''} via rawrouter`}, ${MODES[c.mode]}`;
const rpcloadFlags = (c) => [...(c.mode === 'keepalive' ? ['-k'] : []), '-c', String(conns)];

async function call(target) {
  const r = await lab.run('client', process.execPath, [BIN, 'call', '--timeout', '5000', target, ...FUNC]);
  if (r.code !== 0 || r.stdout !== 'aaa|bbbbb')
    throw new Error(`echo via ${target} answered ${JSON.stringify(r.stdout)} (exit ${r.code}): ${r.stderr}`);
}

/** One rpcload run of case c, with the CPU of every process over its window and the router's split across nodes. */
async function measure(c, s) {
  const before = c.direct ? null : (await router.pools()).get(c.target);
  const end = cpuWindow(pids);
  const r = await lab.run(
    'client',
    'bash',
    [
      '-c',
      '"$@"; rc=$?; times; exit $rc',
      'bash',
      rpcloadPath(),
      ...rpcloadFlags(c),
      '-d',
      String(s),
      c.target,
      ...FUNC,
    ],
    { timeoutMs: s * 1000 + 30_000 },
  );
  const cpu = end();
  if (r.code !== 0) throw new Error(`rpcload ${caseLabel(c)} exited ${r.code ?? r.signal}: ${r.stderr}${r.stdout}`);
  const x = parseRpcload(r.stdout.split('\n')[0]);
  const nodes = NODES.slice(0, c.n);
  x.cpu = {
    machine: cpu.machine,
    router: cpu.trees.router,
    nodes: nodes.map((h) => cpu.trees[`${c.stack} ${h}`]),
    allNodes: Object.entries(cpu.trees)
      .filter(([k]) => k !== 'router')
      .reduce((a, [, v]) => a + v, 0),
    rpcload: childrenCpu(r.stdout, cpu.secs),
  };
  x.cpu.rest = x.cpu.machine - x.cpu.router - x.cpu.allNodes - x.cpu.rpcload;
  if (!c.direct) {
    // The router's per-node request counters (connections it opened to each node) over the window.
    const after = (await router.pools()).get(c.target);
    x.split = nodes.map(
      (h) => (after.get(nodeName(c.stack, h))?.requests ?? 0) - (before.get(nodeName(c.stack, h))?.requests ?? 0),
    );
  }
  return x;
}

/** % of one core the machine is busy while the cluster idles: the other work on it. */
async function background(s) {
  const end = cpuWindow({});
  await new Promise((r) => setTimeout(r, s * 1000));
  return end().machine;
}

const results = new Map(cases.map((c) => [c, []]));
const idle = [];
const commands = [];
const loadBefore = os.loadavg();
const startedAt = new Date();
try {
  for (const h of lab.hosts) {
    // Per namespace, gone with the lab. A connection per call leaves TIME_WAIT on the side that
    // closes first (rpcload, since our nodes keep connections open for the next call; the router
    // toward nodes): thousands of calls/s run out of ephemeral ports in seconds, and the
    // default tw_reuse=2 reuses them on loopback only (tried without: our node fell from ~2k/s
    // to ~160/s by the third 4 s run).
    const r = await lab.run(h, 'sysctl', [
      '-q',
      '-w',
      'net.ipv4.tcp_tw_reuse=1',
      'net.ipv4.ip_local_port_range=1024 65535',
    ]);
    if (r.code !== 0) throw new Error(`sysctl in ${h}: ${r.stderr}`);
  }
  const sockets = stacks.flatMap((s) => NODES.map((_, i) => key(s, i + 1)));
  const extra = routerProcesses > 1 ? ['--rawrouter-processes', String(routerProcesses)] : [];
  router = await startRouter(lab, 'router', sockets, join(logs, 'router.log'), extra);
  pids.router = router.proc.child.pid;
  commands.push(`router: uwsgi ${routerArgs(ipOf('router'), sockets, extra).join(' ')}`);
  // Node nX is in the pools of X..3 nodes.
  const keysOf = (stack, i) => NODES.slice(i).map((_, j) => key(stack, i + j + 1));
  const starting = [];
  for (const [i, h] of NODES.entries()) {
    const ours = ourArgs(h, keysOf('ours', i), router.subscriptionServer);
    const p = lab.spawn(h, process.execPath, ours, { log: join(logs, `${h}-ours.log`), stopSignal: 'SIGINT' });
    pids[`ours ${h}`] = p.child.pid;
    starting.push(lab.waitListening(h, nodeName('ours', h), { child: p.child }));
    commands.push(`${h}: node ${ours.join(' ')}`);
    if (withPython) {
      const py = pyArgs(h, keysOf('uwsgi', i), router.subscriptionServer);
      const q = lab.spawn(h, 'uwsgi', py, { log: join(logs, `${h}-uwsgi.log`), stopSignal: 'SIGINT' });
      pids[`uwsgi ${h}`] = q.child.pid;
      starting.push(lab.waitListening(h, nodeName('uwsgi', h), { child: q.child }));
      commands.push(`${h}: uwsgi ${py.join(' ')}`);
    }
  }
  await Promise.all(starting);
  await router.waitPools(
    Object.fromEntries(
      stacks.flatMap((s) => NODES.map((_, i) => [key(s, i + 1), NODES.slice(0, i + 1).map((h) => nodeName(s, h))])),
    ),
  );
  for (const c of cases) if (c.mode === 'percall') await call(c.target); // every path answers right before any load
  for (const c of cases)
    commands.push(
      `client: rpcload ${rpcloadFlags(c).join(' ')} -d ${secs} ${c.target} ${FUNC.join(' ')}   # ${caseLabel(c)}`,
    );
  process.stderr.write(
    `bench cluster: ${cases.length} cases, ${rounds} rounds x ${secs}s, rpcload -c ${conns}, nodes --processes ${PROCESSES}, router processes ${routerProcesses}\n`,
  );

  // Warm-up: one whole round, not counted (JIT, workers; a first round ran 10-30% slower on every row, uWSGI's too).
  if (!quick) for (const c of cases) await measure(c, secs);
  for (let r = 0; r < rounds; r++) {
    idle.push(await background(quick ? 0.2 : 1));
    progress(`round ${r + 1}/${rounds}: machine busy with the cluster idle: ${idle.at(-1).toFixed(0)}%`);
    for (const c of cases) {
      const x = await measure(c, secs);
      results.get(c).push(x);
      progress(
        `round ${r + 1}/${rounds} ${caseLabel(c)}: ${Math.round(x.rate)}/s errors=${x.errors} cpu machine=${x.cpu.machine.toFixed(0)}% router=${x.cpu.router.toFixed(0)}% nodes=${x.cpu.nodes.map((v) => v.toFixed(0)).join('+')}% rpcload=${x.cpu.rpcload.toFixed(0)}%${x.split ? ` split=${x.split.join('/')}` : ''}`,
      );
    }
  }
} catch (e) {
  await lab.destroy(); // stopped first: the logs are whole
  if (!stopping()) printLogs(); // on a signal the folder may be gone already
  throw e;
} finally {
  await lab.destroy();
  forgetLab();
  removeDir(logs);
}
const loadAfter = os.loadavg();
const endedAt = new Date();

// --- report ---
const k = (v) => (v >= 1000 ? `${(v / 1000).toFixed(1)}k` : `${Math.round(v)}`);
const rates = (c) => results.get(c).map((x) => x.rate);
const med = (c) => median(rates(c));
const spread = (c) => {
  const r = rates(c);
  return r.length > 1 ? ` (${k(Math.min(...r))}-${k(Math.max(...r))})` : '';
};
const find = (stack, mode, n, direct) =>
  cases.find((c) => c.stack === stack && c.mode === mode && c.n === n && c.direct === direct);
const cell = (c) => (c ? `${k(med(c))}/s${spread(c)}` : '-');
const errorsOf = (cs) => cs.filter(Boolean).reduce((n, c) => n + results.get(c).reduce((m, x) => m + x.errors, 0), 0);
const columns = [['ours', 'percall'], ['ours', 'keepalive'], ...(withPython ? [['uwsgi', 'percall']] : [])];
const rowsFor = (n, direct) => columns.map(([s, m]) => find(s, m, n, direct));
const callRows = [
  ['1 node, direct (no router)', ...rowsFor(1, true).map(cell), String(errorsOf(rowsFor(1, true)))],
  ...NODES.map((_, i) => [
    `${i + 1} node${i ? 's' : ''} behind the rawrouter`,
    ...rowsFor(i + 1, false).map(cell),
    String(errorsOf(rowsFor(i + 1, false))),
  ]),
];
const callsMd = table(
  ['nodes (each --processes 2)', ...columns.map(([s, m]) => `${STACK[s]}, ${MODES[m]}`), 'errors'],
  callRows,
);

const mc = (c, f) => median(results.get(c).map((x) => f(x.cpu)));
const pct = (v) => `${Math.round(v)}%`;
const splitOf = (c) => {
  if (c.direct) return '-';
  const tot = results
    .get(c)
    .map((x) => x.split)
    .reduce((a, s) => a.map((v, i) => v + s[i]));
  const sum = tot.reduce((a, b) => a + b, 0);
  return sum ? tot.map((v) => `${Math.round((100 * v) / sum)}`).join('/') : '-';
};
const cpuRows = cases.map((c) => [
  caseLabel(c),
  `${k(med(c))}/s`,
  pct(mc(c, (u) => u.machine)),
  pct(mc(c, (u) => u.router)),
  `${pct(mc(c, (u) => u.nodes.reduce((a, b) => a + b, 0)))} (${NODES.slice(0, c.n)
    .map((_, i) => Math.round(mc(c, (u) => u.nodes[i])))
    .join(' + ')})`,
  pct(mc(c, (u) => u.rpcload)),
  pct(mc(c, (u) => u.rest)),
  splitOf(c),
]);
const cores = os.cpus().length;
const cpuMd = table(
  [
    'case',
    'calls/s',
    `machine busy (of ${cores * 100}%)`,
    'router',
    'nodes (each)',
    'rpcload',
    'rest',
    'router split across nodes (%)',
  ],
  cpuRows,
);

const ratioLine = (stack, mode) => {
  const m = NODES.map((_, i) => med(find(stack, mode, i + 1, false)));
  const d = med(find(stack, mode, 1, true));
  return `${STACK[stack]}, ${MODES[mode]}: 2 nodes / 1 node ${(m[1] / m[0]).toFixed(2)}x, 3 nodes / 1 node ${(m[2] / m[0]).toFixed(2)}x; 1 node via the router / direct ${(m[0] / d).toFixed(2)}x`;
};
const ratios = columns.map(([s, m]) => `- ${ratioLine(s, m)}`).join('\n');
const idleLine = `machine busy while the cluster idled (1 s before each round, other work on the machine): ${idle.map((v) => pct(v)).join(', ')}`;

console.log(
  `\n### Cluster: echo calls/s through uWSGI's rawrouter, rpcload -c ${conns} from its own namespace (${machine()}; medians of ${rounds} paired rounds of ${secs}s, min-max in brackets)\n\n${callsMd}\n\n${ratios}\n\nCPU over each measure window (medians, % of one core; "rest" = machine busy minus router, nodes and rpcload: the kernel's network work outside those processes, and anything else running). ${idleLine}.\n\n${cpuMd}\n`,
);

const versions = [
  [
    'uwsgi-rpc',
    `${JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).version} (commit ${version('git', ['-C', root, 'rev-parse', '--short', 'HEAD'])})`,
  ],
  ['Node', process.version],
  [
    'uWSGI',
    `${version('uwsgi', ['--version'])} (python3 plugin ${version('dpkg-query', ['-W', '-f', '${Version}', 'uwsgi-plugin-python3'])})`,
  ],
  ['Python', version('python3', ['--version'], /Python \S+/)],
  ['kernel', `${os.type()} ${os.release()}`],
  ['rpcload', 'bench/rpcload.c, cc -O2'],
];
const md = arg('md');
// The run's own options, without the output files run.mjs adds.
const own = process.argv
  .slice(2)
  .filter((a, i, all) => !['--json', '--md'].includes(a) && !['--json', '--md'].includes(all[i - 1]));
const command = ['npm run bench -- cluster', ...own].join(' ');
if (md) {
  const when = `${startedAt.toISOString().slice(0, 16).replace('T', ' ')}-${endedAt.toISOString().slice(11, 16)} UTC`;
  writeFileSync(
    md,
    `# Cluster benchmark: 1, 2 and 3 nodes behind uWSGI's rawrouter

Generated by \`${command}\` (bench/cluster.bench.mjs: ${rounds} rounds of ${secs} s) on ${when}.
Machine: ${machine()}. Load average before / after: ${loadBefore.map((v) => v.toFixed(2)).join(' ')} / ${loadAfter.map((v) => v.toFixed(2)).join(' ')}.

Every host is a network namespace on this one machine (test/helpers/netns.mjs: a bridge, one veth per
host): router, n1, n2, n3, client. Each node runs \`--processes ${PROCESSES}\` (this machine's cores) and
subscribes to one uWSGI rawrouter (${routerProcesses} router process${routerProcesses > 1 ? 'es' : ''}), which has a socket, and so a
subscription key and a pool, per node count and stack: every row goes through the same router process
with all nodes running. rpcload runs in the client namespace: echo(aaa, bbbbb), ${conns} connections,
a new connection per call (uWSGI's model: the router balances connections, so calls) or keep-alive (-k:
the router pins each connection to one node; uWSGI's nodes close after each answer, so they have no
keep-alive column). The namespaces set net.ipv4.tcp_tw_reuse=1 and ip_local_port_range 1024-65535, as a
busy router host would: a connection per call leaves TIME_WAIT on the side that closes first and runs out
of ephemeral ports within seconds otherwise (the default tw_reuse=2 reuses them on loopback only).

**All of it shares ${cores} cores**: the router, ${NODES.length} nodes x ${PROCESSES} processes and the load generator.
More nodes cannot add calls/s once the cores are busy; the CPU table shows where the time went.

## Calls/s

${callsMd}

${ratios}

## CPU over each measure window

Medians, % of one core (${cores} cores = ${cores * 100}%). "rest" = machine busy minus router, nodes and rpcload:
the kernel's network work not charged to those processes, and anything else running. ${idleLine}.

${cpuMd}

## Versions

${table(['tool', 'version'], versions)}

## Commands

\`\`\`
${commands.map((c) => c.split(root).join('.')).join('\n')}
\`\`\`
`,
  );
  process.stderr.write(`wrote ${md}\n`);
}
const j = arg('json');
if (j) {
  writeFileSync(
    j,
    JSON.stringify(
      {
        commands,
        rounds,
        secs,
        conns,
        routerProcesses,
        idle,
        cases: cases.map((c) => ({
          label: caseLabel(c),
          stack: c.stack,
          mode: c.mode,
          nodes: c.n,
          direct: c.direct,
          median: med(c),
          results: results.get(c),
        })),
      },
      null,
      2,
    ),
  );
}
