// Big answers stream with backpressure: a 256 MB SizedStream goes out in the 64-bit form to
// a slow reader while the server's memory stays near its socket buffers; a stream that
// breaks its declared size is a dropped connection with one line; answers after a streamed
// one wait for it (pipelining stays ordered).
import { createHash } from 'node:crypto';
import { connect, type Socket } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Codec, createCodecSync } from '../../src/codec/index.js';
import { Registry } from '../../src/functions/registry.js';
import type { RpcServer } from '../../src/server/server.js';
import { sized } from '../../src/functions/sized.js';
import { Wire } from './wire.js';
import { startServer } from './start.js';
import { CHUNK, generated, producer } from '../helpers/generated.js';
import { rssGrowth } from '../helpers/rss.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codec: Codec = createCodecSync();
const BIG = 256 << 20;

let server: RpcServer;
let logs: string[];
let address: string;

afterEach(async () => {
  await server?.close();
});

async function all(it: AsyncIterable<Uint8Array>): Promise<Uint8Array[]> {
  const out: Uint8Array[] = [];
  for await (const c of it) out.push(c);
  return out;
}

async function start(registry: Registry, harakiri?: number, socketTimeout?: number): Promise<void> {
  ({ server, address, logs } = await startServer(
    {},
    { registry, ...(harakiri ? { harakiri } : {}), ...(socketTimeout ? { socketTimeout } : {}) },
  ));
}

/** Reads a whole connection to its end, chunk by chunk (nothing kept but a hash), pausing at first. */
function readAll(
  socket: Socket,
  slowFor: number,
): Promise<{ head: Buffer; total: number; md5: string; ahead: number }> {
  return new Promise((resolve, reject) => {
    const h = createHash('md5');
    let head = Buffer.alloc(0);
    let total = 0;
    let ahead = 0;
    socket.pause();
    setTimeout(() => socket.resume(), slowFor);
    socket.on('data', (c: Buffer) => {
      if (head.length < 64) head = Buffer.concat([head, c.subarray(0, 64 - head.length)]);
      total += c.length;
      ahead = Math.max(ahead, producer.produced - total);
      h.update(c);
    });
    socket.on('error', reject);
    socket.on('close', () => resolve({ head, total, md5: h.digest('hex'), ahead }));
  });
}

describe('streamed answers', () => {
  it('256 MB in the 64-bit form to a slow reader, the RSS bounded', async () => {
    const registry = new Registry();
    registry.register('big', () => sized(BIG, generated(BIG)));
    await start(registry);
    const [host, port] = [
      address.slice(0, address.lastIndexOf(':')),
      Number(address.slice(address.lastIndexOf(':') + 1)),
    ];
    producer.produced = 0;
    const rss = rssGrowth();
    const s = connect({ host, port });
    s.write(codec.encodeRequest('big', []));
    s.end(); // half-close: the server answers, then closes
    const got = await readAll(s, 500);
    const grew = rss.stop();
    const header = codec.encodeResponseHeader(BIG, 0);
    expect(got.head.subarray(0, header.length)).toEqual(Buffer.from(header));
    expect(got.total).toBe(header.length + BIG);
    const expected = createHash('md5');
    expected.update(header);
    for await (const c of generated(BIG)) expected.update(c);
    expect(got.md5).toBe(expected.digest('hex'));
    console.log(
      `streamed 256 MB: server+reader RSS grew by ${(grew / 2 ** 20).toFixed(1)} MB, the producer ran at most ${(got.ahead / 2 ** 20).toFixed(1)} MB ahead of the reader`,
    );
    // What is held back is the socket buffers (ours, the kernel's both ways), not the answer;
    // the RSS bound (memory held: see helpers/rss.ts) leaves room for chunks in flight.
    expect(got.ahead).toBeLessThan(16 << 20);
    expect(grew).toBeLessThan(64 << 20);
    expect(logs).toEqual([]);
  }, 30_000);

  it('pipelined: answers after a streamed one wait for it, in order', async () => {
    const registry = new Registry();
    registry.register('echo', (x) => x);
    registry.register('slowbig', async () => {
      await sleep(20);
      return sized(
        3 * CHUNK + 5,
        (async function* () {
          for await (const c of generated(3 * CHUNK + 5)) {
            await sleep(5);
            yield c;
          }
        })(),
      );
    });
    registry.register('syncbig', () =>
      sized(100_000, [new Uint8Array(60_000).fill(7), new Uint8Array(40_000).fill(8)]),
    );
    await start(registry);
    const w = await Wire.open(address);
    w.write(
      codec.encodeRequest('echo', ['a']),
      codec.encodeRequest('slowbig', []),
      codec.encodeRequest('echo', ['b']),
      codec.encodeRequest('syncbig', []),
      codec.encodeRequest('echo', ['c']),
    );
    w.socket.end();
    const data = await w.untilClosed();
    const frames = codec.createDecoder({ response: true, maxFrame: 1 << 20 }).push(data);
    expect(frames.map((f) => f.body.length)).toEqual([1, 3 * CHUNK + 5, 1, 100_000, 1]);
    expect([0, 2, 4].map((i) => Buffer.from(frames[i].body).toString())).toEqual(['a', 'b', 'c']);
    const want = Buffer.concat(await all(generated(3 * CHUNK + 5)));
    expect(Buffer.from(frames[1].body).equals(want)).toBe(true);
    expect(frames[3].body[59_999]).toBe(7);
    expect(frames[3].body[60_000]).toBe(8);
    expect(logs).toEqual([]);
  });

  it('modifier2 1 (raw): the bare bytes, then the server closes', async () => {
    const registry = new Registry();
    registry.register('big', () => sized(5 * CHUNK, generated(5 * CHUNK)));
    await start(registry);
    const w = await Wire.open(address);
    w.write(codec.encodeRequest('big', [], 1));
    const data = await w.untilClosed();
    expect(data.equals(Buffer.concat(await all(generated(5 * CHUNK))))).toBe(true);
  });

  it.each([
    [
      'fewer bytes than declared',
      () => sized(3 * CHUNK, generated(2 * CHUNK)),
      /ended after 131072 of its declared 196608 bytes/,
    ],
    ['more bytes than declared', () => sized(CHUNK, generated(2 * CHUNK)), /more than its declared 65536 bytes/],
    [
      'a throwing iterable',
      () =>
        sized(
          3 * CHUNK,
          (async function* () {
            yield* generated(CHUNK);
            throw new Error('disk gone');
          })(),
        ),
      /failed after 65536 of 196608 bytes: .*disk gone/,
    ],
    ['a chunk that is not bytes', () => sized(3, ['abc' as unknown as Uint8Array]), /yielded string, not a Uint8Array/],
  ])('%s: the connection is dropped after what was sent, one line', async (_, fn, line) => {
    const registry = new Registry();
    registry.register('bad', fn);
    registry.register('echo', (x) => x);
    await start(registry);
    const w = await Wire.open(address);
    w.write(
      codec.encodeRequest('echo', ['first']),
      codec.encodeRequest('bad', []),
      codec.encodeRequest('echo', ['never']),
    );
    const data = await w.untilClosed();
    expect(
      codec
        .createDecoder({ response: true })
        .push(data.subarray(0, 9))
        .map((f) => Buffer.from(f.body).toString()),
    ).toEqual(['first']);
    expect(data.length).toBeLessThan(9 + 4 + 30 + 2 * CHUNK + 1);
    expect(logs).toEqual([expect.stringMatching(line)]);
  });

  it('a declared length that is not a positive safe integer: refused like an empty result', async () => {
    const registry = new Registry();
    registry.register('zero', () => ({ length: 0, body: [] }));
    await start(registry);
    const w = await Wire.open(address);
    w.write(codec.encodeRequest('zero', []));
    expect((await w.untilClosed()).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/sized stream of length 0/)]);
    expect(() => sized(0, [])).toThrow(RangeError);
  });

  it('harakiri: an iterable that stops producing is abandoned, one line', async () => {
    const registry = new Registry();
    registry.register('stuck', () =>
      sized(
        3 * CHUNK,
        (async function* () {
          yield* generated(CHUNK);
          await new Promise(() => {});
        })(),
      ),
    );
    await start(registry, 300);
    const w = await Wire.open(address);
    w.write(codec.encodeRequest('stuck', []));
    const data = await w.untilClosed();
    expect(data.length).toBe(codec.encodeResponseHeader(3 * CHUNK, 0).length + CHUNK);
    expect(logs).toEqual([expect.stringMatching(/harakiri: a streamed answer produced nothing for 300 ms/)]);
  });

  it('socket-timeout: a peer that stops reading a streamed answer is dropped, the stream stops', async () => {
    const registry = new Registry();
    registry.register('big', () => sized(BIG, generated(BIG)));
    await start(registry, undefined, 500);
    producer.produced = 0;
    const w = await Wire.open(address);
    w.socket.pause();
    w.write(codec.encodeRequest('big', []));
    // paused, the client would not see the close: wait for the server's line
    while (logs.length === 0) await sleep(50);
    w.socket.destroy();
    expect(logs).toEqual([
      expect.stringMatching(/socket-timeout: the peer read nothing of \d+ pending answer bytes for 500 ms/),
    ]);
    expect(producer.produced).toBeLessThan(16 << 20);
  });

  it('local calls (registry.call) gather the stream: every byte, in order', async () => {
    const registry = new Registry();
    registry.register('big', () => sized(3 * CHUNK + 5, generated(3 * CHUNK + 5)));
    const got = await registry.call('big');
    expect(got.length).toBe(3 * CHUNK + 5);
    expect(Buffer.from(got).equals(Buffer.concat(await all(generated(3 * CHUNK + 5))))).toBe(true);
  });
});
