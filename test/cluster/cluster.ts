// Pieces shared by the cluster tests: a real uWSGI rawrouter with a subscription server and
// a stats server, uWSGI nodes that subscribe to it, the router's pool as its stats report it,
// and the caller fixture run from a client host. All of it lives in a netns lab
// (test/helpers/netns.mjs): the test process cannot reach lab addresses, so everything that
// talks to the cluster runs inside a lab host.
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import type { Lab, LabProcess } from '../helpers/netns.mjs';
import { which } from '../helpers/peers.js';
import { startRouter as startSharedRouter } from '../helpers/rawrouter.mjs';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const CALLER = join(FIXTURES, 'caller.mjs');
export const DIST_ENTRY = join(import.meta.dirname, '../../dist/src/index.js');
const BIN = join(import.meta.dirname, '../../bin/uwsgi-rpc.js');
const PLUGIN_DIR = '/usr/lib/uwsgi/plugins';

/** Ports every lab host uses (labs are isolated, so fixed ports cannot collide). */
const ROUTER_PORT = 3060;
export const NODE_PORT = 3031;

/** The uWSGI binary and these plugins (Debian ships each as its own .so) are installed. */
export function hasUwsgiPlugins(...plugins: string[]): boolean {
  return which('uwsgi') !== null && plugins.every((p) => existsSync(join(PLUGIN_DIR, `${p}_plugin.so`)));
}

/** One node of a subscription pool, as uWSGI's corerouter stats server reports it. */
export interface PoolNode {
  name: string;
  requests: number;
  weight: number;
  cores: number;
  modifier1: number;
  modifier2: number;
  failcnt: number;
  death_mark: number;
  ref: number;
}

interface RouterStats {
  pid: number;
  active_sessions: number;
  subscriptions: { key: string; hits: number; nodes: PoolNode[] }[];
}

export interface Router {
  proc: LabProcess;
  /** Where clients send calls: the rawrouter's socket, which is also its subscription key. */
  address: string;
  key: string;
  /** The UDP subscription server, as nodes' --subscribe-to SERVER:KEY wants it. */
  subscriptionServer: string;
  stats(): Promise<RouterStats>;
  /** The pool's nodes by name ('IP:PORT'); empty when the key has no pool. */
  pool(): Promise<Map<string, PoolNode>>;
  /** Polls the stats until `ok(pool)`; fails after timeoutMs with the last pool seen. */
  waitPool(
    ok: (pool: Map<string, PoolNode>) => boolean,
    what: string,
    timeoutMs?: number,
  ): Promise<Map<string, PoolNode>>;
}

/**
 * A uWSGI rawrouter on `host`, balancing its own socket's key over subscribed nodes
 * (test/helpers/rawrouter.mjs starts it; nothing connects to `address` before a node is in
 * the pool: this uWSGI's rawrouter segfaults on a connection to an empty pool).
 */
export async function startRouter(lab: Lab, host: string, dir: string, extra: string[] = []): Promise<Router> {
  const address = `${lab.ip(host)}:${ROUTER_PORT}`;
  const router = await startSharedRouter(lab, host, [address], join(dir, `${host}.log`), extra);
  const stats = router.stats as () => Promise<RouterStats>;
  async function pool(): Promise<Map<string, PoolNode>> {
    return ((await router.pools()).get(address) as Map<string, PoolNode> | undefined) ?? new Map();
  }
  async function waitPool(
    ok: (p: Map<string, PoolNode>) => boolean,
    what: string,
    timeoutMs = 15_000,
  ): Promise<Map<string, PoolNode>> {
    const until = Date.now() + timeoutMs;
    for (;;) {
      const p = await pool();
      if (ok(p)) return p;
      if (Date.now() > until) {
        throw new Error(
          `router pool: ${what} not reached after ${timeoutMs} ms; pool: ${JSON.stringify([...p.values()])}\n--- router log ---\n${router.proc.logText()}`,
        );
      }
      await new Promise((r) => setTimeout(r, 50));
    }
  }
  return {
    proc: router.proc,
    address,
    key: address,
    subscriptionServer: router.subscriptionServer,
    stats,
    pool,
    waitPool,
  };
}

/** A node listed in the pool and not marked dead: the router may send it calls. */
export const live = (pool: Map<string, PoolNode>, name: string): boolean => (pool.get(name)?.death_mark ?? 1) === 0;

/**
 * A real uWSGI node on `host` (python3 + rpc plugins, one worker) serving test/cluster/
 * fixtures/who.py, whose `who` answers `host`, subscribed to `router` and re-announcing
 * every second. Stop it with SIGINT (its stopSignal); on SIGINT it sends the unsubscribe.
 */
export async function startUwsgiNode(
  lab: Lab,
  host: string,
  router: Router,
  dir: string,
  extra: string[] = [],
): Promise<LabProcess> {
  const address = `${lab.ip(host)}:${NODE_PORT}`;
  const proc = lab.spawn(
    host,
    'uwsgi',
    [
      // --no-orphans: a worker whose master is SIGKILLed dies at once (PR_SET_PDEATHSIG)
      // instead of noticing it on its next wake-up.
      '--plugin',
      'python3,rpc',
      '--master',
      '--no-orphans',
      '--socket',
      address,
      '--import',
      join(FIXTURES, 'who.py'),
      '--env',
      `NODE_NAME=${host}`,
      '--subscribe-to',
      `${router.subscriptionServer}:${router.key}`,
      '--subscribe-freq',
      '1',
      ...extra,
    ],
    { log: join(dir, `${host}.log`), stopSignal: 'SIGINT' },
  );
  await lab.waitListening(host, address, { child: proc.child });
  return proc;
}

/**
 * Our node (`uwsgi-rpc serve` from the built package) on `host`, serving fixtures/who.mjs
 * (`who` answers `host`), subscribed to `router` like startUwsgiNode's nodes. SIGINT makes
 * it unsubscribe, keep serving --unsubscribe-grace, then drain and exit. `listen`: another
 * --socket value (0.0.0.0:3031) that still reaches NODE_PORT on the host's address.
 */
export async function startOurNode(
  lab: Lab,
  host: string,
  router: Router,
  dir: string,
  extra: string[] = [],
  listen?: string,
): Promise<LabProcess> {
  const address = `${lab.ip(host)}:${NODE_PORT}`;
  const proc = lab.spawn(
    host,
    process.execPath,
    [
      BIN,
      'serve',
      '--socket',
      listen ?? address,
      '--import',
      join(FIXTURES, 'who.mjs'),
      '--subscribe-to',
      `${router.subscriptionServer}:${router.key}`,
      '--subscribe-freq',
      '1',
      ...extra,
    ],
    { log: join(dir, `${host}.log`), stopSignal: 'SIGINT', env: { ...process.env, NODE_NAME: host } },
  );
  await lab.waitListening(host, address, { child: proc.child });
  return proc;
}

/** What test/cluster/fixtures/caller.mjs prints. */
export interface CallerResult {
  calls: number;
  ok: number;
  failed: number;
  byAnswer: Record<string, number>;
  errors: Record<string, number>;
}

/**
 * Runs the caller on `host` with `args` (see caller.mjs) and returns its counts, having
 * checked that it ran and that every call is accounted for.
 */
export async function runCaller(lab: Lab, host: string, args: string[], timeoutMs = 60_000): Promise<CallerResult> {
  const r = await lab.run(host, process.execPath, [CALLER, ...args], { timeoutMs });
  expect(r.code, `caller exited ${r.code ?? r.signal}: ${r.stderr}`).toBe(0);
  const result = JSON.parse(r.stdout) as CallerResult;
  const answered = Object.values(result.byAnswer).reduce((a, b) => a + b, 0);
  const errors = Object.values(result.errors).reduce((a, b) => a + b, 0);
  expect(result.ok + result.failed, 'every call is ok or failed').toBe(result.calls);
  expect(answered, 'every ok call has an answer').toBe(result.ok);
  expect(errors, 'every failed call has an error code').toBe(result.failed);
  return result;
}

let untilFiles = 0;

/**
 * Runs the caller on `host` against the router until `during` is done (it gets the pool seen
 * just before the caller started), then lets it finish and returns its counts.
 */
export async function callingDuring(
  lab: Lab,
  host: string,
  router: Router,
  dir: string,
  concurrency: number,
  during: (start: Map<string, PoolNode>) => Promise<void>,
  extra: string[] = [],
): Promise<CallerResult> {
  const until = join(dir, `until-${process.pid}-${++untilFiles}`);
  const start = await router.pool();
  const calling = runCaller(lab, host, [
    '--target',
    router.address,
    '--until-file',
    until,
    '--concurrency',
    String(concurrency),
    ...extra,
  ]);
  calling.catch(() => {}); // awaited below; not unhandled meanwhile
  try {
    await during(start);
  } finally {
    writeFileSync(until, '');
  }
  return calling;
}
