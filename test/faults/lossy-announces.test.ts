// Subscriptions through lost announces: two of our nodes subscribed to a real uWSGI rawrouter
// across the network-namespace lab, re-announcing every second, one with 5% of its announce
// datagrams dropped (nftables in its namespace, UDP to the subscription server only) on a link
// that delays every frame 50 ms ± 20 each way (the lab's impair.c, so announces, and the calls
// the router sends it, also arrive late and out of order), while calls
// flow through the router. The router runs with a short --subscription-tolerance (3 s): a node
// whose announces stop leaves the pool within seconds once calls come (the test checks that too,
// dropping every announce at the end; the other node keeps the pool from going empty, which
// crashes this rawrouter). Through 5% loss the node must stay in the pool, live, and be called.
import { execFileSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { impairUnavailable } from '../helpers/impair.mjs';
import { createLab, type Lab, netnsUnavailable } from '../helpers/netns.mjs';
import { requirePeer, which } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import {
  DIST_ENTRY,
  NODE_PORT,
  type Router,
  hasUwsgiPlugins,
  live,
  runCaller,
  startOurNode,
  startRouter,
} from '../cluster/cluster.js';

const LOSS = 5;
const DELAY = 50;
const JITTER = 20;
const WATCH_MS = 20_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const reason = netnsUnavailable();
const impairReason = impairUnavailable();
const usable =
  requirePeer('network namespaces', reason === null, reason ?? '') &&
  requirePeer('nftables', which('nft') !== null, 'apt-get install nftables') &&
  requirePeer('TAP devices and cc', impairReason === null, impairReason ?? '') &&
  requirePeer('uwsgi with the rawrouter plugin', hasUwsgiPlugins('rawrouter'), 'apt-get install uwsgi-core');

describe.skipIf(!usable)(
  `a subscribed node through ${LOSS}% loss of its announces, ${DELAY} ms ± ${JITTER} away`,
  () => {
    let lab: Lab;
    let dir: string;
    let router: Router;
    let port: string;

    const nft = (args: string[], input?: string): string =>
      execFileSync('ip', ['netns', 'exec', lab.ns('node'), 'nft', ...args], { encoding: 'utf8', input });
    const dropped = (): number =>
      Number(/counter packets (\d+)/.exec(nft(['list', 'table', 'inet', 'lossy']))?.[1] ?? 0);

    beforeAll(async () => {
      if (!existsSync(DIST_ENTRY)) throw new Error(`${DIST_ENTRY} is missing: run npm run build`);
      dir = tempDir('faults-announces-');
      lab = createLab(['router', 'node', 'other', 'client'], {
        impair: { node: { delayMs: DELAY, jitterMs: JITTER } },
      });
      router = await startRouter(lab, 'router', dir, ['--subscription-tolerance', '3']);
      port = router.subscriptionServer.slice(router.subscriptionServer.lastIndexOf(':') + 1);
      nft(
        ['-f', '-'],
        `table inet lossy {
  chain out { type filter hook output priority 0; policy accept; oifname "eth0" udp dport ${port} numgen random mod 100 < ${LOSS} counter drop; }
}
`,
      );
      await startOurNode(lab, 'node', router, dir);
      await startOurNode(lab, 'other', router, dir);
    });

    afterAll(async () => {
      await lab?.destroy();
      if (dir) removeDir(dir);
    });

    it(`stays live in the router's pool for ${WATCH_MS / 1000} s of calls; every announce lost, it leaves`, async () => {
      const name = `${lab.ip('node')}:${NODE_PORT}`;
      const other = `${lab.ip('other')}:${NODE_PORT}`;
      await router.waitPool((p) => live(p, name) && live(p, other), 'both nodes live');
      const calling = runCaller(lab, 'client', [
        '--target',
        router.address,
        '--duration-ms',
        String(WATCH_MS),
        '--concurrency',
        '2',
      ]);
      const end = Date.now() + WATCH_MS;
      let samples = 0;
      while (Date.now() < end) {
        const pool = await router.pool();
        expect(live(pool, name), `sample ${samples}: ${JSON.stringify([...pool.values()])}`).toBe(true);
        samples++;
        await sleep(250);
      }
      const r = await calling;
      expect(r.failed).toBe(0);
      expect(r.byAnswer.node).toBeGreaterThan(0);
      const link = await lab.linkStats('node');
      // the announces and calls did cross the slow link, late and some out of order
      expect(link.fromHost.out).toBeGreaterThan(0);
      expect(link.toHost.reordered + link.fromHost.reordered).toBeGreaterThan(0);
      console.info(
        `${samples} pool samples over ${WATCH_MS / 1000} s, all live; ${dropped()} announces dropped; ` +
          `${link.toHost.reordered + link.fromHost.reordered} frames reordered on the node's link; ` +
          `${r.calls} calls, answered by ${JSON.stringify(r.byAnswer)}`,
      );

      // the control: every announce dropped, the node leaves the pool (so the watch could fail)
      nft(['flush', 'chain', 'inet', 'lossy', 'out']);
      nft(['add', 'rule', 'inet', 'lossy', 'out', 'oifname', 'eth0', 'udp', 'dport', port, 'counter', 'drop']);
      const more = runCaller(lab, 'client', [
        '--target',
        router.address,
        '--duration-ms',
        '10000',
        '--concurrency',
        '2',
      ]);
      await router.waitPool((p) => !live(p, name), 'the node out once every announce is dropped', 10_000);
      expect((await more).failed).toBe(0);
      expect(dropped()).toBeGreaterThan(0);
    });
  },
);
