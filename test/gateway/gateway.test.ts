// The WebSocket gateway with the universal client, in Node (the `ws` package's WebSocket):
// ordering of many calls in flight, error frames, limits, origins, forwarding to a real
// server over TCP, timeouts, abort and reconnect. Chromium runs the same client in test/browser.
import { connect } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createCodecSync } from '../../src/codec/index.js';
import { RpcGateway } from '../../src/gateway/index.js';
import { RpcError } from '../../src/rpc-error.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { RpcWebSocketClient } from '../../src/web/index.js';
import type { WebSocketConstructor } from '../../src/web/websocket-like.js';

const WS = WebSocket as unknown as WebSocketConstructor;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** slowEcho calls started so far. */
let slowStarted = 0;
const text = (b: Uint8Array) => new TextDecoder().decode(b);
const codec = createCodecSync();

function gate() {
  let open!: () => void;
  const p = new Promise<void>((r) => {
    open = r;
  });
  return { p, open };
}

async function rejection(p: Promise<unknown>): Promise<RpcError> {
  try {
    await p;
  } catch (e) {
    return e as RpcError;
  }
  throw new Error('expected a rejection');
}

/** A raw ws connection: what the gateway answers to hand-made messages. */
function raw(url: string, origin?: string) {
  const ws = new WebSocket(url, origin ? { origin } : {});
  const messages: { data: Buffer; binary: boolean }[] = [];
  ws.on('message', (data, binary) => messages.push({ data: data as Buffer, binary }));
  const opened = new Promise<void>((res, rej) => {
    ws.once('open', () => res());
    ws.once('error', rej);
    ws.once('unexpected-response', (_q, r) => rej(new Error(`HTTP ${r.statusCode}`)));
  });
  const closed = new Promise<number>((res) => ws.once('close', (code) => res(code)));
  const next = async (n: number) => {
    while (messages.length < n) await sleep(5);
    return messages;
  };
  return { ws, opened, closed, next };
}

describe('the WebSocket gateway', () => {
  const registry = new Registry();
  let gateway: RpcGateway;
  let upstream: RpcServer;
  let upstreamAddress: string;
  const clients: RpcWebSocketClient[] = [];
  const client = (opts = {}) => {
    const c = new RpcWebSocketClient(gateway.url, { WebSocket: WS, ...opts });
    clients.push(c);
    return c;
  };
  let running = 0;
  let maxRunning = 0;
  let counted = 0;
  let release = gate();

  beforeAll(async () => {
    registry.register('echo', (...a) => a.map((x) => x.text).join('|'));
    registry.register('slowEcho', async (a, ms) => {
      slowStarted++;
      await sleep(Number(ms.text));
      return a;
    });
    registry.register('fail', () => {
      throw new Error('boom');
    });
    registry.register('empty', () => '');
    registry.register('big', (n) => new Uint8Array(Number(n.text)).fill(0x61));
    registry.register('counted', () => {
      counted++;
      return new Uint8Array(60_000).fill(0x62);
    });
    registry.register('held', async (x) => {
      running++;
      maxRunning = Math.max(maxRunning, running);
      await release.p;
      running--;
      return x;
    });
    // The forwarding target: our own server on TCP, with functions the gateway does not have.
    const upstreamRegistry = new Registry();
    upstreamRegistry.register('where', () => 'upstream');
    upstreamRegistry.register('echo', (...a) => `upstream:${a.map((x) => x.text).join('|')}`);
    upstream = new RpcServer({ registry: upstreamRegistry, log: () => {} });
    upstreamAddress = await upstream.listen('127.0.0.1:0');
    gateway = new RpcGateway({ registry, forward: [upstreamAddress], maxInFlight: 4, demo: false });
    await gateway.listen('127.0.0.1:0');
  });
  afterEach(() => {
    for (const c of clients.splice(0)) c.close();
  });
  afterAll(async () => {
    await gateway.close();
    await upstream.close();
  });

  it('answers 500 calls in flight on one connection, each with its own result', async () => {
    const c = client();
    const n = 500;
    const calls = Array.from({ length: n }, (_, i) =>
      i % 3 === 0 ? c.call('slowEcho', `#${i}`, String(i % 7)) : c.call('echo', `#${i}`, 'x'),
    );
    const results = (await Promise.all(calls)).map(text);
    for (const [i, r] of results.entries()) expect(r).toBe(i % 3 === 0 ? `#${i}` : `#${i}|x`);
    expect(c.state).toBe('open');
  });

  it('sends results as uwsgi response packets, 64-bit form above 65535 bytes', async () => {
    const c = client();
    const d = await c.request('big', ['70000']);
    expect(d.result.length).toBe(70000);
    expect(d.response[0]).toBe(173);
    expect(d.response[3]).toBe(5);
    expect(d.request).toEqual(codec.encodeRequest('big', ['70000']));
    const small = await c.request('echo', ['hi']);
    expect(Array.from(small.response)).toEqual(Array.from(codec.encodeResponse('hi')));
  });

  it('answers failures with error frames in their place and keeps the connection', async () => {
    // A gateway that forwards nothing: unknown names are NOT_FOUND here.
    const logs: string[] = [];
    const local = new RpcGateway({ registry, demo: false, log: (l) => logs.push(l) });
    await local.listen('127.0.0.1:0');
    const c = new RpcWebSocketClient(local.url, { WebSocket: WS });
    clients.push(c);
    const [a, b, e, d, f] = await Promise.allSettled([
      c.call('echo', '1'),
      c.call('nope'),
      c.call('fail'),
      c.call('empty'),
      c.callText('echo', '2'),
    ]);
    expect(a.status === 'fulfilled' && text(a.value)).toBe('1');
    expect(b.status === 'rejected' && (b.reason as RpcError).code).toBe('NOT_FOUND');
    expect(e.status === 'rejected' && (e.reason as RpcError).code).toBe('FUNCTION_FAILED');
    // What the function threw goes to the gateway's log, not to the page.
    expect(e.status === 'rejected' && (e.reason as RpcError).message).toBe('RPC function "fail" failed');
    expect(logs.some((l) => l.includes('boom'))).toBe(true);
    expect(d.status === 'rejected' && (d.reason as RpcError).code).toBe('NO_ANSWER');
    expect(f.status === 'fulfilled' && f.value).toBe('2');
    expect(b.status === 'rejected' && b.reason).toBeInstanceOf(RpcError);
    c.close();
    await local.close();
    // Through the default node, an unknown name gets uWSGI's silence: NO_ANSWER.
    expect((await rejection(client().call('nope'))).code).toBe('NO_ANSWER');
  });

  it('forwards func@node to an allowed node, and unknown plain names to the default node', async () => {
    const c = client();
    expect(await c.callText(`echo@${upstreamAddress}`, 'a', 'b')).toBe('upstream:a|b');
    expect(await c.callText('echo', 'a')).toBe('a'); // registered here: local first
    expect(await c.callText('where')).toBe('upstream');
    const e = await rejection(c.call('where@127.0.0.1:1'));
    expect(e.code).toBe('INVALID');
    expect(e.message).toMatch(/does not forward to "127.0.0.1:1"/);
  });

  it('answers a malformed packet with a MALFORMED frame, closes on text (1003) and oversized (1009) messages', async () => {
    const r = raw(gateway.url);
    await r.opened;
    r.ws.send(Buffer.from([173, 10, 0, 0, 1, 2]));
    r.ws.send(Buffer.from(codec.encodeRequest('echo', ['ok'])));
    const [m1, m2] = await r.next(2);
    expect(m1.binary).toBe(false);
    expect(JSON.parse(m1.data.toString())).toMatchObject({ error: 'MALFORMED' });
    expect(Buffer.compare(m2.data, Buffer.from(codec.encodeResponse('ok')))).toBe(0);
    r.ws.send('hello');
    expect(await r.closed).toBe(1003);
    const big = raw(gateway.url);
    await big.opened;
    big.ws.send(new Uint8Array(4 + 65535 + 1));
    expect(await big.closed).toBe(1009);
  });

  it('runs at most maxInFlight calls of one connection at once, and answers them all', async () => {
    release = gate();
    running = maxRunning = 0;
    const c = client();
    const calls = Array.from({ length: 20 }, (_, i) => c.callText('held', String(i)));
    while (running < 4) await sleep(5);
    await sleep(50);
    expect(maxRunning).toBe(4);
    release.open();
    expect(await Promise.all(calls)).toEqual(Array.from({ length: 20 }, (_, i) => String(i)));
  });

  it('stops running the calls of a page that reads none of its answers, and answers them all once it reads', async () => {
    const r = raw(gateway.url);
    await r.opened;
    const sock = (r.ws as unknown as { _socket: { pause(): void; resume(): void } })._socket;
    sock.pause();
    counted = 0;
    const packet = Buffer.from(codec.encodeRequest('counted'));
    for (let i = 0; i < 600; i++) r.ws.send(packet);
    await sleep(1500);
    // 600 answers are 36 MB: the kernel's socket buffers take a few, then the gateway waits.
    expect(counted).toBeGreaterThan(0);
    expect(counted).toBeLessThan(300);
    sock.resume();
    const got = await r.next(600);
    expect(counted).toBe(600);
    expect(got.every((m) => m.binary && m.data.length === 4 + 60_000)).toBe(true);
    r.ws.close();
  });

  it('checks the Origin: same-origin or none by default, an allow-list when given', async () => {
    const host = gateway.url.slice('ws://'.length, -1);
    const same = raw(gateway.url, `http://${host}`);
    await same.opened;
    same.ws.close();
    await expect(raw(gateway.url, 'https://evil.example').opened).rejects.toThrow(/403/);
    const listed = new RpcGateway({ registry, origins: ['https://app.example'], demo: false });
    await listed.listen('127.0.0.1:0');
    try {
      const ok = raw(listed.url, 'https://app.example');
      await ok.opened;
      ok.ws.close();
      await expect(raw(listed.url, `http://${host}`).opened).rejects.toThrow(/403/);
    } finally {
      await listed.close();
    }
  });

  it('times a call out, then matches the late answer to it, not to the next call', async () => {
    const c = client({ timeout: 100 });
    const slow = c.call('slowEcho', 'late', '300');
    // Answers keep request order, so this one waits behind the slow one (head of line).
    const next = c.request('echo', ['next'], { timeout: 5000 });
    const e = await rejection(slow);
    expect(e.code).toBe('TIMEOUT');
    expect(text((await next).result)).toBe('next');
    expect(await c.callText('echo', 'then')).toBe('then');
  });

  it('aborts a call with its AbortSignal', async () => {
    const c = client();
    const ac = new AbortController();
    const p = c.request('slowEcho', ['x', '200'], { signal: ac.signal });
    ac.abort();
    expect((await rejection(p)).code).toBe('ABORTED');
    expect(await c.callText('echo', 'after')).toBe('after');
  });

  it('reconnects: calls in flight fail with CONNECTION, calls made while down wait for the gateway', async () => {
    const g = new RpcGateway({ registry, demo: false });
    const address = await g.listen('127.0.0.1:0');
    const c = new RpcWebSocketClient(g.url, { WebSocket: WS, reconnect: { initialDelay: 20, maxDelay: 100 } });
    clients.push(c);
    expect(await c.callText('echo', 'before')).toBe('before');
    const before = slowStarted;
    const inFlight = rejection(c.call('slowEcho', 'x', '500'));
    while (slowStarted === before) await sleep(5);
    await g.close();
    expect((await inFlight).code).toBe('CONNECTION');
    const waiting = c.callText('echo', 'after');
    // down a while (the behaviour): the client retries (every 20..100 ms) and the call waits
    await sleep(150);
    const g2 = new RpcGateway({ registry, demo: false });
    await g2.listen(address);
    try {
      expect(await waiting).toBe('after');
    } finally {
      await g2.close();
    }
  });

  it('fails calls fast when nothing listens and reconnect is off', async () => {
    const c = new RpcWebSocketClient('ws://127.0.0.1:1/', { WebSocket: WS, reconnect: false });
    clients.push(c);
    expect((await rejection(c.call('echo'))).code).toBe('REFUSED');
  });

  it('refuses requests it cannot encode before sending anything', async () => {
    const c = client();
    expect((await rejection(c.call('echo', 'x'.repeat(70000)))).code).toBe('TOO_LARGE');
    expect(c.state).toBe('idle');
  });
});

describe('closing the gateway', () => {
  it('drops a page that never answers its close frame after closeHandshakeTimeout (ws alone waits 30 s)', async () => {
    const g = new RpcGateway({ registry: new Registry(), demo: false, closeHandshakeTimeout: 200 });
    const address = await g.listen('127.0.0.1:0');
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    // A hand-made handshake, then nothing read or written: a stuck or suspended page.
    const peer = connect(port, host);
    try {
      const ended = new Promise<void>((r) => peer.once('close', () => r()));
      peer.write(
        `GET / HTTP/1.1\r\nHost: ${address}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n`,
      );
      const head = await new Promise<string>((r) => peer.once('data', (d: Buffer) => r(d.toString('latin1'))));
      expect(head).toMatch(/^HTTP\/1\.1 101 /);
      peer.pause();
      await g.close();
      // the page wakes up to a connection the gateway has dropped
      peer.resume();
      await ended;
    } finally {
      peer.destroy();
    }
  }, 10_000);
});
