// Every server limit on real sockets: it closes (or pauses) the connection past it, logs one
// line, and leaves every other connection alone.
import { spawnSync } from 'node:child_process';
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { RpcError } from '../../src/rpc-error.js';
import { DEFAULT_LIMITS } from '../../src/server/options.js';
import { Registry } from '../../src/functions/registry.js';
import type { RpcServerOptions } from '../../src/server/options.js';
import { RpcServer } from '../../src/server/server.js';
import { Wire, answers, keepOpen, req } from './wire.js';
import { startServer } from './start.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds (at most 5 s). */
async function until(cond: () => boolean): Promise<boolean> {
  for (const end = Date.now() + 5_000; !cond(); await sleep(5)) if (Date.now() > end) return false;
  return true;
}

let server: RpcServer;
let logs: string[];
let address: string;
let registry: Registry;

afterEach(async () => {
  await server?.close();
});

async function start(options: RpcServerOptions = {}) {
  ({ server, address, logs, registry } = await startServer(
    {
      hello: () => 'Hello World',
      echo: (x) => x ?? 'none',
      hang: () => new Promise<string>(() => {}),
    },
    options,
  ));
}

/** One good call on its own connection: the other connections' troubles must not show here. */
async function goodCall(): Promise<void> {
  const w = await Wire.open(address);
  w.write(req('echo', ['ok']));
  const got = await w.bytes(6);
  expect(answers(got)).toEqual(['ok']);
  w.end();
}

describe('server limits', () => {
  it("defaults are uWSGI's where it has one; bad values are refused", () => {
    expect(DEFAULT_LIMITS).toMatchObject({ backlog: 511, socketTimeout: 4000, harakiri: 0, bufferSize: 65535 });
    const s = new RpcServer({ registry: new Registry() });
    expect(s.limits).toEqual(DEFAULT_LIMITS);
    expect(() => new RpcServer({ maxConns: 0 })).toThrow(RpcError);
    expect(() => new RpcServer({ socketTimeout: -1 })).toThrow(/socketTimeout/);
    expect(() => new RpcServer({ harakiri: 1.5 })).toThrow(/harakiri/);
  });

  it('socket-timeout: a connection that sends nothing, or half a packet, is closed after it; one line each', async () => {
    await start({ socketTimeout: 150 });
    const silent = await Wire.open(address);
    const partial = await Wire.open(address);
    partial.write(req('echo', ['x']).subarray(0, 5));
    // a busy peer is not cut: it keeps sending bytes of its packet
    const slow = await Wire.open(address);
    const packet = req('echo', ['slowly']);
    for (let i = 0; i < packet.length - 1; i++) {
      slow.write(packet.subarray(i, i + 1));
      await sleep(30);
      if (i === 3) await goodCall();
    }
    expect(silent.isClosed && partial.isClosed).toBe(true);
    expect(slow.isClosed).toBe(false);
    slow.write(packet.subarray(packet.length - 1));
    expect(answers(await slow.bytes(10))).toEqual(['slowly']);
    expect((await silent.untilClosed()).length).toBe(0);
    expect(logs).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/socket-timeout: a partial packet \(5 bytes\) for 150 ms/),
        expect.stringMatching(/socket-timeout: no request for 150 ms/),
      ]),
    );
    expect(logs).toHaveLength(2);
    slow.end();
  });

  it('keepalive-timeout: an answered connection may idle past socket-timeout, then gets a quiet FIN', async () => {
    await start({ socketTimeout: 100, keepaliveTimeout: 600 });
    const w = await Wire.open(address);
    w.write(keepOpen(req('hello')));
    await w.bytes(15);
    await sleep(350);
    expect(w.isClosed).toBe(false);
    w.write(req('echo', ['again']));
    expect(answers(await w.bytes(15 + 9))).toEqual(['Hello World', 'again']);
    await w.untilClosed();
    expect(logs).toEqual([]);
  });

  it("keepalive: a keep-alive client calling at its idle interval never loses a call to the server's idle close", async () => {
    // The client drops idle connections after idleTimeout; the server keeps them longer.
    await start({ keepaliveTimeout: 300 });
    const client = new RpcClient({ keepAlive: true, idleTimeout: 150, probation: 20, engine: 'ts' });
    try {
      for (let i = 0; i < 12; i++) {
        expect(Buffer.from(await client.call(address, 'echo', [String(i)])).toString()).toBe(String(i));
        await sleep(i % 3 === 0 ? 160 : 40);
      }
    } finally {
      await client.close();
    }
    expect(logs).toEqual([]);
  });

  it('harakiri: a call running too long loses its connection, with one line; others are served meanwhile', async () => {
    await start({ harakiri: 150 });
    const w = await Wire.open(address);
    w.write(req('hello'), req('hang'), req('hello'));
    const t = w.untilClosed();
    await goodCall();
    const got = await t;
    expect(answers(got)).toEqual(['Hello World']);
    expect(logs).toEqual([
      expect.stringMatching(/harakiri: a call ran longer than 150 ms: connection closed without an answer/),
    ]);
    await goodCall();
  });

  it('max-conns: with every connection busy, connections past it are closed at once; one line when full, one when below again', async () => {
    await start({ maxConns: 3, socketTimeout: 100 });
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let running = 0;
    registry.register('hold', async () => {
      running++;
      await released;
      return 'held';
    });
    const held = await Promise.all([0, 1, 2].map(() => Wire.open(address)));
    for (const h of held) h.write(req('hold'));
    // a call runs on each: nothing to make room with (test/faults/max-conns.test.ts: when there is)
    expect(await until(() => running === 3)).toBe(true);
    const extra = await Promise.all([0, 1, 2].map(() => Wire.open(address)));
    for (const e of extra) expect((await e.untilClosed()).length).toBe(0);
    // the held ones are still served
    release();
    for (const h of held) expect(answers(await h.bytes(8))).toEqual(['held']);
    for (const h of held) h.end();
    // the server's sweep notices room again and says so
    expect(await until(() => logs.length === 2)).toBe(true);
    await goodCall();
    expect(server.refusedConnections).toBe(3);
    expect(logs).toEqual([
      expect.stringMatching(/max-conns: 3 connections open: closing idle ones and requests not whole to make room/),
      expect.stringMatching(
        /max-conns: in [\d.]+ s, 0 connections closed to make room .*, 3 refused \(every one busy\); below the limit again/,
      ),
    ]);
  });

  it('buffer-size: a bigger request packet is refused (closed, one line); smaller ones on other connections are answered', async () => {
    await start({ bufferSize: 100 });
    const w = await Wire.open(address);
    w.write(req('echo', ['x'.repeat(200)]));
    expect((await w.untilClosed()).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/buffer-size: a request packet larger than 100 bytes/)]);
    const ok = await Wire.open(address);
    ok.write(req('echo', ['y'.repeat(80)]));
    expect(answers(await ok.bytes(84))).toEqual(['y'.repeat(80)]);
    ok.end();
  });

  it('max-inflight: no more calls run at once on one connection; the rest wait and are answered in order', async () => {
    await start({ maxInFlight: 2 });
    let running = 0;
    let most = 0;
    registry.register('slow', async (x) => {
      most = Math.max(most, ++running);
      await sleep(20);
      running--;
      return x;
    });
    const w = await Wire.open(address);
    const n = 8;
    w.write(Buffer.concat(Array.from({ length: n }, (_, i) => req('slow', [String(i)]))));
    const got = await w.bytes(n * 5);
    expect(answers(got)).toEqual(Array.from({ length: n }, (_, i) => String(i)));
    expect(most).toBe(2);
    expect(logs).toEqual([expect.stringMatching(/2 calls in flight \(max 2\): reading paused/)]);
    w.end();
  });

  it('max-pending-bytes and socket-timeout on writes: a peer that reads none of its answers is paused, then dropped', async () => {
    await start({ maxPendingBytes: 100_000, socketTimeout: 200 });
    registry.register('big', () => Buffer.alloc(4 << 20, 7));
    const w = await Wire.open(address);
    w.socket.pause();
    w.write(req('big'), req('big'), req('big'), req('big'));
    await goodCall();
    while (logs.length < 2) await sleep(20);
    // a paused socket does not see the reset: read to notice it
    w.socket.resume();
    await w.untilClosed();
    expect(logs).toEqual([
      expect.stringMatching(/answer bytes unsent \(max 100000\): reading paused/),
      expect.stringMatching(/socket-timeout: the peer read nothing of \d+ pending answer bytes for 200 ms/),
    ]);
  });

  it('a big answer to a slow but steady reader is not cut by socket-timeout', async () => {
    await start({ socketTimeout: 150 });
    registry.register('big', () => Buffer.alloc(8 << 20, 1));
    const w = await Wire.open(address);
    w.write(req('big'));
    w.socket.pause();
    const step = setInterval(() => {
      w.socket.resume();
      setTimeout(() => w.socket.pause(), 5);
    }, 60);
    try {
      const got = await w.bytes((8 << 20) + 4 + 18 + 7);
      expect(got.length).toBeGreaterThan(8 << 20);
    } finally {
      clearInterval(step);
      w.socket.resume();
    }
    expect(logs.filter((l) => l.includes('timeout'))).toEqual([]);
    w.end();
  });

  it('--listen: the backlog reaches the kernel (ss shows it as Send-Q)', async () => {
    const ss = spawnSync('ss', ['-V']);
    if (ss.status !== 0) return console.log('skipped: no ss here');
    await start({ backlog: 37 });
    const port = address.slice(address.lastIndexOf(':') + 1);
    const out = spawnSync('ss', ['-ltnH', `sport = :${port}`], { encoding: 'utf8' }).stdout;
    expect(out.trim().split(/\s+/)[2]).toBe('37');
  });
});
