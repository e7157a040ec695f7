// Faults around a call: peers that vanish mid-call, functions that never finish or throw
// odd things, and close() while calls run: one line each at most, nothing thrown, the
// server keeps serving, and no call already running is cut short by close().
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { RpcError } from '../../src/rpc-error.js';
import type { Registry } from '../../src/functions/registry.js';
import type { RpcServerOptions } from '../../src/server/options.js';
import type { RpcServer } from '../../src/server/server.js';
import { Wire, answers, req, stillServes as serves } from './wire.js';
import { startServer } from './start.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** A result that waits for open(); `enter()` returns it and counts the calls that got there. */
function gate() {
  let open!: (v: string) => void;
  const p = new Promise<string>((r) => {
    open = r;
  });
  const g = {
    p,
    open,
    entered: 0,
    enter: () => {
      g.entered++;
      return p;
    },
  };
  return g;
}

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
  ({ server, address, logs, registry } = await startServer({ echo: (x) => x ?? 'none' }, options));
}

const stillServes = () => serves(address);

describe('faults', () => {
  it('a peer that resets mid-call: one line; the late result goes nowhere, without a throw', async () => {
    await start();
    const g = gate();
    registry.register('slow', () => g.enter());
    const w = await Wire.open(address);
    w.write(req('slow'));
    expect(await until(() => g.entered === 1)).toBe(true);
    w.socket.resetAndDestroy();
    expect(await until(() => server.connectionCount === 0)).toBe(true);
    g.open('too late');
    // the late result is handled in the microtasks after open(): one turn of the loop later it is done
    await new Promise((r) => setImmediate(r));
    expect(logs).toEqual([expect.stringMatching(/the peer went away \(ECONNRESET\) with 1 call unanswered/)]);
    await stillServes();
  });

  it('a peer that shuts its side mid-call still gets the answer (half-open), then the close', async () => {
    await start();
    const g = gate();
    registry.register('slow', () => g.enter());
    const w = await Wire.open(address);
    w.write(req('slow'));
    w.socket.end();
    expect(await until(() => g.entered === 1)).toBe(true);
    // time for the FIN to reach the server while the call runs (nothing shows that it did)
    await sleep(20);
    g.open('here');
    expect(answers(await w.untilClosed())).toEqual(['here']);
    expect(logs).toEqual([]);
  });

  it('a function that never resolves: the client times out; its FIN may be a half-close, so the server waits, as uWSGI, until harakiri', async () => {
    await start({ harakiri: 300 });
    registry.register('never', () => new Promise<string>(() => {}));
    const client = new RpcClient({ engine: 'ts', timeout: 100 });
    await expect(client.call(address, 'never')).rejects.toMatchObject({ code: 'TIMEOUT' });
    await client.close();
    await stillServes();
    expect(await until(() => server.connectionCount === 0)).toBe(true);
    expect(logs).toEqual([expect.stringMatching(/harakiri: a call ran longer than 300 ms/)]);
  });

  it.each([
    [
      'throws a string',
      () => {
        throw 'plain';
      },
      /failed: plain/,
    ],
    [
      'throws null',
      () => {
        throw null;
      },
      /failed: null/,
    ],
    ['rejects with undefined', () => Promise.reject(undefined), /failed: undefined/],
    ['returns a promise of a number', async () => 7, /returned number/],
    [
      'returns a thenable that throws in then()',
      () => ({
        // biome-ignore lint/suspicious/noThenProperty: a misbehaving thenable is what this case sends
        then() {
          throw new Error('bad thenable');
        },
      }),
      /failed: Error: bad thenable/,
    ],
  ])('a function that %s: closed without an answer, one line', async (_, fn, line) => {
    await start();
    registry.register('f', fn as never);
    const client = new RpcClient({ engine: 'ts' });
    await expect(client.call(address, 'f')).rejects.toMatchObject({ code: 'NO_ANSWER' });
    await client.close();
    expect(logs).toEqual([expect.stringMatching(line)]);
    await stillServes();
  });
});

describe('graceful close()', () => {
  it('every call already running on any connection is answered; new connections are refused; it resolves', async () => {
    await start({ closeTimeout: 5_000 });
    const g = gate();
    registry.register('slow', async (x) => `${await g.enter()}:${x.text}`);
    const wires = await Promise.all([0, 1, 2, 3].map(() => Wire.open(address)));
    // pipelined calls, all running by the time close() starts
    for (const [i, w] of wires.entries())
      w.write(req('slow', [`${i}a`]), req('echo', [`${i}b`]), req('slow', [`${i}c`]));
    expect(await until(() => g.entered === 8)).toBe(true);
    const closed = server.close();
    await expect(Wire.open(address)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
    g.open('done');
    const got = await Promise.all(wires.map((w) => w.untilClosed()));
    for (const [i, b] of got.entries()) expect(answers(b)).toEqual([`done:${i}a`, `${i}b`, `done:${i}c`]);
    await closed;
    expect(server.connectionCount).toBe(0);
  });

  it('is bounded: calls still running after closeTimeout lose their connections, and close() resolves', async () => {
    await start({ closeTimeout: 150 });
    const g = gate();
    registry.register('never', () => g.enter());
    const w = await Wire.open(address);
    w.write(req('never'));
    expect(await until(() => g.entered === 1)).toBe(true);
    const t = performance.now();
    await server.close();
    expect(performance.now() - t).toBeLessThan(2_000);
    expect((await w.untilClosed()).length).toBe(0);
    await expect(server.listen(':0')).rejects.toBeInstanceOf(RpcError);
  });
});
