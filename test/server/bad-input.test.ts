// Bad input, one kind at a time: each gets a closed connection and exactly one log line,
// and the server goes on answering.
import { afterEach, describe, expect, it } from 'vitest';
import type { RpcServerOptions } from '../../src/server/options.js';
import type { RpcServer } from '../../src/server/server.js';
import { Wire, answers, req, stillServes as serves } from './wire.js';
import { startServer } from './start.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RpcServer;
let logs: string[];
let address: string;

afterEach(async () => {
  await server?.close();
});

async function start(options: RpcServerOptions = {}) {
  ({ server, address, logs } = await startServer(
    {
      echo: (x) => x ?? 'none',
      count: (...a) => String(a.length),
      later: async (x) => {
        await sleep(30);
        return x;
      },
      huge: () => Buffer.alloc(64 << 20, 3),
    },
    options,
  ));
}

const stillServes = () => serves(address);

/** Sends `bytes` (then FIN if `fin`), waits for the server to close; returns what came back. */
async function send(bytes: Uint8Array, fin = false): Promise<Buffer> {
  const w = await Wire.open(address);
  w.write(bytes);
  if (fin) w.socket.end();
  return w.untilClosed();
}

describe('bad input', () => {
  it.each([
    [
      'random bytes',
      Buffer.from('d3 12 00 ff 01 7e 44 12 90 00 00 00 aa bb cc dd ee ff 00 11 22 33'.replace(/ /g, ''), 'hex'),
      /modifier1 211/,
    ],
    [
      'a wrong modifier1',
      Buffer.concat([Buffer.from([7]), Buffer.from(req('echo', ['x']).subarray(1))]),
      /modifier1 7 is neither/,
    ],
    ['an item longer than the body', Buffer.from([173, 6, 0, 0, 10, 0, 101, 99, 104, 111]), /malformed request/],
    ['an empty body', Buffer.from([173, 0, 0, 0]), /no function name/],
  ])('%s: closed without an answer, one line', async (_, bytes, line) => {
    await start();
    expect((await send(bytes)).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(line)]);
    await stillServes();
  });

  it.each([
    ['a truncated header', Buffer.from([173, 10])],
    ['a length beyond the data', Buffer.concat([Buffer.from([173, 200, 0, 0]), Buffer.from(req('echo').subarray(4))])],
  ])('%s, then FIN: closed, one line', async (_, bytes) => {
    await start();
    expect((await send(bytes, true)).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/closed its side in the middle of a packet/)]);
    await stillServes();
  });

  it('random bytes whose header promises more: closed by socket-timeout, one line', async () => {
    await start({ socketTimeout: 100 });
    expect((await send(Buffer.from('d39a00ff017e4412900000', 'hex'))).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/socket-timeout: a partial packet \(11 bytes\)/)]);
  });

  it('a length beyond the data, and silence: closed by socket-timeout, one line', async () => {
    await start({ socketTimeout: 100 });
    expect((await send(Buffer.from([173, 200, 0, 0, 1, 0]))).length).toBe(0);
    expect(logs).toEqual([expect.stringMatching(/socket-timeout: a partial packet \(6 bytes\)/)]);
  });

  it('400 items: as uWSGI, the function and the first 254 args are taken, the rest ignored', async () => {
    await start();
    const items = [Buffer.from('count'), ...Array.from({ length: 399 }, () => Buffer.from('a'))];
    const body = Buffer.concat(items.flatMap((b) => [Buffer.from([b.length, 0]), b]));
    const head = Buffer.from([173, body.length & 255, body.length >> 8, 0]);
    const w = await Wire.open(address);
    w.write(head, body);
    expect(answers(await w.bytes(7))).toEqual(['254']);
    w.end();
    expect(logs).toEqual([]);
  });

  it('a half-closed peer (requests, then FIN) gets every answer, async ones too, then the close', async () => {
    await start();
    const got = await send(Buffer.concat([req('later', ['a']), req('echo', ['b']), req('later', ['c'])]), true);
    expect(answers(got)).toEqual(['a', 'b', 'c']);
    expect(logs).toEqual([]);
  });

  it('a peer that resets in the middle of a big answer: one line, the server goes on', async () => {
    await start({ maxPendingBytes: 256 << 20 });
    const w = await Wire.open(address);
    w.write(req('huge'));
    await w.bytes(100_000);
    w.socket.resetAndDestroy();
    for (let i = 0; i < 100 && logs.length === 0; i++) await sleep(10);
    expect(logs).toEqual([
      expect.stringMatching(
        /the peer went away \((ECONNRESET|EPIPE)\) with 0 calls unanswered and \d+ answer bytes unsent/,
      ),
    ]);
    await stillServes();
  });
});
