// client.stream(): a result read as it arrives, never held whole. Against our server's
// 256 MB SizedStream (memory bounded on both sides), the plain, 64-bit and raw forms, the
// errors and the timeout's meaning; and against real uWSGI returning over 1 MB (Python).
// Also: call() keeps a 64-bit-form result in the one buffer the decoder filled.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/index.js';
import { RpcError } from '../../src/rpc-error.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { sized } from '../../src/functions/sized.js';
import { requirePeer, which } from '../helpers/peers.js';
import { freePort, type Peer, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { CHUNK, generated, producer } from '../helpers/generated.js';
import { rssGrowth } from '../helpers/rss.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds or `ms` pass (then false). */
async function until(cond: () => boolean, ms = 10_000): Promise<boolean> {
  for (const end = Date.now() + ms; !cond(); await sleep(10)) if (Date.now() > end) return false;
  return true;
}
const BIG = 256 << 20;

async function md5Of(it: AsyncIterable<Uint8Array>): Promise<{ md5: string; total: number }> {
  const h = createHash('md5');
  let total = 0;
  for await (const c of it) {
    h.update(c);
    total += c.length;
  }
  return { md5: h.digest('hex'), total };
}

async function failure(it: AsyncIterable<Uint8Array>): Promise<RpcError> {
  try {
    for await (const _ of it) {
      /* drain */
    }
  } catch (err) {
    expect(err).toBeInstanceOf(RpcError);
    return err as RpcError;
  }
  throw new Error('the stream did not fail');
}

describe('client.stream() against our server', () => {
  let server: RpcServer;
  let address: string;
  const logs: string[] = [];
  const client = new RpcClient({ timeout: 2_000 });

  beforeAll(async () => {
    const registry = new Registry();
    registry.register('big', () => sized(BIG, generated(BIG)));
    registry.register('some', (n) => sized(Number(n.text), generated(Number(n.text))));
    registry.register('hello', () => 'hello');
    registry.register('stall', () =>
      sized(
        3 * CHUNK,
        (async function* () {
          yield* generated(CHUNK);
          await new Promise(() => {});
        })(),
      ),
    );
    // harakiri ends the 'stall' streams once their callers gave up (a FIN alone may be a half-close).
    server = new RpcServer({ registry, engine: 'ts', log: (l) => logs.push(l), harakiri: 1_000 });
    address = await server.listen('127.0.0.1:0');
  });

  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('256 MB in the 64-bit form, read slowly at first; memory bounded on both sides', async () => {
    producer.produced = 0;
    const rss = rssGrowth();
    const h = createHash('md5');
    let total = 0;
    let ahead = 0;
    let first = true;
    for await (const c of client.stream(address, 'big', [], { timeout: 5_000 })) {
      if (first) {
        first = false;
        await sleep(300);
      }
      total += c.length;
      ahead = Math.max(ahead, producer.produced - total);
      h.update(c);
    }
    const grew = rss.stop();
    const want = await md5Of(generated(BIG));
    expect(total).toBe(BIG);
    expect(h.digest('hex')).toBe(want.md5);
    console.log(
      `client.stream 256 MB: RSS grew by ${(grew / 2 ** 20).toFixed(1)} MB, the producer ran at most ${(ahead / 2 ** 20).toFixed(1)} MB ahead`,
    );
    expect(ahead).toBeLessThan(16 << 20);
    expect(grew).toBeLessThan(64 << 20);
  }, 30_000);

  it('the plain form, the 64-bit form and raw give the same bytes as call()', async () => {
    for (const n of ['5', '65535', '65536', String(3 * CHUNK + 7)]) {
      const whole = await client.call(address, 'some', [n]);
      expect(await md5Of(client.stream(address, 'some', [n]))).toEqual(
        await md5Of([whole] as unknown as AsyncIterable<Uint8Array>),
      );
      expect(await md5Of(client.stream(address, 'some', [n], { raw: true }))).toEqual(
        await md5Of([whole] as unknown as AsyncIterable<Uint8Array>),
      );
    }
    const chunks: Uint8Array[] = [];
    for await (const c of client.stream(address, 'hello')) chunks.push(c);
    expect(Buffer.concat(chunks).toString()).toBe('hello');
  });

  it('call() keeps a 64-bit-form result in the one buffer it was read into (no second copy)', async () => {
    const r = await client.call(address, 'some', [String(8 << 20)]);
    expect(r.length).toBe(8 << 20);
    expect(r.byteOffset).toBe(0);
    expect(r.buffer.byteLength).toBe(8 << 20);
  });

  it('breaking out of the loop closes the connection (the server sees it go, before any timeout of its own); the server goes on', async () => {
    expect(await until(() => server.connectionCount === 0)).toBe(true);
    logs.length = 0;
    let n = 0;
    for await (const _ of client.stream(address, 'big')) {
      expect(server.connectionCount).toBe(1);
      if (++n === 3) break;
    }
    // Left open, the server would close it itself after socket-timeout (4 s), saying so.
    expect(await until(() => server.connectionCount === 0)).toBe(true);
    expect(logs.filter((l) => /socket-timeout|harakiri/.test(l))).toEqual([]);
    expect(await client.rpcText(address, 'hello')).toBe('hello');
  });

  it('no answer, refused, aborted', async () => {
    expect((await failure(client.stream(address, 'nope'))).code).toBe('NO_ANSWER');
    expect((await failure(client.stream(address, 'nope', [], { raw: true }))).code).toBe('NO_ANSWER');
    const port = await freePort();
    expect((await failure(client.stream(`127.0.0.1:${port}`, 'x'))).code).toBe('REFUSED');
    const ac = new AbortController();
    const it = client.stream(address, 'stall', [], { signal: ac.signal, timeout: 0 });
    setTimeout(() => ac.abort(), 100);
    expect((await failure(it)).code).toBe('ABORTED');
  });

  it('timeout: the time waiting for the server between chunks, not the time the caller holds one', async () => {
    // The server sends 64 KB and stalls: TIMEOUT after the first chunk(s).
    let got = 0;
    const err = await failure(
      (async function* () {
        for await (const c of client.stream(address, 'stall', [], { timeout: 200 })) {
          got += c.length;
          yield c;
        }
      })(),
    );
    expect(err.code).toBe('TIMEOUT');
    expect(err.message).toMatch(/nothing from the server within 200 ms/);
    expect(got).toBe(CHUNK);
    // A consumer slower than the timeout is not cut off.
    let total = 0;
    for await (const c of client.stream(address, 'some', [String(4 * CHUNK)], { timeout: 100 })) {
      await sleep(150);
      total += c.length;
    }
    expect(total).toBe(4 * CHUNK);
  });

  it('a local call yields its whole result once', async () => {
    const local = new RpcClient({ registry: Object.assign(new Registry(), {}).register('x', () => 'local') });
    const chunks: Uint8Array[] = [];
    for await (const c of local.stream(null, 'x')) chunks.push(c);
    expect(chunks.map((c) => Buffer.from(c).toString())).toEqual(['local']);
  });
});

const FIXTURES = join(import.meta.dirname, '../interop/fixtures');
const uwsgiOk =
  which('uwsgi') !== null &&
  existsSync('/usr/lib/uwsgi/plugins/python3_plugin.so') &&
  existsSync('/usr/lib/uwsgi/plugins/rpc_plugin.so');

describe.skipIf(
  !requirePeer('uwsgi with the python3 and rpc plugins', uwsgiOk, 'apt-get install uwsgi-core uwsgi-plugin-python3'),
)('client.stream() against real uWSGI (python3)', () => {
  let peer: Peer;
  let dir: string;
  let tcp: string;
  const client = new RpcClient({ timeout: 10_000 });

  beforeAll(async () => {
    dir = tempDir();
    tcp = `127.0.0.1:${await freePort()}`;
    peer = await startUwsgi(
      'python3,rpc',
      ['--socket', tcp, '--import', join(FIXTURES, 'rpc_functions.py')],
      [tcp],
      dir,
    );
  });

  afterAll(async () => {
    await client.close();
    await peer?.stop();
    removeDir(dir);
  });

  const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);

  it.each([false, true])('a 3 MB result (raw: %s), chunk by chunk, equal to big(n)', async (raw) => {
    const n = 3 << 20;
    let chunks = 0;
    const h = createHash('md5');
    let total = 0;
    for await (const c of client.stream(tcp, 'big', [String(n)], { raw })) {
      chunks++;
      total += c.length;
      h.update(c);
    }
    expect(total).toBe(n);
    expect(h.digest('hex')).toBe(createHash('md5').update(pattern(n)).digest('hex'));
    expect(chunks).toBeGreaterThan(1);
  });

  it('an unknown function: NO_ANSWER', async () => {
    expect((await failure(client.stream(tcp, 'nope'))).code).toBe('NO_ANSWER');
  });
});
