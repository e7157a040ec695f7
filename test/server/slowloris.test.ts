// Slowloris: hundreds of idle and half-sent connections must not delay good calls (uWSGI
// with one process stalls for seconds under 200 half-sent headers, measured here).
import { type Socket, connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const IDLE = 300;
/** Each good call's bound, as issue 5 asks (loopback; typical calls take well under 5 ms). */
const BOUND_MS = 100;

describe('slowloris', () => {
  let server: RpcServer;
  let address: string;
  const held: Socket[] = [];
  let drip: NodeJS.Timeout;

  beforeAll(async () => {
    const registry = new Registry();
    registry.register('echo', (x) => x);
    server = new RpcServer({ registry, engine: 'ts', socketTimeout: 30_000, requestTimeout: 30_000, log: () => {} });
    address = await server.listen('127.0.0.1:0');
    const port = Number(address.slice(address.lastIndexOf(':') + 1));
    for (let i = 0; i < IDLE; i++) {
      const s = connect(port, '127.0.0.1');
      s.on('error', () => {});
      // a third send nothing, a third half a header, a third a header promising a body that drips
      if (i % 3 === 1) s.write(Buffer.from([173, 40]));
      if (i % 3 === 2) s.write(Buffer.from([173, 0xff, 0xff, 0, 5, 0]));
      held.push(s);
    }
    drip = setInterval(() => {
      for (let i = 2; i < IDLE; i += 3) held[i].write('x');
    }, 50);
    while (server.connectionCount < IDLE) await sleep(10);
  });

  afterAll(async () => {
    clearInterval(drip);
    for (const s of held) s.destroy();
    await server.close();
  });

  it(`good calls are answered within ${BOUND_MS} ms each while ${IDLE} connections hang`, async () => {
    const fresh = new RpcClient({ engine: 'ts' });
    const keep = new RpcClient({ engine: 'ts', keepAlive: true });
    const times: number[] = [];
    for (let i = 0; i < 60; i++) {
      const t = performance.now();
      const got = await (i % 2 ? keep : fresh).call(address, 'echo', [`call ${i}`]);
      times.push(performance.now() - t);
      expect(Buffer.from(got).toString()).toBe(`call ${i}`);
      await sleep(5);
    }
    await fresh.close();
    await keep.close();
    expect(server.connectionCount).toBeGreaterThanOrEqual(IDLE);
    expect(Math.max(...times), times.map((t) => t.toFixed(1)).join(' ')).toBeLessThan(BOUND_MS);
  });
});
