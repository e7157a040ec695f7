// --stats, --stats-http, --stats-minified against the real uWSGI 2.0.21's stats server: the
// same keys, nesting and value types (from a live capture, not a copy), and counts that move
// as calls are made, with one process and with --processes 2.
import { join } from 'node:path';
import { type Socket, connect } from 'node:net';
import { createSocket } from 'node:dgram';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { type Served, serveCli } from '../browser/serve-cli.js';
import { requirePeer, which } from '../helpers/peers.js';
import { freePort, type Peer, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { decodeSubscription } from '../../src/subscription/packet.js';
import { eventually } from '../helpers/router-stats.js';
import { extraKeys, shapeDifferences } from './stats-shape.js';

const FIXTURES = join(import.meta.dirname, 'fixtures');
const FUNCTIONS = join(FIXTURES, 'functions.mjs');

/** Everything a stats server writes on one connection (`request`: sent first, as an HTTP client does). */
function readAll(address: string, request = ''): Promise<string> {
  return new Promise((resolve, reject) => {
    const i = address.lastIndexOf(':');
    const s = address.startsWith('/') ? connect(address) : connect(Number(address.slice(i + 1)), address.slice(0, i));
    const chunks: Buffer[] = [];
    if (request) s.write(request);
    s.on('data', (c: Buffer) => chunks.push(c));
    s.once('error', reject);
    s.once('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
  });
}

type Doc = Record<string, unknown> & { workers: Worker[]; sockets: Record<string, unknown>[] };
type Worker = Record<string, number | string | unknown[]> & { uwsgi_rpc?: { connections: number } };
const readDoc = async (address: string): Promise<Doc> => JSON.parse(await readAll(address)) as Doc;

/** The HTTP head and the body of a --stats-http answer. */
function splitHttp(text: string): { head: string; body: string } {
  const end = text.indexOf('\r\n\r\n');
  return { head: text.slice(0, end), body: text.slice(end + 4) };
}

const text = (b: Uint8Array) => new TextDecoder().decode(b);

const haveUwsgi = requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');

describe.skipIf(!haveUwsgi)('--stats against the real uWSGI 2.0.21', () => {
  let dir: string;
  const peers: Peer[] = [];
  const served: Served[] = [];
  const client = new RpcClient({ timeout: 5000 });
  /** uWSGI's documents: --processes 1 after 3 calls; --processes 2; --stats-http --stats-minified (raw text). */
  let theirs1: Doc;
  let theirs2: Doc;
  let theirsHttp: string;

  /** A real uWSGI with its stats server, `calls` calls of hello made, its stats read as `request` asks. */
  async function uwsgiStats(args: string[], calls: number, request = ''): Promise<string> {
    const socket = `127.0.0.1:${await freePort()}`;
    const stats = `127.0.0.1:${await freePort()}`;
    const peer = await startUwsgi(
      'python3,rpc',
      ['--socket', socket, '--stats', stats, '--import', join(FIXTURES, 'rpc_hello.py'), ...args],
      [socket, stats],
      dir,
    );
    peers.push(peer);
    try {
      for (let i = 0; i < calls; i++) expect(text(await client.call(socket, 'hello'))).toBe('Hello World');
      // once in a while (a loaded machine) uWSGI's stats server closes a connection without writing: read again
      return await eventually(
        "uWSGI's stats document",
        () => readAll(stats, request),
        (t) => t.endsWith('}'),
      );
    } finally {
      await peer.stop();
    }
  }

  beforeAll(async () => {
    dir = tempDir();
    theirs1 = JSON.parse(await uwsgiStats(['--processes', '1'], 3)) as Doc;
    theirs2 = JSON.parse(await uwsgiStats(['--processes', '2'], 2)) as Doc;
    theirsHttp = await uwsgiStats(
      ['--processes', '1', '--stats-http', '--stats-minified'],
      1,
      'GET / HTTP/1.0\r\nHost: x\r\n\r\n',
    );
  }, 60_000);

  afterAll(async () => {
    client.close();
    await Promise.all([...peers.map((p) => p.stop()), ...served.map((s) => s.stop())]);
    removeDir(dir);
  });

  async function serve(args: string[], lines: number, more: string[] = []): Promise<Served> {
    const s = await serveCli(['--import', FUNCTIONS, ...args, ...more], lines);
    served.push(s);
    return s;
  }

  it('one process: the same keys, nesting and types as uWSGI --processes 1; our extras only under uwsgi_rpc', async () => {
    const socket = `127.0.0.1:${await freePort()}`;
    const stats = `127.0.0.1:${await freePort()}`;
    const s = await serve(['--socket', socket, '--stats', stats], 2);
    expect(s.lines).toContain(`uwsgi-rpc: stats server on ${stats}`);
    for (let i = 0; i < 3; i++) await client.call(socket, 'hello');
    const ours = await readDoc(stats);
    expect(shapeDifferences(theirs1, ours)).toEqual([]);
    expect(extraKeys(theirs1, ours).filter((k) => !/\.uwsgi_rpc$/.test(k))).toEqual([]);
    expect(ours.workers).toHaveLength(1);
    expect(ours.sockets).toEqual([
      expect.objectContaining({ name: socket, proto: 'uwsgi', shared: 0, can_offload: 0, queue: 0 }),
    ]);
    expect(ours.workers[0]).toMatchObject({ id: 1, pid: s.child.pid, requests: 3, exceptions: 0, status: 'idle' });
    expect(ours.workers[0].rss).toBeGreaterThan(0);
    expect(ours.workers[0].vsz).toBeGreaterThan(ours.workers[0].rss as number);
    // 3 answers of "Hello World" behind their 4-byte headers
    expect(ours.workers[0].tx).toBe(3 * (4 + 11));
    expect(ours.pid).toBe(s.child.pid);
    await s.stop();
  });

  it('counts move: N calls add N requests, a throwing function an exception, with per-function counts', async () => {
    const socket = `127.0.0.1:${await freePort()}`;
    const dirSocket = join(dir, 'stats.sock');
    const s = await serve(['--socket', socket, '--stats', dirSocket], 2);
    const before = await readDoc(dirSocket);
    const calls = 7;
    for (let i = 0; i < calls; i++) await client.call(socket, 'hello');
    for (const name of ['boom', 'picky', 'nothing', 'missing'])
      await expect(client.call(socket, name)).rejects.toThrow();
    const after = await readDoc(dirSocket);
    const w0 = before.workers[0];
    const w1 = after.workers[0];
    expect((w1.requests as number) - (w0.requests as number)).toBe(calls + 4);
    // uWSGI counts requests, not calls: an unknown name is a request, but no exception
    expect((w1.exceptions as number) - (w0.exceptions as number)).toBe(3);
    expect(w1.delta_requests).toBe(calls + 4);
    expect(w1.avg_rt).toBeGreaterThan(0);
    expect(w1.running_time).toBeGreaterThan(0);
    const fns = (after.uwsgi_rpc as { functions: Record<string, { calls: number; failures: Record<string, number> }> })
      .functions;
    expect(fns.hello.calls).toBe(calls);
    expect(fns.boom.failures.threw).toBe(1);
    expect(fns.picky.failures.bad_args).toBe(1);
    expect(fns.nothing.failures.empty).toBe(1);
    expect((after.uwsgi_rpc as { unknown_function_requests: number }).unknown_function_requests).toBe(1);
    await s.stop();
  });

  it('--stats-http --stats-minified: the same HTTP head as uWSGI and a body without whitespace', async () => {
    const socket = `127.0.0.1:${await freePort()}`;
    const stats = `127.0.0.1:${await freePort()}`;
    const s = await serve(['--socket', socket, '--stats', stats, '--stats-http', '--stats-minified'], 2);
    await client.call(socket, 'hello');
    const ours = splitHttp(await readAll(stats, 'GET / HTTP/1.0\r\nHost: x\r\n\r\n'));
    const real = splitHttp(theirsHttp);
    expect(ours.head).toBe(real.head);
    // minified as uWSGI's: nothing between tokens
    expect(real.body).toBe(JSON.stringify(JSON.parse(real.body)));
    expect(ours.body).toBe(JSON.stringify(JSON.parse(ours.body)));
    expect(shapeDifferences(JSON.parse(real.body), JSON.parse(ours.body))).toEqual([]);
    await s.stop();
  });

  it('--processes 2: one worker entry per process, collected by the primary, the same shape as uWSGI --processes 2; a respawn keeps the slot', async () => {
    const socket = `127.0.0.1:${await freePort()}`;
    const stats = `127.0.0.1:${await freePort()}`;
    const s = await serve(['--socket', socket, '--stats', stats, '--processes', '2'], 2);
    const pids = new Set<string>();
    const calls = 40;
    for (let i = 0; i < calls; i++) pids.add(text(await client.call(socket, 'pid')));
    const ours = await readDoc(stats);
    expect(theirs2.workers).toHaveLength(2);
    expect(shapeDifferences(theirs2, ours)).toEqual([]);
    expect(ours.pid).toBe(s.child.pid);
    expect(ours.workers.map((w) => w.id)).toEqual([1, 2]);
    const workerPids = ours.workers.map((w) => String(w.pid));
    expect(new Set(workerPids).size).toBe(2);
    expect(workerPids).not.toContain(String(s.child.pid));
    for (const pid of pids) expect(workerPids).toContain(pid);
    expect(ours.workers.reduce((n, w) => n + (w.requests as number), 0)).toBe(calls);
    expect(ours.workers.map((w) => w.respawn_count)).toEqual([1, 1]);
    // a worker that dies is replaced in its slot: same id, a new pid, respawn_count 2, counts from 0
    const dead = Number(workerPids[0]);
    process.kill(dead, 'SIGKILL');
    const after = await eventually(
      'worker 1 replaced',
      () => readDoc(stats),
      (d) => d.workers.length === 2 && d.workers[0].pid !== dead,
    );
    expect(after.workers[0]).toMatchObject({ id: 1, respawn_count: 2, requests: 0 });
    expect(after.workers[1]).toMatchObject({ id: 2, pid: Number(workerPids[1]), respawn_count: 1 });
    await s.stop();
  });

  it.each([1, 2])(
    'load with --processes %i: the open connections, in the stats and in the subscription announcements',
    async (processes) => {
      const udp = createSocket('udp4');
      const loads: number[] = [];
      udp.on('message', (m) => {
        const load = decodeSubscription(new Uint8Array(m)).fields.find(([k]) => k === 'load');
        if (load !== undefined) loads.push(Number(load[1]));
      });
      await new Promise<void>((r) => udp.bind(0, '127.0.0.1', () => r()));
      try {
        const socket = `127.0.0.1:${await freePort()}`;
        const stats = `127.0.0.1:${await freePort()}`;
        const router = `127.0.0.1:${udp.address().port}`;
        const s = await serve(['--socket', socket, '--stats', stats, '--processes', String(processes)], 2, [
          '--subscribe-to',
          `${router}:key`,
          '--subscribe-freq',
          '1',
        ]);
        const held = await Promise.all(
          [0, 1, 2].map(
            () =>
              new Promise<Socket>((resolve) => {
                const c = connect(Number(socket.split(':')[1]), '127.0.0.1', () => resolve(c));
                c.on('error', () => {});
              }),
          ),
        );
        const doc = await eventually(
          'the stats load to count 3 connections',
          () => readDoc(stats),
          (d) => d.load === 3,
        );
        expect(doc.workers.reduce((n, w) => n + (w.uwsgi_rpc?.connections ?? 0), 0)).toBe(3);
        loads.length = 0;
        await eventually(
          'an announcement with load 3',
          async () => loads,
          (l) => l.includes(3),
        );
        for (const c of held) c.destroy();
        await s.stop();
      } finally {
        udp.close();
      }
    },
    30_000,
  );
});
