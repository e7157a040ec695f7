// --max-conns on an --http-socket, as on the uwsgi socket: a new connection makes room by closing
// the open one that costs least to lose (an idle keep-alive one, longest idle first; then a request
// head not whole yet, begun longest ago first), never one with a request being served; with every
// one busy the new one is closed. The HTTP sockets have a table of their own: the uwsgi one is
// not touched. Counted in the snapshot and the metrics, logged in few lines.
import { type Socket, connect } from 'node:net';
import { connect as tlsConnect } from 'node:tls';
import { afterEach, describe, expect, it } from 'vitest';
import type { RpcFunction } from '../../src/functions/registry.js';
import type { RpcServer } from '../../src/server/server.js';
import { type Certs, hasOpenssl, makeCerts } from '../helpers/certs.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import { until } from '../helpers/until.js';
import { startServer } from '../server/start.js';
import { Wire } from '../server/wire.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RpcServer | undefined;
const wires: Wire[] = [];
/** Sockets a test opened itself (not through Wire). */
const sockets: Socket[] = [];
const timers: NodeJS.Timeout[] = [];
let release = () => {};
let certDir: string | undefined;

afterEach(async () => {
  release();
  for (const t of timers.splice(0)) clearInterval(t);
  for (const w of wires.splice(0)) w.end();
  for (const s of sockets.splice(0)) s.destroy();
  await server?.close();
  server = undefined;
  if (certDir !== undefined) removeDir(certDir);
  certDir = undefined;
});

/** A GET through the PATH_INFO bridge: /name/arg calls name(arg); HTTP/1.1, so the connection stays open. */
const get = (path: string) => Buffer.from(`GET ${path} HTTP/1.1\r\nHost: x\r\n\r\n`);

/** The server with `hold` (runs until release()), `echo` and `more`, an HTTP socket (PATH_INFO bridge) and its uwsgi one. */
async function start(maxConns: number, more: RpcFunction = () => 'none') {
  const released = new Promise<void>((r) => {
    release = r;
  });
  let running = 0;
  const logs: string[] = [];
  const events: (string | undefined)[] = [];
  const started = await startServer(
    {
      echo: (x) => x ?? 'none',
      more,
      hold: async (x) => {
        running++;
        await released;
        return x ?? 'none';
      },
    },
    {
      maxConns,
      requestTimeout: 0,
      log: (line, fields) => {
        logs.push(line);
        events.push(fields?.event);
      },
    },
  );
  server = started.server;
  const http = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 2 });
  const listener = (proto: 'uwsgi' | 'http') => server!.snapshot().listeners.find((l) => l.proto === proto)!;
  return { ...started, logs, events, http, running: () => running, listener };
}

async function open(address: string): Promise<Wire> {
  const w = await Wire.open(address);
  wires.push(w);
  return w;
}

/** An idle keep-alive connection: one request answered, kept open. */
async function idleOne(address: string, tag: string): Promise<Wire> {
  const w = await open(address);
  w.write(get(`/echo/${tag}`));
  expect(await until(() => w.data.toString('latin1').endsWith(`\r\n\r\n${tag}`))).toBe(true);
  return w;
}

describe('max-conns on an HTTP socket: a full table makes room', () => {
  it('idle keep-alive ones go first (longest idle first), then heads not whole (oldest first); busy ones never; then refused', async () => {
    const s = await start(6);
    const { http, logs, events } = s;
    const idle = [await idleOne(http, 'i0')];
    await sleep(20);
    idle.push(await idleOne(http, 'i1'));
    const answered = idle.map((w) => w.data.length);
    // two request heads still dripping, the first begun earlier
    const slow: Wire[] = [];
    for (let i = 0; i < 2; i++) {
      const w = await open(http);
      w.write(Buffer.from(`GET /echo/s${i} HTTP/1.1\r\nHost: x\r\n`));
      timers.push(setInterval(() => w.isClosed || w.write(Buffer.from('X-Pad: y\r\n')), 10));
      slow.push(w);
      await sleep(20);
    }
    // two with a request being served
    const busy: Wire[] = [];
    for (const tag of ['b0', 'b1']) {
      const w = await open(http);
      w.write(get(`/hold/${tag}`));
      busy.push(w);
    }
    expect(await until(() => s.running() === 2 && s.listener('http').open === 6)).toBe(true);

    // each newcomer's request runs at once, so it is busy too when the next one comes
    const order = [idle[0], idle[1], slow[0], slow[1]];
    const newcomers: Wire[] = [];
    for (let i = 0; i < order.length; i++) {
      const w = await open(http);
      w.write(get(`/hold/n${i}`));
      newcomers.push(w);
      expect(await until(() => s.running() === 3 + i)).toBe(true);
      // exactly the cheapest one left is gone: an idle one after its answer alone, a drip without a byte
      expect(await until(() => order[i].isClosed)).toBe(true);
      expect(order[i].data.length).toBe(i < 2 ? answered[i] : 0);
      for (const later of order.slice(i + 1)) expect(later.isClosed).toBe(false);
    }
    expect(s.listener('http').open).toBe(6);
    // every open one has a request being served: the next one is closed at once
    const refused = await open(http);
    expect((await refused.untilClosed()).length).toBe(0);
    expect(server!.evictedConnections).toBe(4);
    expect(server!.refusedConnections).toBe(1);
    expect(s.listener('http')).toMatchObject({ evicted: 4, refused: 1, open: 6, accepted: 10 });
    // the uwsgi sockets' table is another one: still empty, nothing counted there
    expect(server!.connectionCount).toBe(0);
    expect(s.listener('uwsgi')).toMatchObject({ evicted: 0, refused: 0, accepted: 0 });
    const metrics = await server!.metrics.metrics();
    expect(metrics).toMatch(/uwsgi_rpc_connections_evicted_total\{[^}]*proto="http"[^}]*\} 4/);
    expect(metrics).toMatch(/uwsgi_rpc_connections_refused_total\{[^}]*proto="http"[^}]*\} 1/);

    // the busy ones were never touched: all six requests are answered
    release();
    const tags = ['b0', 'b1', 'n0', 'n1', 'n2', 'n3'];
    const all = [...busy, ...newcomers];
    for (let i = 0; i < all.length; i++)
      expect(await until(() => all[i].data.toString('latin1').endsWith(`\r\n\r\n${tags[i]}`))).toBe(true);
    for (const w of all) w.end();
    // below the limit again: one summing-up line after the one when the table filled
    expect(await until(() => logs.length === 2)).toBe(true);
    expect(logs).toEqual([
      expect.stringMatching(
        /max-conns: 6 HTTP connections open: closing idle ones and requests not whole to make room/,
      ),
      expect.stringMatching(
        /max-conns: in [\d.]+ s, 4 HTTP connections closed to make room \(0 ending, 2 idle, 2 with a request not whole\), 1 refused \(every one busy\); below the limit again/,
      ),
    ]);
    // --log-format json: the first line begins with the socket's address, so it names its event itself
    expect(events[0]).toBe('max_conns');
  });

  it('a table full of idle keep-alive connections from one host does not lock callers out', async () => {
    const FULL = 50;
    const s = await start(FULL);
    const idle: Wire[] = [];
    for (let i = 0; i < FULL; i++) idle.push(await idleOne(s.http, `i${i}`));
    // each good caller keeps its connection open too: each one takes the place of the longest idle
    const GOOD = 20;
    for (let i = 0; i < GOOD; i++) await idleOne(s.http, `good${i}`);
    expect(s.listener('http')).toMatchObject({ evicted: GOOD, refused: 0, open: FULL });
    expect(await until(() => idle.slice(0, GOOD).every((w) => w.isClosed))).toBe(true);
    expect(idle.slice(GOOD).some((w) => w.isClosed)).toBe(false);
  });

  it('a response still being written (the client reads slowly) is never closed for room', async () => {
    const BIG = 8 << 20;
    const s = await start(4, () => 'x'.repeat(BIG));
    const i = s.http.lastIndexOf(':');
    const reader = connect(Number(s.http.slice(i + 1)), s.http.slice(0, i));
    sockets.push(reader);
    let closed = false;
    reader.on('close', () => {
      closed = true;
    });
    await new Promise((r) => reader.once('connect', r));
    // reads nothing yet: the answer waits in the server's socket
    reader.pause();
    reader.write(get('/more'));
    expect(await until(() => s.listener('http').tx >= BIG)).toBe(true);
    const idle: Wire[] = [];
    for (let n = 0; n < 3; n++) idle.push(await idleOne(s.http, `i${n}`));
    // the idle ones make room, never the reader's
    for (let n = 0; n < 3; n++) await idleOne(s.http, `n${n}`);
    expect(s.listener('http')).toMatchObject({ evicted: 3, refused: 0 });
    expect(await until(() => idle.every((w) => w.isClosed))).toBe(true);
    expect(closed).toBe(false);
    let got = 0;
    reader.on('data', (c: Buffer) => {
      got += c.length;
    });
    reader.resume();
    expect(await until(() => got > BIG)).toBe(true);
  });

  it.skipIf(!hasOpenssl())(
    'HTTPS: a new connection takes the place of the longest idle one once its handshake is done',
    async () => {
      certDir = tempDir();
      const certs: Certs = makeCerts(certDir);
      const s = await start(2);
      const https = await server!.listenHttp('127.0.0.1:0', {
        modifier1: 173,
        modifier2: 2,
        tls: { cert: certs.server.cert, key: certs.server.key },
      });
      const ca = certs.read(certs.ca);
      const i = https.lastIndexOf(':');
      /** A TLS connection with one request answered, kept open; `got` is what it read. */
      const idleTls = async (tag: string) => {
        const got: Buffer[] = [];
        const c = tlsConnect({ host: https.slice(0, i), port: Number(https.slice(i + 1)), ca });
        sockets.push(c);
        c.on('error', () => {});
        let closed = false;
        c.on('close', () => {
          closed = true;
        });
        c.on('data', (d: Buffer) => got.push(d));
        await new Promise((resolve, reject) => {
          c.once('secureConnect', resolve);
          c.once('close', () => reject(new Error(`${tag}: closed before its handshake was done`)));
        });
        c.write(get(`/echo/${tag}`));
        expect(await until(() => Buffer.concat(got).toString('latin1').endsWith(`\r\n\r\n${tag}`))).toBe(true);
        return { isClosed: () => closed };
      };
      const first = await idleTls('a');
      await sleep(20);
      const second = await idleTls('b');
      const third = await idleTls('c');
      expect(await until(() => first.isClosed())).toBe(true);
      expect(second.isClosed()).toBe(false);
      expect(third.isClosed()).toBe(false);
      const listener = () => server!.snapshot().listeners.find((x) => x.address === https)!;
      // the evicted one's close comes once the client has answered the FIN
      expect(await until(() => listener().open === 2)).toBe(true);
      expect(listener()).toMatchObject({ evicted: 1, refused: 0, accepted: 3 });
      expect(s.listener('http').evicted).toBe(0);
    },
  );
});
