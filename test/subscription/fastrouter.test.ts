// Behind a real uWSGI 2.0.21 fastrouter, on loopback: nginx (uwsgi_pass, modifier1 0, the
// standard uwsgi_params) -> fastrouter -> pools keyed by host name, filled by subscriptions.
// Pool rpc.test holds our node (`serve --processes 2 --subscribe-to ...`) and a real uWSGI
// python3 node; only.test and psgi.test (modifier1 5) hold ours alone. Checked: the pools
// the router builds from our announces (weight = --processes, the modifier1 asked for), the
// split of real HTTP requests, keys kept apart, what the router does with an unknown key or
// an empty pool, and a graceful leave (SIGINT: unsubscribe, then drain) with no failed request.
import { execFileSync } from 'node:child_process';
import dgram from 'node:dgram';
import http from 'node:http';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type RouterNode, type RouterStats, routerStats } from '../helpers/router-stats.js';
import { type Peer, freePort, removeDir, startPeer, startUwsgi, tempDir } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const FIXTURES = join(__dirname, 'fixtures');
const PLUGINS = '/usr/lib/uwsgi/plugins';
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const have =
  which('uwsgi') !== null &&
  which('nginx') !== null &&
  which('python3') !== null &&
  ['fastrouter', 'python3'].every((p) => existsSync(join(PLUGINS, `${p}_plugin.so`)));

/** A UDP port free on 127.0.0.1 (the subscription server is UDP). */
function freeUdpPort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = dgram.createSocket('udp4');
    s.once('error', reject);
    s.bind(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

/** The live nodes of each pool, by key: name -> node. */
function pools(st: RouterStats): Map<string, Map<string, RouterNode>> {
  return new Map(
    st.subscriptions.map((s) => [s.key, new Map(s.nodes.filter((n) => n.death_mark === 0).map((n) => [n.name, n]))]),
  );
}

/** Polls the stats until `ok` holds (announces are UDP: there is nothing else to wait on), or `node` exits. */
async function waitStats(
  address: string,
  ok: (p: Map<string, Map<string, RouterNode>>) => boolean,
  what: string,
  node: Peer,
): Promise<RouterStats> {
  const until = Date.now() + 15_000;
  for (;;) {
    const st = await routerStats(address);
    if (ok(pools(st))) return st;
    if (node.child.exitCode !== null || node.child.signalCode !== null)
      throw new Error(`the node exited:\n${node.logText()}`);
    if (Date.now() > until)
      throw new Error(
        `the fastrouter's pools never showed ${what}: ${JSON.stringify(st.subscriptions)}\n${node.logText()}`,
      );
    await sleep(50);
  }
}

interface Answer {
  status: number;
  body: string;
}

/** One GET through nginx with this Host header (a new connection each time: nginx picks again). */
function get(front: string, host: string, path = '/who'): Promise<Answer> {
  const i = front.lastIndexOf(':');
  return new Promise((resolve) => {
    const req = http.request(
      { host: front.slice(0, i), port: Number(front.slice(i + 1)), path, headers: { Host: host }, agent: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }));
        res.on('error', (err) => resolve({ status: 0, body: `response failed: ${err.message}` }));
      },
    );
    req.on('error', (err) => resolve({ status: 0, body: `request failed: ${err.message}` }));
    req.end();
  });
}

async function tally(front: string, host: string, n: number, path?: string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (let k = 0; k < n; k++) {
    const a = await get(front, host, path);
    const key = a.status === 200 || a.status === 0 ? a.body : `HTTP ${a.status}`;
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
}

async function waitLog(peer: Peer, re: RegExp): Promise<void> {
  const until = Date.now() + 5_000;
  while (!re.test(peer.logText())) {
    if (Date.now() > until) throw new Error(`${re} not in the log:\n${peer.logText()}`);
    await sleep(20);
  }
}

describe.runIf(
  requirePeer(
    'uWSGI (fastrouter, python3 plugins) and nginx',
    have,
    'apt-get install uwsgi-core uwsgi-plugin-python3 nginx-light',
  ),
)("behind uWSGI's fastrouter, with a real uWSGI node in the same pool", () => {
  let dir: string;
  let router: Peer;
  let nginx: Nginx;
  let ours: Peer;
  let python: Peer;
  let routerPid: number;
  /** The fastrouter's uwsgi socket, its subscription server (UDP), its stats server. */
  let fr: string;
  let sub: string;
  let frStats: string;
  let oursAddr: string;
  let pyAddr: string;

  beforeAll(async () => {
    execFileSync(process.execPath, [join(ROOT, 'scripts', 'build.mjs'), '--if-needed'], { cwd: ROOT, stdio: 'ignore' });
    dir = tempDir();
    for (const d of ['router', 'python', 'nginx']) mkdirSync(join(dir, d));
    fr = `127.0.0.1:${await freePort()}`;
    sub = `127.0.0.1:${await freeUdpPort()}`;
    frStats = `127.0.0.1:${await freePort()}`;
    oursAddr = `127.0.0.1:${await freePort()}`;
    pyAddr = `127.0.0.1:${await freePort()}`;
    // the stats server is opened by the fastrouter process itself: once it answers, the router runs
    router = await startUwsgi(
      'fastrouter',
      ['--fastrouter', fr, '--fastrouter-subscription-server', sub, '--fastrouter-stats', frStats],
      [fr, frStats],
      join(dir, 'router'),
    );
    routerPid = (await routerStats(frStats)).pid;
    nginx = await startNginx(
      `
    location / {
      include /etc/nginx/uwsgi_params;
      uwsgi_pass ${fr};
    }
    location = /by-key/who {
      include /etc/nginx/uwsgi_params;
      uwsgi_param UWSGI_FASTROUTER_KEY only.test;
      uwsgi_pass ${fr};
    }`,
      join(dir, 'nginx'),
    );
  });

  afterAll(async () => {
    await nginx?.stop();
    await ours?.stop();
    await python?.stop();
    await router?.stop();
    if (dir) removeDir(dir);
  });

  const routerAlive = async () => expect((await routerStats(frStats)).pid).toBe(routerPid);

  it('before any node subscribed: the fastrouter closes the connection without a byte (nginx: 502) and keeps running', async () => {
    expect(await get(nginx.address, 'rpc.test')).toMatchObject({ status: 502 });
    expect(nginx.logText()).toMatch(/upstream prematurely closed connection/);
    await routerAlive();
  });

  it('our node and a uWSGI node join the pools; the router keeps our weight (= --processes), cores and modifier1', async () => {
    python = await startUwsgi(
      'python3',
      [
        '--socket',
        pyAddr,
        '--wsgi-file',
        join(FIXTURES, 'who_app.py'),
        '--env',
        'NODE_NAME=uwsgi',
        '--subscribe-to',
        `${sub}:rpc.test`,
      ],
      [pyAddr],
      join(dir, 'python'),
    );
    // `env` execs node: the signals reach our primary
    ours = startPeer(
      'env',
      [
        'NODE_NAME=ours',
        process.execPath,
        BIN,
        'serve',
        '--socket',
        oursAddr,
        '--processes',
        '2',
        '--import',
        join(FIXTURES, 'who.mjs'),
        '--route',
        'who$ rpc:who',
        '--route',
        'slow$ rpc:slow',
        '--subscribe-to',
        `${sub}:rpc.test`,
        '--subscribe-to',
        `${sub}:only.test,0`,
        '--st',
        `${sub}:psgi.test,5`,
      ],
      join(dir, 'ours.log'),
      'SIGINT',
    );
    // Ready means announced: the primary subscribes once every worker listens. No connect probe
    // here: with --processes, a connection that arrives while a worker is starting to listen
    // is never read, and that worker then waits for it forever when it is stopped.
    const st = await waitStats(
      frStats,
      (p) => p.get('rpc.test')?.size === 2 && p.has('only.test') && p.has('psgi.test'),
      'both nodes in rpc.test, ours in only.test and psgi.test',
      ours,
    );
    const p = pools(st);
    const mine = { name: oursAddr, cores: 2, weight: 2, modifier2: 0, death_mark: 0 };
    expect(p.get('rpc.test')!.get(oursAddr)).toMatchObject({ ...mine, modifier1: 0 });
    expect(p.get('only.test')!.get(oursAddr)).toMatchObject({ ...mine, modifier1: 0 });
    expect(p.get('psgi.test')!.get(oursAddr)).toMatchObject({ ...mine, modifier1: 5 });
    expect([...p.get('only.test')!.keys()]).toEqual([oursAddr]);
    // uWSGI's own node, for comparison: weight 1 unless --weight/--auto-weight
    expect(p.get('rpc.test')!.get(pyAddr)).toMatchObject({ name: pyAddr, cores: 1, weight: 1, modifier1: 0 });
    expect(ours.logText()).toMatch(new RegExp(`announcing to ${sub}: rpc.test -> ${oursAddr} \\(weight 2,`));
  });

  it("rpc.test: both nodes answer, shared by weight (2:1) as uWSGI's weighted round robin deals them", async () => {
    const before = pools(await routerStats(frStats)).get('rpc.test')!;
    const counts = await tally(nginx.address, 'rpc.test', 60);
    // sequential requests meet the round robin's fixed cycle (ours twice, uWSGI once): any 60 are 40 + 20
    expect(counts).toEqual({ 'js:ours': 40, 'py:uwsgi': 20 });
    const after = pools(await routerStats(frStats)).get('rpc.test')!;
    expect(after.get(oursAddr)!.requests - before.get(oursAddr)!.requests).toBe(40);
    expect(after.get(pyAddr)!.requests - before.get(pyAddr)!.requests).toBe(20);
  });

  it('keys keep pools apart: only.test reaches our node alone, by Host or by UWSGI_FASTROUTER_KEY (which beats Host)', async () => {
    expect(await tally(nginx.address, 'only.test', 20)).toEqual({ 'js:ours': 20 });
    expect(await tally(nginx.address, 'rpc.test', 12, '/by-key/who')).toEqual({ 'js:ours': 12 });
  });

  it('an unknown host: the fastrouter closes the connection without a byte (nginx: 502), no node is asked', async () => {
    const before = await routerStats(frStats);
    expect(await tally(nginx.address, 'nobody.test', 5)).toEqual({ 'HTTP 502': 5 });
    const total = (st: RouterStats) => st.subscriptions.flatMap((s) => s.nodes).reduce((n, x) => n + x.requests, 0);
    expect(total(await routerStats(frStats))).toBe(total(before));
    await routerAlive();
  });

  it('the router forwards with the modifier1 the node subscribed with: psgi.test (5) reaches ours as modifier1 5, refused', async () => {
    expect(await get(nginx.address, 'psgi.test')).toMatchObject({ status: 502 });
    await waitLog(ours, /modifier1 5 is neither an RPC request \(173\) nor an HTTP request \(0\)/);
    // a node that answered nothing after connecting is not marked failed: it stays in the pool
    expect(
      pools(await routerStats(frStats))
        .get('psgi.test')!
        .get(oursAddr),
    ).toMatchObject({ death_mark: 0, modifier1: 5 });
  });

  it('SIGINT to our node: it unsubscribes and drains; calls running on it finish, and every request meanwhile and after is answered, then by uWSGI only', async () => {
    type Phase = 'before' | 'leaving' | 'gone';
    let phase: Phase = 'before';
    const seen: (Answer & { phase: Phase })[] = [];
    const count = (ph: Phase) => seen.filter((a) => a.phase === ph).length;
    const until = async (ok: () => boolean, what: string) => {
      for (const end = Date.now() + 30_000; !ok(); await sleep(10))
        if (Date.now() > end) throw new Error(`not within 30 s: ${what}\n${ours.logText()}`);
    };
    /** 4 clients, each sending its next request once answered, until the returned function stops them. */
    const hammer = () => {
      let running = true;
      const clients = Array.from({ length: 4 }, async () => {
        while (running) {
          const ph = phase;
          seen.push({ ...(await get(nginx.address, 'rpc.test')), phase: ph });
        }
      });
      return () => {
        running = false;
        return Promise.all(clients);
      };
    };
    let stopHammer = hammer();
    await until(() => count('before') >= 30, '30 requests answered before the signal');
    await stopHammer();
    // three picks in a row from the cycle (ours, uWSGI, ours) give ours two: they are running when the signal lands
    const started = () => ours.logText().split('slow started').length - 1;
    const slowBefore = started();
    const slow = Array.from({ length: 3 }, () =>
      get(nginx.address, 'rpc.test', '/slow').then((a) => ({ ...a, at: Date.now() })),
    );
    await until(() => started() - slowBefore === 2, 'two slow calls started on our node');
    phase = 'leaving';
    stopHammer = hammer();
    const signalAt = Date.now();
    await ours.stop();
    expect({ code: ours.child.exitCode, signal: ours.child.signalCode }, ours.logText()).toEqual({
      code: 0,
      signal: null,
    });
    phase = 'gone';
    const gone = count('gone');
    await until(() => count('gone') - gone >= 60, '60 requests answered after our node left');
    await stopHammer();

    const slowAnswers = await Promise.all(slow);
    expect(slowAnswers.map((a) => `${a.status} ${a.body}`).sort()).toEqual([
      '200 js:ours:slow',
      '200 js:ours:slow',
      '200 py:uwsgi:slow',
    ]);
    for (const a of slowAnswers.filter((x) => x.body.startsWith('js:'))) expect(a.at).toBeGreaterThan(signalAt);
    const failed = seen.filter((a) => a.status !== 200);
    expect(failed, ours.logText()).toEqual([]);
    const by = (ph: Phase) =>
      seen
        .filter((a) => a.phase === ph)
        .reduce<Record<string, number>>((c, a) => {
          c[a.body] = (c[a.body] ?? 0) + 1;
          return c;
        }, {});
    expect(Object.keys(by('before')).sort()).toEqual(['js:ours', 'py:uwsgi']);
    expect(count('leaving')).toBeGreaterThan(0);
    expect(by('gone')).toEqual({ 'py:uwsgi': count('gone') });
    expect(ours.logText()).toMatch(/unsubscribed from .* \(rpc\.test\)/);
    const p = pools(await routerStats(frStats));
    expect([...p.get('rpc.test')!.keys()]).toEqual([pyAddr]);
    expect(p.has('only.test')).toBe(false);
  });

  it('a pool emptied by the leave: the fastrouter closes the connection (nginx: 502) and keeps running, rpc.test still served', async () => {
    expect(await tally(nginx.address, 'only.test', 3)).toEqual({ 'HTTP 502': 3 });
    await routerAlive();
    expect(await tally(nginx.address, 'rpc.test', 3)).toEqual({ 'py:uwsgi': 3 });
  });
});
