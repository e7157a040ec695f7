// client.bind(node, catalog): typed methods; args refused before anything is sent (INVALID_ARGS), results read
// by their types (MALFORMED when they do not fit); a catalog fetched at run time from rpc.discover.
import { afterAll, beforeAll, describe, expect, expectTypeOf, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcError } from '../../src/rpc-error.js';
import { RpcServer } from '../../src/server/server.js';
import { defineFunctions } from '../../src/typed/catalog.js';
import { t } from '../../src/typed/types.js';
import { freePort } from '../helpers/processes.js';

const math = defineFunctions({
  add: { args: [t.int(), t.int()], result: t.int(), run: (a, b) => a + b },
  greet: { args: [t.string(), t.optional(t.int())], result: t.string(), run: (n, k = 1) => `hi ${n}`.repeat(k) },
  big: { args: [t.bigint()], result: t.bigint(), run: (n) => n * 2n },
  rev: { args: [t.bytes()], result: t.bytes(), run: (b) => b.slice().reverse() },
  stats: { args: [t.json()], result: t.json(), run: (v) => ({ got: v }) },
  pick: { args: [t.enum(['a', 'b'])], result: t.bool(), run: (x) => x === 'a' },
});

const failure = (p: Promise<unknown>) =>
  p.then(
    () => null,
    (err: unknown) => err as RpcError & { position?: number; reason?: string },
  );

describe('client.bind', () => {
  let server: RpcServer;
  let node: string;
  const client = new RpcClient();
  const logs: string[] = [];

  beforeAll(async () => {
    server = new RpcServer({ registry: new Registry().register(math), log: (l) => logs.push(l) });
    node = await server.listen('127.0.0.1:0');
  });
  afterAll(async () => {
    await client.close();
    await server.close();
  });

  it('methods take and resolve with typed values', async () => {
    const api = client.bind(node, math);
    expectTypeOf(api.add).toEqualTypeOf<(a: number, b: number) => Promise<number>>();
    expectTypeOf(api.greet).parameters.toEqualTypeOf<[string, (number | undefined)?]>();
    expectTypeOf(api.big).returns.resolves.toEqualTypeOf<bigint>();
    expect(await api.add(2, 3)).toBe(5);
    expect(await api.greet('ann')).toBe('hi ann');
    expect(await api.greet('ann', 2)).toBe('hi annhi ann');
    expect(await api.big(2n ** 62n - 1n)).toBe(2n ** 63n - 2n);
    expect(await api.rev(Uint8Array.from([1, 2, 0]))).toEqual(Uint8Array.from([0, 2, 1]));
    expect(await api.stats([1, { x: null }])).toEqual({ got: [1, { x: null }] });
    expect(await api.pick('a')).toBe(true);
  });

  it('bad args are refused before anything is sent: INVALID_ARGS with the position and reason', async () => {
    // nothing listens there: a call that was sent would fail REFUSED
    const api = client.bind(`127.0.0.1:${await freePort()}`, math);
    const cases: [Promise<unknown>, number, RegExp][] = [
      [api.add(1, 'x' as never), 1, /the string "x" is not a safe integer/],
      [api.add(1.5, 2), 0, /number 1.5 is not a safe integer/],
      [(api.add as (...a: unknown[]) => Promise<number>)(1), 1, /takes 2 args, got 1/],
      [api.greet(''), 0, /empty: uWSGI drops empty items/],
      [api.big(2n ** 63n), 0, /does not fit in 64 bits/],
      [api.pick('c' as never), 0, /not one of "a", "b"/],
      [api.stats(undefined as never), 0, /undefined/],
    ];
    for (const [call, position, reason] of cases) {
      const err = await failure(call);
      expect(err).toBeInstanceOf(RpcError);
      expect(err).toMatchObject({ code: 'INVALID_ARGS', position });
      expect(err!.reason).toMatch(reason);
    }
  });

  it('a result that does not fit the catalog is MALFORMED with the reason', async () => {
    const wrong = defineFunctions({ add: { args: [t.int(), t.int()], result: t.bool() } });
    const err = await failure(client.bind(node, wrong).add(2, 3));
    expect(err).toMatchObject({ code: 'MALFORMED' });
    expect(err!.message).toMatch(/add: result: "5" is not a boolean/);
  });

  it('a node that gives no answer rejects as a plain call does (NO_ANSWER)', async () => {
    const lying = defineFunctions({ add: { args: [t.string(), t.int()], result: t.int() } });
    expect(await failure(client.bind(node, lying).add('x', 1))).toMatchObject({ code: 'NO_ANSWER' });
    expect(logs.at(-1)).toMatch(/"add" not run: invalid arg 0/);
  });

  it('a catalog fetched at run time (rpc.discover) binds the same way', async () => {
    const api = client.bind(node, await client.discover(node)) as Record<string, (...a: unknown[]) => Promise<unknown>>;
    expect(await api.add(40, 2)).toBe(42);
    expect(await api.greet('bo')).toBe('hi bo');
    expect(await api.big(5n)).toBe(10n);
    expect(await api.pick('b')).toBe(false);
    expect(await failure(api.pick('z'))).toMatchObject({ code: 'INVALID_ARGS', position: 0 });
    expect(Object.keys(api).sort()).toEqual(Object.keys(math).sort());
  });

  it('bind refuses what is not a catalog', () => {
    expect(() => client.bind(node, { add: {} } as never)).toThrow(/not from defineFunctions/);
  });
});
