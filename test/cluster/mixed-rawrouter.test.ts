// Our nodes in a uWSGI cluster across network namespaces: a uWSGI 2.0 rawrouter on one host,
// a uWSGI python node and two of our nodes on three others, the caller on a fifth. Our nodes
// subscribe with `serve --subscribe-to` exactly as the uWSGI node does (see
// uwsgi-rawrouter.test.ts for the uWSGI-only baseline and what uWSGI itself does):
// - js1 runs --processes 2, so it announces weight 2 and gets twice the calls;
// - js2 listens on 0.0.0.0 and announces the address that reaches the router (its lab IP).
// Where the baseline shows a uWSGI node losing the calls in flight when it stops gracefully,
// ours must lose none: it unsubscribes, keeps accepting for --unsubscribe-grace, then drains.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createLab, netnsUnavailable, type Lab, type LabProcess } from '../helpers/netns.mjs';
import { requirePeer } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import {
  type CallerResult,
  callingDuring,
  DIST_ENTRY,
  hasUwsgiPlugins,
  live,
  NODE_PORT,
  type PoolNode,
  type Router,
  runCaller,
  startOurNode,
  startRouter,
  startUwsgiNode,
} from './cluster.js';

const reason = netnsUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer(
    'uwsgi with the rawrouter, python3 and rpc plugins',
    hasUwsgiPlugins('rawrouter', 'python3', 'rpc'),
    'apt-get install uwsgi-core uwsgi-plugin-python3',
  );

const CONCURRENCY = 8;
const NODES = ['py', 'js1', 'js2'] as const;
type NodeName = (typeof NODES)[number];

describe.skipIf(!usable)('our nodes and a uWSGI node behind a uWSGI rawrouter, across network namespaces', () => {
  let lab: Lab;
  let dir: string;
  let router: Router;
  let routerPid: number;
  const nodes = new Map<NodeName, LabProcess>();

  const addr = (n: NodeName): string => `${lab.ip(n)}:${NODE_PORT}`;
  const requests = (pool: Map<string, PoolNode>, n: NodeName): number => pool.get(addr(n))?.requests ?? 0;
  const logs = (): string =>
    [['router', router?.proc] as const, ...NODES.map((n) => [n, nodes.get(n)] as const)]
      .map(([h, p]) => `--- ${h} ---\n${p?.logText() ?? ''}`)
      .join('\n');

  async function start(n: NodeName): Promise<LabProcess> {
    switch (n) {
      case 'py':
        return startUwsgiNode(lab, n, router, dir);
      case 'js1':
        return startOurNode(lab, n, router, dir, ['--processes', '2']);
      // listens on every interface of its host: the announce must carry the routable address
      case 'js2':
        return startOurNode(lab, n, router, dir, [], `0.0.0.0:${NODE_PORT}`);
    }
  }

  /** Starts whichever node is not running and waits until the router has all three live. */
  async function allInPool(): Promise<Map<string, PoolNode>> {
    for (const n of NODES) {
      const p = nodes.get(n);
      if (!p || p.child.exitCode !== null || p.child.signalCode !== null) nodes.set(n, await start(n));
    }
    return router.waitPool((p) => NODES.every((n) => live(p, addr(n))), 'py, js1 and js2 live');
  }

  /** `n` leaves (how), while calls run; returns the caller's counts. */
  function leaving(n: NodeName, how: (p: LabProcess) => Promise<void>, extra: string[] = []): Promise<CallerResult> {
    return callingDuring(
      lab,
      'client',
      router,
      dir,
      CONCURRENCY,
      async (s) => {
        await router.waitPool(
          (p) => NODES.every((x) => requests(p, x) >= requests(s, x) + 50),
          'every node answering the caller',
        );
        await how(nodes.get(n)!);
        const left = await router.waitPool((p) => !live(p, addr(n)), `${n} out of the pool`);
        const others = NODES.filter((x) => x !== n);
        await router.waitPool(
          (p) => others.every((x) => requests(p, x) >= requests(left, x) + 100),
          'the others answering alone',
        );
      },
      extra,
    );
  }

  beforeAll(async () => {
    if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing: run npm run build`);
    dir = tempDir();
    lab = createLab(['router', 'py', 'js1', 'js2', 'client']);
    router = await startRouter(lab, 'router', dir);
    await allInPool();
    routerPid = (await router.stats()).pid;
  });

  afterAll(async () => {
    await lab?.destroy();
    if (dir) removeDir(dir);
  });

  it('the router records our nodes as uWSGI nodes: weight and cores from --processes, the routable address for 0.0.0.0', async () => {
    const pool = await router.pool();
    expect([...pool.keys()].sort()).toEqual(NODES.map(addr).sort());
    expect(pool.get(addr('py'))).toMatchObject({ weight: 1, cores: 1, modifier1: 0 });
    expect(pool.get(addr('js1'))).toMatchObject({ weight: 2, cores: 2, modifier1: 0 });
    expect(pool.get(addr('js2'))).toMatchObject({ weight: 1, cores: 1, modifier1: 0 });
    expect(nodes.get('js2')!.logText()).toMatch(/uwsgi socket on 0\.0\.0\.0:/);
  });

  it('calls through the router reach every node, by weight (1:2:1)', async () => {
    const r = await runCaller(lab, 'client', ['--target', router.address, '--calls', '400', '--concurrency', '4']);
    expect(r, logs()).toMatchObject({ calls: 400, ok: 400, failed: 0 });
    // weighted round robin: 100 cycles of py, js1, js1, js2 (give or take the cycle a test before left open)
    expect(Math.abs(r.byAnswer.py - 100)).toBeLessThanOrEqual(2);
    expect(Math.abs(r.byAnswer.js1 - 200)).toBeLessThanOrEqual(4);
    expect(Math.abs(r.byAnswer.js2 - 100)).toBeLessThanOrEqual(2);
  });

  it('our node leaving on SIGINT while calls run costs no call (per-call connections)', async () => {
    await allInPool();
    const r = await leaving('js1', (p) => p.stop());
    expect(r.failed, `${JSON.stringify(r.errors)}\n${logs()}`).toBe(0);
    expect(r.byAnswer.js1).toBeGreaterThanOrEqual(50);
    // left by its unsubscribe, not by a failed connect
    expect(router.proc.logText()).toMatch(
      new RegExp(`\\[uWSGI rawrouter pid \\d+\\] \\S+ => marking ${addr('js1').replace(/\./g, '\\.')} as failed`),
    );
    expect(router.proc.logText()).not.toMatch(
      new RegExp(`unable to connect\\(\\) to node "${addr('js1').replace(/\./g, '\\.')}"`),
    );
  });

  it('a single-process node of ours leaving on SIGINT costs no call either; it comes back when restarted', async () => {
    await allInPool();
    const r = await leaving('js2', (p) => p.stop());
    expect(r.failed, `${JSON.stringify(r.errors)}\n${logs()}`).toBe(0);
    const back = await allInPool();
    expect(live(back, addr('js2'))).toBe(true);
    const after = await runCaller(lab, 'client', ['--target', router.address, '--calls', '40', '--concurrency', '4']);
    expect(after.failed).toBe(0);
    expect(after.byAnswer.js2).toBeGreaterThan(0);
  });

  it('our node killed hard costs only calls that reached it as it died (NO_ANSWER); the router retries the rest elsewhere', async () => {
    await allInPool();
    const r = await leaving('js1', async (p) => {
      await p.kill('SIGKILL'); // primary and workers: the process group
      // the workers go with the primary (they may be reaped a moment later)
      for (let i = 0; execFileSync('ip', ['netns', 'pids', lab.ns('js1')], { encoding: 'utf8' }).trim() !== ''; i++) {
        if (i === 100)
          throw new Error(
            `processes left in js1 after SIGKILL: ${execFileSync('ip', ['netns', 'pids', lab.ns('js1')], { encoding: 'utf8' })}`,
          );
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    console.info(`our node killed hard: ${r.failed} of ${r.calls} calls failed ${JSON.stringify(r.errors)}`);
    // Each caller has one call in flight; while the node's processes die, its kernel can still
    // accept a caller's next call before the socket goes, and that one is reset too (measured
    // 1-10 with 8 callers). Every failure is the typed NO_ANSWER, and a few per caller at most.
    expect(Object.keys(r.errors), logs()).toEqual(r.failed === 0 ? [] : ['NO_ANSWER']);
    expect(r.failed, logs()).toBeLessThanOrEqual(2 * CONCURRENCY);
    const rest = await runCaller(lab, 'client', ['--target', router.address, '--calls', '60', '--concurrency', '4']);
    expect(rest).toMatchObject({ calls: 60, ok: 60, failed: 0 });
    expect(Object.keys(rest.byAnswer).sort()).toEqual(['js2', 'py']);
  });

  it('the rawrouter never crashed meanwhile (same gateway pid)', async () => {
    expect((await router.stats()).pid).toBe(routerPid);
  });
});
