// Our nodes in a real uWSGI rawrouter's pool next to a real uWSGI node, on loopback: what the
// router records of our subscriptions (its stats server), calls balanced by weight, graceful
// leave, re-announce after a router restart, signed subscriptions, key files, and the
// RpcServer.subscribe() API. The cross-host versions are in test/cluster/.
import { execFileSync } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, RpcServer } from '../../src/index.js';
import { Registry } from '../../src/functions/registry.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startPeer, startUwsgi, tempDir, waitListening } from '../helpers/processes.js';
import { type RouterNode, eventually, routerStats } from '../helpers/router-stats.js';

const PLUGIN_DIR = '/usr/lib/uwsgi/plugins';
const ROOT = join(import.meta.dirname, '../..');
const BIN = join(ROOT, 'bin/uwsgi-rpc.js');

const ok = requirePeer(
  'uwsgi with the rawrouter, python3 and rpc plugins',
  which('uwsgi') !== null &&
    which('openssl') !== null &&
    ['rawrouter', 'python3', 'rpc'].every((p) => existsSync(join(PLUGIN_DIR, `${p}_plugin.so`))),
  'apt-get install uwsgi-core uwsgi-plugin-python3 openssl',
);

/** The pools a router's stats server reports, by key. */
async function pools(stats: string): Promise<Map<string, RouterNode[]>> {
  return new Map((await routerStats(stats)).subscriptions.map((p) => [p.key, p.nodes]));
}

/** Live (not death-marked) node names of pool `key`, sorted. */
async function live(stats: string, key: string): Promise<string[]> {
  return ((await pools(stats)).get(key) ?? [])
    .filter((n) => n.death_mark === 0)
    .map((n) => n.name)
    .sort();
}

interface Router {
  peer: Peer;
  socket: string;
  subscription: string;
  stats: string;
}

async function startRouter(dir: string, extra: string[] = []): Promise<Router> {
  const [a, b, c] = [await freePort(), await freePort(), await freePort()];
  const r = { socket: `127.0.0.1:${a}`, subscription: `127.0.0.1:${b}`, stats: `127.0.0.1:${c}` };
  // Not a connection to the router's socket while its pool is empty: this uWSGI's rawrouter
  // segfaults on it (its master respawns it). The stats server tells it is up.
  const peer = await startUwsgi(
    'rawrouter',
    [
      '--rawrouter',
      r.socket,
      '--rawrouter-subscription-server',
      r.subscription,
      '--rawrouter-stats',
      r.stats,
      ...extra,
    ],
    [r.stats],
    dir,
  );
  return { peer, ...r };
}

/** `uwsgi-rpc serve` with a `who` function answering `js:NAME`. */
async function startOurs(dir: string, name: string, args: string[]): Promise<{ peer: Peer; socket: string }> {
  const socket = `127.0.0.1:${await freePort()}`;
  const mod = join(dir, `${name}.mjs`);
  writeFileSync(mod, `export default (rpc) => rpc.register('who', () => 'js:${name}');\n`);
  const peer = startPeer(
    process.execPath,
    [BIN, 'serve', '--socket', socket, '--import', mod, ...args],
    join(dir, `${name}.log`),
    'SIGINT',
  );
  try {
    await waitListening(socket, peer.child);
  } catch (err) {
    await peer.stop(); // not tracked yet: stopped here
    throw err;
  }
  return { peer, socket };
}

/**
 * `count` calls of who() through the router (or calls until `count()` says done), one
 * connection each (as uWSGI's uwsgi.rpc()), `concurrency` at a time; `answers` counts them
 * by answer as they come.
 */
async function callMany(
  router: string,
  count: number | (() => boolean),
  concurrency = 4,
  answers = new Map<string, number>(),
): Promise<{ answers: Map<string, number>; failed: string[] }> {
  const client = new RpcClient({ timeout: 5000 });
  const failed: string[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (typeof count === 'number' ? next++ < count : !count()) {
        try {
          const who = new TextDecoder().decode(await client.rpc(router, 'who'));
          answers.set(who, (answers.get(who) ?? 0) + 1);
        } catch (err) {
          failed.push(String(err));
        }
      }
    }),
  );
  client.close();
  return { answers, failed };
}

describe.skipIf(!ok)('our nodes in a uWSGI rawrouter pool (loopback)', () => {
  let dir: string;
  const peers: Peer[] = [];
  const track = <T extends { peer: Peer }>(x: T) => {
    peers.push(x.peer);
    return x;
  };

  beforeAll(() => {
    dir = tempDir();
  });
  afterEach(async () => {
    await Promise.all(peers.splice(0).map((p) => p.stop()));
  });
  afterAll(() => removeDir(dir));

  it('join with weight and cores from --processes, share calls by weight with a uWSGI node, and leave gracefully', async () => {
    const router = track(await startRouter(dir));
    const key = router.socket;
    const py = join(dir, 'who.py');
    writeFileSync(py, 'import uwsgi\nuwsgi.register_rpc("who", lambda *a: b"py")\n');
    const pySocket = `127.0.0.1:${await freePort()}`;
    peers.push(
      await startUwsgi(
        'python3,rpc',
        ['--socket', pySocket, '--import', py, '--subscribe-to', `${router.subscription}:${key}`],
        [pySocket],
        dir,
      ),
    );
    const ours = track(
      await startOurs(dir, 'a', ['--processes', '2', '--subscribe-to', `${router.subscription}:${key}`]),
    );
    await eventually(
      'both nodes in the pool',
      () => live(router.stats, key),
      (n) => n.length === 2,
    );
    const node = (await pools(router.stats)).get(key)!.find((n) => n.name === ours.socket)!;
    expect(node).toMatchObject({ weight: 2, cores: 2, modifier1: 0 });

    // weighted round robin: 2 of every 3 calls to ours
    const { answers, failed } = await callMany(router.socket, 90, 3);
    expect(failed).toEqual([]);
    expect(answers.get('js:a')).toBe(60);
    expect(answers.get('py')).toBe(30);

    // SIGINT while calls run (both nodes answering), until after it exited: it unsubscribes
    // first, so no call fails
    let exited = false;
    const flowing = new Map<string, number>();
    const calls = callMany(router.socket, () => exited, 4, flowing);
    await eventually(
      'calls answered by both nodes',
      async () => flowing,
      (m) => m.has('js:a') && m.has('py'),
    );
    await ours.peer.stop();
    exited = true;
    const during = await calls;
    expect(during.failed).toEqual([]);
    expect(during.answers.get('js:a')).toBeGreaterThan(0);
    expect(during.answers.get('py')).toBeGreaterThan(0);
    expect(await live(router.stats, key)).toEqual([pySocket]);
    expect(ours.peer.logText()).toMatch(/unsubscribed from/);
  });

  it('announce again every --subscribe-freq seconds: a restarted router gets the node back', async () => {
    let router = track(await startRouter(dir));
    const ours = track(
      await startOurs(dir, 'b', ['--subscribe-freq', '1', '--subscribe-to', `${router.subscription}:${router.socket}`]),
    );
    await eventually(
      'the node in the pool',
      () => live(router.stats, router.socket),
      (n) => n.length === 1,
    );
    const { subscription, socket, stats } = router;
    await router.peer.stop();
    // nothing listens on the subscription port now: the node says so once, and goes on announcing
    await eventually(
      'the node to notice',
      async () => ours.peer.logText(),
      (t) => /subscription server .*: .*ECONNREFUSED.*; still announcing every 1 s/.test(t),
    );
    // same addresses, empty pools
    router = track({
      ...router,
      peer: await startUwsgi(
        'rawrouter',
        ['--rawrouter', socket, '--rawrouter-subscription-server', subscription, '--rawrouter-stats', stats],
        [stats],
        dir,
      ),
    });
    expect(
      await eventually(
        'the node back',
        () => live(stats, socket),
        (n) => n.length === 1,
      ),
    ).toEqual([ours.socket]);
    await eventually(
      'the node to tell',
      async () => ours.peer.logText(),
      (t) => /announces go through again/.test(t),
    );
    expect(ours.peer.logText().match(/ECONNREFUSED/g)).toHaveLength(1);
    expect((await callMany(socket, 5)).answers.get('js:b')).toBe(5);
  });

  it("signed subscriptions: the router takes the node holding the key's private key, not another", async () => {
    const keys = join(dir, 'keys');
    execFileSync('mkdir', ['-p', keys]);
    const good = join(dir, 'good.pem');
    const bad = join(dir, 'bad.pem');
    execFileSync('openssl', ['genrsa', '-out', good, '2048'], { stdio: 'ignore' });
    execFileSync('openssl', ['genrsa', '-out', bad, '2048'], { stdio: 'ignore' });
    // the router looks for DIR/<key>.pem, with characters other than [A-Za-z0-9._-] turned to _
    const router = track(await startRouter(dir, ['--subscriptions-sign-check', `sha256:${keys}`]));
    execFileSync(
      'openssl',
      ['rsa', '-in', good, '-pubout', '-out', join(keys, `${router.socket.replace(':', '_')}.pem`)],
      { stdio: 'ignore' },
    );
    const signed = track(
      await startOurs(dir, 'signed', [
        '--subscribe-freq',
        '1',
        '--subscribe-to',
        `${router.subscription}:${router.socket},0,sha256:${good}`,
      ]),
    );
    const forged = track(
      await startOurs(dir, 'forged', [
        '--subscribe-freq',
        '1',
        '--subscribe-to',
        `${router.subscription}:${router.socket},0,sha256:${bad}`,
      ]),
    );
    const unsigned = track(
      await startOurs(dir, 'unsigned', [
        '--subscribe-freq',
        '1',
        '--subscribe-to',
        `${router.subscription}:${router.socket}`,
      ]),
    );
    await eventually(
      'the signed node',
      () => live(router.stats, router.socket),
      (n) => n.length === 1,
    );
    // Two more announce rounds of the others: still refused. A sleep, as the behaviour is that
    // nothing happens: the router leaves no trace of a refused announce (no log line, no stats).
    await new Promise((r) => setTimeout(r, 2200));
    expect(await live(router.stats, router.socket)).toEqual([signed.socket]);
    expect([forged.socket, unsigned.socket]).not.toContain((await live(router.stats, router.socket))[0]);
    // the signed unsubscribe is honoured too
    await signed.peer.stop();
    expect(await live(router.stats, router.socket)).toEqual([]);
  });

  it('SERVER:@FILE subscribes to every key of the file; a bad signing key is a usage error', async () => {
    const a = track(await startRouter(dir));
    const b = track(await startRouter(dir));
    const file = join(dir, 'keys.txt');
    writeFileSync(file, `# pools\n${a.socket}\nnot-a-router.example,173\n`);
    const ours = track(
      await startOurs(dir, 'c', [
        '--subscribe-to',
        `${a.subscription}:@${file}`,
        '--subscribe-to',
        `${b.subscription}:${b.socket}`,
      ]),
    );
    await eventually(
      'pools of a',
      () => pools(a.stats),
      (p) => p.size === 2,
    );
    const p = await pools(a.stats);
    expect(p.get(a.socket)!.map((n) => n.name)).toEqual([ours.socket]);
    expect(p.get('not-a-router.example')!.map((n) => n.modifier1)).toEqual([173]);
    expect(
      await eventually(
        'pool of b',
        () => live(b.stats, b.socket),
        (n) => n.length === 1,
      ),
    ).toEqual([ours.socket]);

    const broken = startPeer(
      process.execPath,
      [
        BIN,
        'serve',
        '--socket',
        '127.0.0.1:0',
        '--subscribe-to',
        `${a.subscription}:k,0,sha1:${join(dir, 'missing.pem')}`,
      ],
      join(dir, 'broken.log'),
      'SIGINT',
    );
    const code = await new Promise((r) => broken.child.once('exit', r));
    expect(code).toBe(2);
    expect(broken.logText()).toMatch(/cannot read a private key from .*missing\.pem/);
  });

  it('--subscribe2: socket=N announces that socket, weight is per subscription, check=FILE pauses announcing while FILE exists', async () => {
    const router = track(await startRouter(dir));
    const maintenance = join(dir, 'maintenance');
    writeFileSync(maintenance, '');
    const second = `127.0.0.1:${await freePort()}`;
    const ours = track(
      await startOurs(dir, 'd', [
        '--socket',
        second,
        '--subscribe-freq',
        '1',
        '--subscribe2',
        `server=${router.subscription},key=${router.socket},socket=1,weight=3,check=${maintenance}`,
      ]),
    );
    // Two announce rounds while the file exists: nothing sent. A sleep, as the behaviour is
    // that nothing happens (no announce, so no event to wait for).
    await new Promise((r) => setTimeout(r, 2200));
    expect((await pools(router.stats)).get(router.socket)).toBeUndefined();
    execFileSync('rm', [maintenance]);
    const [node] = await eventually(
      'the node',
      () => pools(router.stats).then((p) => p.get(router.socket) ?? []),
      (n) => n.length === 1,
    );
    expect(node).toMatchObject({ name: second, weight: 3 });
    expect(ours.socket).not.toBe(second);
    expect((await callMany(router.socket, 4)).answers.get('js:d')).toBe(4);
  });

  it('RpcServer.subscribe(): announced at once, close() unsubscribes before it stops listening', async () => {
    const router = track(await startRouter(dir));
    const logs: string[] = [];
    const server = new RpcServer({ registry: new Registry(), log: (l) => logs.push(l) });
    server.register('who', () => 'js:api');
    const address = await server.listen('127.0.0.1:0');
    await server.subscribe(`${router.subscription}:${router.socket}`, { weight: 5, unsubscribeGrace: 200 });
    const [node] = await eventually(
      'the node',
      () => pools(router.stats).then((p) => p.get(router.socket) ?? []),
      (n) => n.length === 1,
    );
    expect(node).toMatchObject({ name: address, weight: 5, cores: 1 });
    expect((await callMany(router.socket, 3)).answers.get('js:api')).toBe(3);
    await server.close();
    expect(await live(router.stats, router.socket)).toEqual([]);
    expect(logs.join('\n')).toMatch(
      /announcing to .* -> 127\.0\.0\.1:\d+ \(weight 5, every 10 s\)[\s\S]*unsubscribed from/,
    );
  });
});
