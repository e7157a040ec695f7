// A real uWSGI rawrouter inside a netns lab (test/helpers/netns.mjs), for the cluster tests
// (test/cluster/cluster.ts: one socket) and the cluster benchmark (bench/cluster.bench.mjs:
// one router process with several sockets). A rawrouter's subscription key is the socket the
// client reached, so each socket is a pool of its own: the benchmark measures every
// configuration through the same router process, with every node kept running across rounds.
//
// uWSGI 2.0.21's rawrouter SEGFAULTS when a client connects to a key whose pool is empty:
// nothing may connect to a socket before waitPools() has seen its nodes, so readiness is
// read from the stats server (one JSON document on connect), never by probing a socket.

const SUBSCRIPTION_PORT = 7000;
const STATS_PORT = 7001;

/** Router args: its sockets (IP:PORT each, also their keys), subscription and stats servers. */
export const routerArgs = (ip, sockets, extra = []) => [
  '--plugin',
  'rawrouter',
  '--master',
  '--no-orphans',
  ...sockets.flatMap((s) => ['--rawrouter', s]),
  '--rawrouter-subscription-server',
  `${ip}:${SUBSCRIPTION_PORT}`,
  '--rawrouter-stats',
  `${ip}:${STATS_PORT}`,
  ...extra,
];

/**
 * Starts the router on `host` serving `sockets` and returns { proc, subscriptionServer,
 * stats(), pools(), waitPools(want) }; pools() maps key -> node name ('IP:PORT') -> the stats' node.
 */
export async function startRouter(lab, host, sockets, log, extra = []) {
  const ip = lab.ip(host);
  const proc = lab.spawn(host, 'uwsgi', routerArgs(ip, sockets, extra), { log, stopSignal: 'SIGINT' });
  await lab.waitListening(host, `${ip}:${STATS_PORT}`, { child: proc.child });

  /** The stats server's document: { pid, subscriptions: [{ key, nodes: [...] }], ... }. */
  async function stats() {
    // it writes one JSON document on connect and closes; the lab is out of the test process's reach
    const r = await lab.run(host, 'bash', ['-c', 'exec 3<>"/dev/tcp/$0/$1" && cat <&3', ip, String(STATS_PORT)], {
      timeoutMs: 5_000,
    });
    if (r.code !== 0) throw new Error(`router stats at ${ip}:${STATS_PORT}: ${r.stderr || `exit ${r.code}`}`);
    return JSON.parse(r.stdout);
  }

  async function pools() {
    return new Map((await stats()).subscriptions.map((s) => [s.key, new Map(s.nodes.map((n) => [n.name, n]))]));
  }

  /** Waits until every key in `want` (key -> node names) has exactly those nodes, none marked dead. */
  async function waitPools(want, timeoutMs = 20_000) {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const p = await pools();
      const ok = Object.entries(want).every(([key, names]) => {
        const nodes = p.get(key) ?? new Map();
        return nodes.size === names.length && names.every((n) => nodes.get(n)?.death_mark === 0);
      });
      if (ok) return p;
      if (Date.now() > until) {
        const seen = Object.fromEntries([...p].map(([k, nodes]) => [k, [...nodes.keys()]]));
        throw new Error(
          `router pools not as wanted after ${timeoutMs} ms: want ${JSON.stringify(want)}, have ${JSON.stringify(seen)}\n--- router log ---\n${proc.logText()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  return { proc, subscriptionServer: `${ip}:${SUBSCRIPTION_PORT}`, stats, pools, waitPools };
}
