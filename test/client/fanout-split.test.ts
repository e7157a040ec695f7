// fanout (the same call on several nodes) and Splitter (a list of calls spread over
// nodes, per-node concurrency, failover only where the call never left).
import type { Socket } from 'node:net';
import { beforeAll, describe, expect, it } from 'vitest';
import { RpcClient, Splitter } from '../../src/index.js';
import type { Codec } from '../../src/codec/index.js';
import { RpcError } from '../../src/rpc-error.js';
import { Registry } from '../../src/functions/registry.js';
import { codecFor, ENGINES } from '../helpers/engines.js';
import { freePort } from '../helpers/processes.js';
import { answer, sleep, type SeenRequest, tinyServersPerTest, until } from './helpers/tiny-server.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

/** A node that names itself in its answers; 'hang' never answers, 'nope' closes without one. */
function node(label: string, delay = 0) {
  return async (req: SeenRequest, socket: Socket): Promise<void> => {
    if (req.name === 'hang') return;
    await sleep(delay);
    if (req.name === 'nope') socket.destroy();
    else socket.write(answer(`${label}:${req.args.map(text).join(',')}`));
  };
}

for (const engine of ENGINES) {
  describe(`fanout and split (${engine} engine)`, () => {
    let codec: Codec;
    let client: RpcClient;
    let down: string;
    const serve = tinyServersPerTest();

    beforeAll(async () => {
      codec = await codecFor(engine);
      const registry = new Registry().register('who', (...args) => `local:${args.join(',')}`);
      client = new RpcClient({ codec, registry, timeout: 5_000 });
      down = `127.0.0.1:${await freePort()}`;
    });

    it('fanout: every node at once (each called once, the calls overlapping), results in node order, each failure its own', async () => {
      // Each node notes when its call arrived and when it answered, and holds its answer until
      // the other node has its call too (at most 2 s): nodes called one after the other would
      // show one answer before the other call.
      const arrived = new Map<string, number>();
      const answered = new Map<string, number>();
      const meeting =
        (label: string) =>
        async (req: SeenRequest, socket: Socket): Promise<void> => {
          arrived.set(label, performance.now());
          await until(() => arrived.size === 2, 2_000);
          answered.set(label, performance.now());
          socket.write(answer(`${label}:${req.args.map(text).join(',')}`));
        };
      const a = await serve(meeting('a'));
      const b = await serve(meeting('b'));
      const out = await client.fanout([a.node, down, null, b.node], 'who', ['x']);
      expect(out.map((r) => r.node)).toEqual([a.node, down, null, b.node]);
      expect(out.map((r) => (r.ok ? text(r.value) : r.error.code))).toEqual(['a:x', 'REFUSED', 'local:x', 'b:x']);
      const failed = out[1];
      expect(!failed.ok && failed.error).toBeInstanceOf(RpcError);
      expect(a.requests.map((r) => r.name)).toEqual(['who']);
      expect(b.requests.map((r) => r.name)).toEqual(['who']);
      expect(arrived.get('a')!).toBeLessThan(answered.get('b')!);
      expect(arrived.get('b')!).toBeLessThan(answered.get('a')!);
    });

    it('fanout passes call options (timeout) and typed errors per node', async () => {
      const a = await serve(node('a'));
      const out = await client.fanout([a.node, a.node], 'hang', [], { timeout: 100 });
      expect(out.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['TIMEOUT', 'TIMEOUT']);
      const big = await client.fanout(
        [a.node],
        'f',
        Array.from({ length: 255 }, () => 'a'),
      );
      expect(big[0].ok ? 'ok' : big[0].error.code).toBe('TOO_LARGE');
      expect(a.requests).toHaveLength(2);
    });

    it('split: results in input order, each node never above its concurrency', async () => {
      const a = await serve(node('a', 10));
      const b = await serve(node('b', 10));
      const calls = Array.from({ length: 30 }, (_, i) => ({ name: 'work', args: [String(i)] }));
      const out = await client.split([a.node, b.node], calls, { concurrency: 3 });
      expect(out.map((r) => (r.ok ? text(r.value).split(':')[1] : r.error.code))).toEqual(calls.map((c) => c.args[0]));
      expect(out.every((r) => r.attempts === 1)).toBe(true);
      expect(a.maxRunning).toBeLessThanOrEqual(3);
      expect(b.maxRunning).toBeLessThanOrEqual(3);
      expect(a.maxRunning + b.maxRunning).toBeGreaterThan(3);
      expect(a.requests.length + b.requests.length).toBe(30);
      expect(a.requests.length).toBeGreaterThan(5);
      expect(b.requests.length).toBeGreaterThan(5);
    });

    it('split with one node down: its calls fail over (they never left), each call runs once', async () => {
      const a = await serve(node('a', 5));
      const b = await serve(node('b', 5));
      const calls = Array.from({ length: 24 }, (_, i) => ({ name: 'work', args: [String(i)] }));
      const out = await client.split([down, a.node, b.node], calls, { concurrency: 2 });
      expect(out.every((r) => r.ok)).toBe(true);
      expect(out.map((r) => (r.ok ? text(r.value).split(':')[1] : ''))).toEqual(calls.map((c) => c.args[0]));
      const moved = out.filter((r) => r.attempts === 2);
      expect(moved.length).toBeGreaterThan(0);
      expect(moved.every((r) => r.node !== down)).toBe(true);
      const seen = [...a.requests, ...b.requests].map((r) => text(r.args[0])).sort((x, y) => Number(x) - Number(y));
      expect(seen).toEqual(calls.map((c) => c.args[0]));
      expect(a.maxRunning).toBeLessThanOrEqual(2);
      expect(b.maxRunning).toBeLessThanOrEqual(2);
    });

    it('split: every node down → every call REFUSED after trying each node once', async () => {
      const other = `127.0.0.1:${await freePort()}`;
      const out = await client.split([down, other], [{ name: 'f' }, { name: 'g', args: ['1'] }]);
      expect(out.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['REFUSED', 'REFUSED']);
      expect(out.every((r) => r.attempts >= 1 && r.attempts <= 2)).toBe(true);
    });

    it('split: a call that may have run (timeout, no answer) is reported, not re-sent', async () => {
      const a = await serve(node('a'));
      const b = await serve(node('b'));
      const calls = [{ name: 'hang' }, { name: 'nope' }, { name: 'ok', args: ['1'] }];
      const out = await client.split([a.node, b.node], calls, { timeout: 150 });
      expect(out.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual(['TIMEOUT', 'NO_ANSWER', 'ok']);
      expect(out.map((r) => r.attempts)).toEqual([1, 1, 1]);
      const names = [...a.requests, ...b.requests].map((r) => r.name).sort();
      expect(names).toEqual(['hang', 'nope', 'ok']);
    });

    it('split with retryIdempotent: such calls move on to the other nodes', async () => {
      const flaky = await serve(async (req, socket) => {
        socket.destroy();
        void req;
      });
      const good = await serve(node('good'));
      const calls = Array.from({ length: 6 }, (_, i) => ({ name: 'work', args: [String(i)] }));
      const out = await client.split([flaky.node, good.node], calls, { retryIdempotent: true, concurrency: 1 });
      expect(out.every((r) => r.ok && r.node === good.node)).toBe(true);
      expect(good.requests).toHaveLength(6);
      expect(flaky.requests.length).toBeGreaterThan(0);
      // the same failure on every node: tried once per node, then reported
      const nowhere = await client.split([flaky.node, good.node], [{ name: 'nope' }], { retryIdempotent: true });
      expect(nowhere[0].ok ? 'ok' : nowhere[0].error.code).toBe('NO_ANSWER');
      expect(nowhere[0].attempts).toBe(2);
    });

    it('Splitter keeps its per-node limit across concurrent runs', async () => {
      const a = await serve(node('a', 10));
      const splitter = new Splitter(client, [a.node], { concurrency: 2 });
      const runs = await Promise.all(
        [0, 1, 2].map((k) => splitter.run(Array.from({ length: 5 }, (_, i) => ({ name: 'f', args: [`${k}.${i}`] })))),
      );
      expect(runs.flat().every((r) => r.ok)).toBe(true);
      expect(runs[2].map((r) => (r.ok ? text(r.value) : ''))).toEqual([0, 1, 2, 3, 4].map((i) => `a:2.${i}`));
      expect(a.maxRunning).toBe(2);
    });

    it('split: abort ends calls in flight and those not started', async () => {
      const a = await serve(node('a'));
      const ac = new AbortController();
      const p = client.split(
        [a.node],
        Array.from({ length: 5 }, () => ({ name: 'hang' })),
        { concurrency: 2, signal: ac.signal },
      );
      while (a.requests.length < 2) await sleep(5);
      ac.abort();
      const out = await p;
      expect(out.map((r) => (r.ok ? 'ok' : r.error.code))).toEqual([
        'ABORTED',
        'ABORTED',
        'ABORTED',
        'ABORTED',
        'ABORTED',
      ]);
      expect(a.requests).toHaveLength(2);
      const before = await client.split([a.node], [{ name: 'f' }], { signal: AbortSignal.abort() });
      expect(before[0].ok ? 'ok' : before[0].error.code).toBe('ABORTED');
      expect(a.connections).toBe(2);
    });

    it('split: bad input', async () => {
      expect(() => new Splitter(client, [])).toThrow(RpcError);
      expect(() => new Splitter(client, ['a:1'], { concurrency: 0 })).toThrow(RpcError);
      expect(await client.split(['127.0.0.1:1'], [])).toEqual([]);
      await expect(client.split([], [{ name: 'f' }])).rejects.toMatchObject({ code: 'INVALID' });
      const out = await client.split([null], [null as unknown as { name: string }, { name: 'who', args: ['z'] }]);
      expect(out.map((r) => (r.ok ? text(r.value) : r.error.code))).toEqual(['INVALID', 'local:z']);
    });
  });
}
