// defineFunctions and t.*: what TypeScript infers for handlers (checked by tsc), and the definitions refused at once.
import { describe, expect, expectTypeOf, it } from 'vitest';
import * as v from 'valibot';
import { z } from 'zod';
import { type } from 'arktype';
import type { StandardSchemaV1 as OfficialStandardSchema } from '@standard-schema/spec';
import { defineFunctions, t, type ArgsOf, type Json, type StandardSchemaV1, type ValueOf } from '../../src/index.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcError } from '../../src/rpc-error.js';

describe('typed functions: types inferred from the specs', () => {
  it('handler parameters and results come from args and result', () => {
    const math = defineFunctions({
      add: { args: [t.int(), t.int()], result: t.int(), doc: 'Adds two integers', run: (a, b) => a + b },
      greet: {
        args: [t.string(), t.optional(t.int())],
        result: t.string(),
        run: (name, times = 1) => `hello ${name}`.repeat(times),
      },
      stats: {
        args: [t.json(z.array(z.number()))],
        result: t.json(),
        run: (values) => ({ count: values.length, mean: values.reduce((s, x) => s + x, 0) / values.length }),
      },
      pick: { args: [t.enum(['red', 'green'])], result: t.bool(), run: async (c) => c === 'red' },
      big: {
        args: [t.bigint(), t.bytes(), t.number()],
        result: t.bigint(),
        run: (n, b, x) => n + BigInt(b.length + x),
      },
    });
    expectTypeOf(math.add.args).toEqualTypeOf<readonly [ReturnType<typeof t.int>, ReturnType<typeof t.int>]>();
    expectTypeOf<ArgsOf<typeof math.greet.args>>().toEqualTypeOf<[string, (number | undefined)?]>();
    expectTypeOf<ArgsOf<typeof math.stats.args>>().toEqualTypeOf<[number[]]>();
    expectTypeOf<ArgsOf<typeof math.pick.args>>().toEqualTypeOf<['red' | 'green']>();
    expectTypeOf<ArgsOf<typeof math.big.args>>().toEqualTypeOf<[bigint, Uint8Array, number]>();
    expectTypeOf<ValueOf<typeof math.stats.result>>().toEqualTypeOf<Json>();
    expectTypeOf<ValueOf<typeof math.pick.result>>().toEqualTypeOf<boolean>();
    expect(Object.keys(math).sort()).toEqual(['add', 'big', 'greet', 'pick', 'stats']);
  });

  it('a handler that does not fit its spec does not compile', () => {
    defineFunctions({
      // @ts-expect-error the result must be a number (t.int)
      a: { args: [t.int()], result: t.int(), run: (n) => String(n) },
    });
    defineFunctions({
      // @ts-expect-error n is a number: no toUpperCase
      b: { args: [t.int()], result: t.string(), run: (n) => n.toUpperCase() },
    });
    // @ts-expect-error a function needs a result type (and is refused at run time too)
    expect(() => defineFunctions({ c: { args: [t.int()], run: (n: number) => n } })).toThrow(/result must be/);
  });

  it('zod, valibot and arktype schemas type t.json() values', () => {
    expectTypeOf<ValueOf<ReturnType<typeof t.json<z.ZodArray<z.ZodNumber>>>>>().toEqualTypeOf<number[]>();
    const vs = v.object({ name: v.string() });
    expectTypeOf<ValueOf<ReturnType<typeof t.json<typeof vs>>>>().toEqualTypeOf<{ name: string }>();
    const as = type({ n: 'number' });
    expectTypeOf<ValueOf<ReturnType<typeof t.json<typeof as>>>>().toEqualTypeOf<{ n: number }>();
    // our structural copy of the Standard Schema interface is the official one
    expectTypeOf<OfficialStandardSchema<unknown, number[]>>().toExtend<StandardSchemaV1<unknown, number[]>>();
  });
});

describe('typed functions: definitions refused where they are made', () => {
  const refused = (f: () => unknown) => {
    try {
      f();
    } catch (err) {
      return (err as Error).message;
    }
    return 'accepted';
  };

  it('bad specs throw TypeError naming the function and the problem', () => {
    expect(refused(() => defineFunctions({ f: { args: [t.int], result: t.int() } } as never))).toMatch(
      /"f": args\[0\] is not a t\.\* type/,
    );
    expect(
      refused(() => defineFunctions({ f: { args: [t.optional(t.int()), t.int()], result: t.int() } } as never)),
    ).toMatch(/args\[1\] is required after the optional args\[0\]/);
    expect(refused(() => defineFunctions({ f: { args: [], result: t.optional(t.int()) } } as never))).toMatch(
      /result must be a t\.\* type/,
    );
    expect(refused(() => t.json({} as never))).toMatch(/not a Standard Schema/);
    expect(refused(() => t.enum([] as never))).toMatch(/non-empty array of strings/);
    expect(refused(() => defineFunctions({ f: { args: [], result: t.int(), run: 5 } } as never))).toMatch(
      /run must be a function/,
    );
  });

  it('register(catalog) refuses a catalog whose functions have no run, registering none of it', () => {
    const calls = defineFunctions({
      ok: { args: [], result: t.int(), run: () => 1 },
      stub: { args: [t.int()], result: t.int() },
    });
    const registry = new Registry();
    expect(() => registry.register(calls)).toThrow(RpcError);
    expect(() => registry.register(calls)).toThrow(/"stub" has no run/);
    expect(registry.names()).toEqual([]);
  });
});
