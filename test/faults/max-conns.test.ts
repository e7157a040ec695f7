// --max-conns with a full table: a new connection makes room by closing the open one that costs
// least to lose (ending, then idle keep-alive, then the request begun longest ago and still not
// whole), never one with a call running; refused ones are counted and summed up in few lines.
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import type { RpcServer } from '../../src/server/server.js';
import { until } from '../helpers/until.js';
import { startServer } from '../server/start.js';
import { Wire, answers, keepOpen, req } from '../server/wire.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

let server: RpcServer | undefined;
const wires: Wire[] = [];
const timers: NodeJS.Timeout[] = [];

afterEach(async () => {
  for (const t of timers.splice(0)) clearInterval(t);
  for (const w of wires.splice(0)) w.end();
  await server?.close();
  server = undefined;
});

async function open(address: string): Promise<Wire> {
  const w = await Wire.open(address);
  wires.push(w);
  return w;
}

/** A request promising far more bytes than will come. */
const HALF = req('echo', ['x'.repeat(500)]).subarray(0, 20);

describe('max-conns: a full table makes room', () => {
  it('idle ones go first (longest idle first), then the oldest unfinished requests; busy ones never; then refused', async () => {
    let release = () => {};
    const released = new Promise<void>((r) => {
      release = r;
    });
    let running = 0;
    const started = await startServer(
      {
        echo: (x) => x ?? 'none',
        hold: async (x) => {
          running++;
          await released;
          return x ?? 'none';
        },
      },
      { maxConns: 6, requestTimeout: 0 },
    );
    server = started.server;
    const { address, logs } = started;
    // two idle keep-alive connections (answered once), the first idle longer
    const idle: Wire[] = [];
    for (const tag of ['i0', 'i1']) {
      const w = await open(address);
      w.write(keepOpen(req('echo', [tag])));
      expect(answers(await w.bytes(6))).toEqual([tag]);
      idle.push(w);
      await sleep(20);
    }
    // two requests not whole, the first begun earlier (and still dripping: bytes keep coming)
    const slow: Wire[] = [];
    for (let i = 0; i < 2; i++) {
      const w = await open(address);
      w.write(HALF);
      timers.push(setInterval(() => w.isClosed || w.write(Buffer.from('x')), 10));
      slow.push(w);
      await sleep(20);
    }
    // two with a call running
    const busy: Wire[] = [];
    for (const tag of ['b0', 'b1']) {
      const w = await open(address);
      w.write(req('hold', [tag]));
      busy.push(w);
    }
    expect(await until(() => running === 2 && server!.connectionCount === 6)).toBe(true);

    // each newcomer runs a call at once, so it is busy too when the next one comes
    const order = [idle[0], idle[1], slow[0], slow[1]];
    const newcomers: Wire[] = [];
    for (let i = 0; i < order.length; i++) {
      const w = await open(address);
      w.write(req('hold', [`n${i}`]));
      newcomers.push(w);
      expect(await until(() => running === 3 + i)).toBe(true);
      // exactly the cheapest one left is gone, without a byte
      expect(await until(() => order[i].isClosed)).toBe(true);
      expect(order[i].data.length).toBe(idle.includes(order[i]) ? 6 : 0);
      for (const later of order.slice(i + 1)) expect(later.isClosed).toBe(false);
    }
    expect(server.connectionCount).toBe(6);
    // every open connection has a call running: the next one is refused
    const refused = await open(address);
    expect((await refused.untilClosed()).length).toBe(0);
    expect(server.evictedConnections).toBe(4);
    expect(server.refusedConnections).toBe(1);

    // the busy ones were never touched: all six calls are answered
    release();
    const tags = ['b0', 'b1', 'n0', 'n1', 'n2', 'n3'];
    const all = [...busy, ...newcomers];
    for (let i = 0; i < all.length; i++) expect(answers(await all[i].bytes(6))).toEqual([tags[i]]);
    for (const w of all) w.end();
    // below the limit again: one summing-up line after the one when the table filled
    expect(await until(() => logs.length === 2)).toBe(true);
    expect(logs).toEqual([
      expect.stringMatching(/max-conns: 6 connections open: closing idle ones and requests not whole to make room/),
      expect.stringMatching(
        /max-conns: in [\d.]+ s, 4 connections closed to make room \(0 ending, 2 idle, 2 with a request not whole\), 1 refused \(every one busy\); below the limit again/,
      ),
    ]);
  });

  it('a table full of slow drips does not lock callers out: every good call is answered', async () => {
    const FULL = 200;
    const started = await startServer({ echo: (x) => x ?? 'none' }, { maxConns: FULL, requestTimeout: 0 });
    server = started.server;
    const { address } = started;
    const drips = await Promise.all(Array.from({ length: FULL }, () => open(address)));
    for (const w of drips) w.write(HALF);
    const more = Buffer.from('x');
    timers.push(
      setInterval(() => {
        for (const w of drips) if (!w.isClosed) w.write(more);
      }, 50),
    );
    expect(await until(() => server!.connectionCount === FULL)).toBe(true);
    const client = new RpcClient({ engine: 'ts' });
    try {
      for (let i = 0; i < 50; i++) {
        expect(Buffer.from(await client.call(address, 'echo', [`good ${i}`])).toString()).toBe(`good ${i}`);
      }
    } finally {
      await client.close();
    }
    // a good call took a drip's place when the table was full (a call's own connection, once
    // closed, left room for the next); only drips were closed, and none was refused
    const evicted = server.evictedConnections;
    expect(evicted).toBeGreaterThanOrEqual(1);
    expect(server.refusedConnections).toBe(0);
    expect(await until(() => drips.filter((w) => w.isClosed).length === evicted)).toBe(true);
  });
});
