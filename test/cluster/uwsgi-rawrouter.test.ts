// Baseline with real uWSGI only: a uWSGI 2.0 rawrouter with a subscription server, two
// uWSGI python nodes subscribed to it, and a caller, each host in its own network namespace
// (real TCP hops across a bridge). This pins down how the real cluster engine behaves, so
// the tests that mix in our nodes compare against facts. Observed here (uWSGI 2.0.21):
// - Balancing: with equal weights the router's WRR alternates strictly (200 calls -> 100/100).
// - Graceful stop (SIGINT): the master sends its unsubscribe FIRST, so the router marks the
//   node dead at once ("[uWSGI rawrouter pid N] KEY => marking ADDR as failed") and drops it
//   from the pool; but the master then kills its workers straight away, so calls the router
//   had already connected to that node (in the worker or its listen backlog) are lost: 0-3
//   NO_ANSWER failures per run at 8 calls in flight. The master FIFO's graceful 'q' loses
//   calls the same way. A uWSGI node cannot leave with zero failed calls; the bound is
//   the calls in flight.
// - Hard kill (SIGKILL of master and workers): the router learns it only from its next
//   connect, refused ("unable to connect() to node ... Connection refused", once in ~15
//   runs "... Connection reset by peer" for a connect caught in the dying backlog; then
//   "[uwsgi-rawrouter] KEY => marking ADDR as failed"); that call is retried on another
//   node (--rawrouter-max-retries, default 3) and succeeds. Calls already connected to the
//   killed node fail (4-8 of 8 in flight here). Killing only the master also kills its
//   worker ("my master disconnected: i will kill myself"; at once with --no-orphans).
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, netnsUnavailable, type Lab, type LabProcess } from '../helpers/netns.mjs';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import {
  type CallerResult,
  callingDuring as callingUntil,
  DIST_ENTRY,
  hasUwsgiPlugins,
  live,
  NODE_PORT,
  type PoolNode,
  type Router,
  runCaller,
  startRouter,
  startUwsgiNode,
} from './cluster.js';
import { escapeRegExp } from '../helpers/regex.js';

const reason = netnsUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer(
    'uwsgi with the rawrouter, python3 and rpc plugins',
    hasUwsgiPlugins('rawrouter', 'python3', 'rpc'),
    'apt-get install uwsgi-core uwsgi-plugin-python3',
  );

/** Calls in flight from the caller while a node leaves: the bound on calls a leave may cost. */
const CONCURRENCY = 8;
const NODES = ['n1', 'n2'] as const;
type NodeName = (typeof NODES)[number];

describe.skipIf(!usable)('uWSGI rawrouter with subscribed uWSGI nodes, across network namespaces', () => {
  let lab: Lab;
  let dir: string;
  let router: Router;
  let routerPid: number;
  const nodes = new Map<NodeName, LabProcess>();

  const addr = (n: NodeName): string => `${lab.ip(n)}:${NODE_PORT}`;
  const requests = (pool: Map<string, PoolNode>, n: NodeName): number => pool.get(addr(n))?.requests ?? 0;
  const logs = (): string =>
    ['router', ...NODES]
      .map((h) => `--- ${h} ---\n${(h === 'router' ? router?.proc : nodes.get(h as NodeName))?.logText() ?? ''}`)
      .join('\n');

  /** Starts whichever node is not running and waits until the router has both in its pool. */
  async function bothNodesInPool(): Promise<void> {
    for (const n of NODES) {
      const p = nodes.get(n);
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null)
        nodes.set(n, await startUwsgiNode(lab, n, router, dir));
    }
    await router.waitPool((p) => NODES.every((n) => live(p, addr(n))), 'n1 and n2 live');
  }

  const callingDuring = (during: (start: Map<string, PoolNode>) => Promise<void>): Promise<CallerResult> =>
    callingUntil(lab, 'client', router, dir, CONCURRENCY, during);

  beforeAll(async () => {
    if (!existsSync(DIST_ENTRY))
      throw new Error(`${DIST_ENTRY} is missing: run npm run build (the caller uses the built package)`);
    dir = tempDir();
    lab = createLab(['router', 'n1', 'n2', 'client']);
    router = await startRouter(lab, 'router', dir);
    await bothNodesInPool();
    routerPid = (await router.stats()).pid;
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) removeDir(dir);
  });

  it("the nodes subscribe with the router's own socket as key, weight 1 (one worker)", async () => {
    const pool = await router.pool();
    expect([...pool.keys()].sort()).toEqual([addr('n1'), addr('n2')].sort());
    for (const n of pool.values()) expect(n).toMatchObject({ weight: 1, cores: 1, modifier1: 0, death_mark: 0 });
  });

  it('calls through the router reach every node, a fair share each', async () => {
    const before = await router.pool();
    const r = await runCaller(lab, 'client', ['--target', router.address, '--calls', '200', '--concurrency', '4']);
    expect(r, logs()).toMatchObject({ calls: 200, ok: 200, failed: 0 });
    expect(Object.keys(r.byAnswer).sort()).toEqual(['n1', 'n2']);
    for (const n of NODES) expect(r.byAnswer[n]).toBeGreaterThanOrEqual(50);
    // The router's own count per node matches the answers counted by the caller.
    const after = await router.pool();
    for (const n of NODES) expect(requests(after, n) - requests(before, n)).toBe(r.byAnswer[n]);
  });

  it('a node stopped with SIGINT while calls run unsubscribes and leaves the pool; it costs at most the calls in flight', async () => {
    await bothNodesInPool();
    const r = await callingDuring(async (start) => {
      await router.waitPool(
        (p) => NODES.every((n) => requests(p, n) >= requests(start, n) + 100),
        'both nodes answering the caller',
      );
      await nodes.get('n2')!.stop();
      const left = await router.waitPool((p) => !live(p, addr('n2')), 'n2 gone');
      // Calls go on, to n1 alone.
      await router.waitPool((p) => requests(p, 'n1') >= requests(left, 'n1') + 200, 'n1 answering alone');
    });
    console.info(`uWSGI node leaving on SIGINT: ${r.failed} of ${r.calls} calls failed ${JSON.stringify(r.errors)}`);
    // The unsubscribe took it out (cr_common.c's log line, with "pid"), not a failed connect.
    expect(router.proc.logText()).toMatch(
      new RegExp(
        `\\[uWSGI rawrouter pid \\d+\\] ${escapeRegExp(router.key)} => marking ${escapeRegExp(addr('n2'))} as failed`,
      ),
    );
    expect(r.failed, logs()).toBeLessThanOrEqual(CONCURRENCY);
    expect(r.byAnswer.n1).toBeGreaterThanOrEqual(200);
    expect(r.byAnswer.n2).toBeGreaterThanOrEqual(100);
    // After the leave: every call answered, all by n1.
    const rest = await runCaller(lab, 'client', ['--target', router.address, '--calls', '100', '--concurrency', '4']);
    expect(rest).toMatchObject({ calls: 100, ok: 100, failed: 0, byAnswer: { n1: 100 } });
  });

  it('a node killed hard costs at most the calls in flight to it; the router retries the rest on another node', async () => {
    await bothNodesInPool();
    const n2 = nodes.get('n2')!;
    const r = await callingDuring(async (start) => {
      await router.waitPool(
        (p) => NODES.every((n) => requests(p, n) >= requests(start, n) + 100),
        'both nodes answering the caller',
      );
      await n2.kill('SIGKILL'); // master and workers: the whole process group
      expect(execFileSync('ip', ['netns', 'pids', lab.ns('n2')], { encoding: 'utf8' }).trim()).toBe('');
      // No unsubscribe came: the router learns it from a refused connect.
      const left = await router.waitPool((p) => !live(p, addr('n2')), 'n2 marked failed');
      await router.waitPool((p) => requests(p, 'n1') >= requests(left, 'n1') + 200, 'n1 answering alone');
    });
    console.info(`uWSGI node killed hard: ${r.failed} of ${r.calls} calls failed ${JSON.stringify(r.errors)}`);
    const log = router.proc.logText();
    // Refused, or reset when the connect landed in the backlog just before the kill: both
    // count as a failed connect, which the router retries elsewhere.
    expect(log).toMatch(
      new RegExp(
        `unable to connect\\(\\) to node "${escapeRegExp(addr('n2'))}" \\(0 retries\\): (Connection refused|Connection reset by peer)`,
      ),
    );
    expect(log).toMatch(
      new RegExp(`\\[uwsgi-rawrouter\\] ${escapeRegExp(router.key)} => marking ${escapeRegExp(addr('n2'))} as failed`),
    );
    expect(r.failed, logs()).toBeLessThanOrEqual(CONCURRENCY);
    const rest = await runCaller(lab, 'client', ['--target', router.address, '--calls', '100', '--concurrency', '4']);
    expect(rest).toMatchObject({ calls: 100, ok: 100, failed: 0, byAnswer: { n1: 100 } });
  });

  it('the rawrouter never crashed meanwhile (same gateway pid)', async () => {
    expect((await router.stats()).pid).toBe(routerPid);
  });
});
