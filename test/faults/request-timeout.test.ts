// --request-timeout against slow-drip clients: a packet (or an HTTP head) trickled one byte at a
// time keeps socket-timeout from firing forever; the whole-packet deadline closes it, logs one
// line, and leaves every other connection alone.
import { afterEach, describe, expect, it } from 'vitest';
import type { RpcServerOptions } from '../../src/server/options.js';
import type { RpcServer } from '../../src/server/server.js';
import { startServer } from '../server/start.js';
import { Wire, answers, keepOpen, req } from '../server/wire.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Short enough for a quick test, long enough that a loaded machine does not trip the good calls. */
const DEADLINE = 400;
/** A drip far faster than socket-timeout: alone, it would hold the connection for ever. */
const DRIP_EVERY = 40;

let server: RpcServer | undefined;
let logs: string[];
let address: string;
const drips: NodeJS.Timeout[] = [];
const wires: Wire[] = [];

afterEach(async () => {
  for (const d of drips.splice(0)) clearInterval(d);
  for (const w of wires.splice(0)) w.end();
  await server?.close();
  server = undefined;
});

async function start(options: RpcServerOptions): Promise<void> {
  ({ server, address, logs } = await startServer({ echo: (x) => x ?? 'none' }, { socketTimeout: 4_000, ...options }));
}

/** Writes `bytes` one byte every DRIP_EVERY ms (then keeps silent); resolves with the wire. */
async function drip(bytes: Uint8Array, at = address): Promise<Wire> {
  const w = await Wire.open(at);
  wires.push(w);
  let i = 0;
  const t = setInterval(() => {
    if (i < bytes.length && !w.isClosed) w.write(bytes.subarray(i, ++i));
  }, DRIP_EVERY);
  drips.push(t);
  return w;
}

/** A request whose header promises far more than the drip will ever send. */
const NEVER_WHOLE = Buffer.concat([req('echo', ['x'.repeat(2000)])]);

async function goodCall(): Promise<void> {
  const w = await Wire.open(address);
  w.write(req('echo', ['ok']));
  expect(answers(await w.bytes(6))).toEqual(['ok']);
  w.end();
}

describe('request-timeout (whole-packet deadline)', () => {
  it('a dripping packet is closed once it is not whole in time; one line per connection; others are served', async () => {
    await start({ requestTimeout: DEADLINE });
    const t0 = performance.now();
    const dripping = await Promise.all([0, 1, 2].map(() => drip(NEVER_WHOLE)));
    await goodCall();
    for (const w of dripping) {
      const got = await w.untilClosed();
      expect(got.length).toBe(0);
    }
    const held = performance.now() - t0;
    // bytes kept coming all along, so socket-timeout (4 s) had no part in it
    expect(held).toBeGreaterThanOrEqual(DEADLINE - 20);
    expect(held).toBeLessThan(4_000);
    expect(logs).toEqual(
      Array.from({ length: 3 }, () =>
        expect.stringMatching(
          /request-timeout: a packet not whole \(\d+ bytes\) 400 ms after its first byte: connection closed without an answer/,
        ),
      ),
    );
    await goodCall();
  });

  it('the deadline is per packet: a kept-open connection sending whole packets slowly, one after the other, stays', async () => {
    await start({ requestTimeout: DEADLINE });
    const w = await Wire.open(address);
    let expected = 0;
    const end = performance.now() + 3 * DEADLINE;
    for (let i = 0; performance.now() < end; i++) {
      // each packet in two halves, a quarter of the deadline apart
      const p = keepOpen(req('echo', [`p${i}`]));
      w.write(p.subarray(0, 3));
      await sleep(DEADLINE / 4);
      w.write(p.subarray(3));
      expected += 4 + `p${i}`.length;
      await w.bytes(expected);
    }
    expect(w.isClosed).toBe(false);
    expect(logs).toEqual([]);
    w.end();
  });

  it('a packet begun while reading is paused (calls at max-inflight) is not charged that time', async () => {
    const {
      server: s,
      address: a,
      logs: l,
      registry,
    } = await startServer({}, { requestTimeout: DEADLINE, maxInFlight: 1 });
    server = s;
    registry.register('slow', async (x) => {
      await sleep(3 * DEADLINE);
      return x ?? 'none';
    });
    const w = await Wire.open(a);
    const next = req('slow', ['b']);
    // a slow call, then the start of the next packet; the rest comes after the first answer
    w.write(req('slow', ['a']), next.subarray(0, 4));
    expect(answers(await w.bytes(5))).toEqual(['a']);
    // the sweep looks at the connection meanwhile: the packet began 3 deadlines ago, but we were busy
    await sleep(DEADLINE / 4);
    w.write(next.subarray(4));
    expect(answers(await w.bytes(10))).toEqual(['a', 'b']);
    expect(l).toEqual([expect.stringMatching(/1 calls in flight \(max 1\): reading paused/)]);
    w.end();
  });

  it('0 turns it off: a drip then lasts as long as bytes keep coming', async () => {
    await start({ requestTimeout: 0 });
    const w = await drip(NEVER_WHOLE);
    await sleep(3 * DEADLINE);
    expect(w.isClosed).toBe(false);
    expect(server?.connectionCount).toBe(1);
    expect(logs).toEqual([]);
  });

  it('an HTTP request head dripped to an HTTP socket gets 408 at the deadline, one line', async () => {
    await start({ requestTimeout: DEADLINE });
    const at = await server!.listenHttp('127.0.0.1:0');
    const head = Buffer.from(`GET /hello HTTP/1.1\r\nHost: x\r\n${'X-Pad: y\r\n'.repeat(100)}\r\n`);
    const t0 = performance.now();
    const w = await drip(head, at);
    const got = (await w.untilClosed()).toString();
    expect(got).toMatch(/^HTTP\/1\.1 408 /);
    expect(performance.now() - t0).toBeLessThan(4_000);
    expect(logs).toEqual([
      expect.stringMatching(/request-timeout: an HTTP request head not whole 400 ms after its first byte: 408/),
    ]);
  });
});
