// Typed functions over uwsgi RPC, called with plain binary strings as any uWSGI node sends them: the wire
// conventions both ways, and args that do not fit: the function does not run, one log line, no answer.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { type } from 'arktype';
import { z } from 'zod';
import { RpcClient } from '../../src/client/client.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcError } from '../../src/rpc-error.js';
import { defineFunctions } from '../../src/typed/catalog.js';
import { t as types } from '../../src/typed/types.js';
import { startServer, type Started } from '../server/start.js';

const ran: string[] = [];
const math = defineFunctions({
  add: {
    args: [types.int(), types.int()],
    result: types.int(),
    doc: 'Adds two integers',
    run: (a, b) => {
      ran.push('add');
      return a + b;
    },
  },
  greet: {
    args: [types.string(), types.optional(types.int())],
    result: types.string(),
    run: (name, times = 1) => `hi ${name}`.repeat(times),
  },
  stats: {
    args: [types.json(z.array(z.number()).min(1))],
    result: types.json(),
    run: (values) => ({ count: values.length, mean: values.reduce((s, x) => s + x, 0) / values.length }),
  },
  person: { args: [types.json(v.object({ name: v.string() }))], result: types.string(), run: (p) => p.name },
  point: {
    args: [types.json(type({ x: 'number', y: 'number' }))],
    result: types.number(),
    run: (p) => Math.hypot(p.x, p.y),
  },
  not: { args: [types.bool()], result: types.bool(), run: (b) => !b },
  twice: { args: [types.bigint()], result: types.bigint(), run: (n) => n * 2n },
  half: { args: [types.number()], result: types.number(), run: (x) => x / 2 },
  size: { args: [types.bytes()], result: types.bytes(), run: (b) => Uint8Array.from([b.length]) },
  shade: {
    args: [types.enum(['red', 'green'])],
    result: types.enum(['dark', 'light']),
    run: (c) => (c === 'red' ? 'dark' : 'light'),
  },
  liar: { args: [], result: types.int(), run: () => 'five' as unknown as number },
});

describe('typed functions over uwsgi RPC (plain binary strings in and out)', () => {
  let s: Started;
  const client = new RpcClient();
  const text = (node: string, name: string, ...args: (string | Uint8Array)[]) =>
    client.call(node, name, args).then((b) => new TextDecoder().decode(b));
  const code = (p: Promise<unknown>) =>
    p.then(
      () => 'answered',
      (err: unknown) => (err instanceof RpcError ? err.code : String(err)),
    );

  beforeAll(async () => {
    s = await startServer({});
    s.server.register(math);
  });
  afterAll(async () => {
    await client.close();
    await s.server.close();
  });

  it('numbers, text, JSON, booleans, 64-bit integers, bytes and enums as their binary strings', async () => {
    const a = s.address;
    expect(await text(a, 'add', '2', '3')).toBe('5');
    expect(await text(a, 'add', '-7', '+2')).toBe('-5');
    expect(await text(a, 'greet', 'ann')).toBe('hi ann');
    expect(await text(a, 'greet', 'ann', '2')).toBe('hi annhi ann');
    expect(JSON.parse(await text(a, 'stats', '[1,2,3]'))).toEqual({ count: 3, mean: 2 });
    expect(await text(a, 'person', '{"name":"bo"}')).toBe('bo');
    expect(await text(a, 'point', '{"x":3,"y":4}')).toBe('5');
    expect(await text(a, 'twice', '-4611686018427387904')).toBe('-9223372036854775808');
    expect(await text(a, 'half', '1e3')).toBe('500');
    expect(await client.call(a, 'size', [Uint8Array.from([0, 255, 0])])).toEqual(Uint8Array.from([3]));
    expect(await text(a, 'shade', 'red')).toBe('dark');
  });

  it('booleans as Python, Lua and Perl send them; answered 1 or 0', async () => {
    for (const yes of ['1', 'true', 'True', 'TRUE']) expect(await text(s.address, 'not', yes)).toBe('0');
    for (const no of ['0', 'false', 'False', 'FALSE']) expect(await text(s.address, 'not', no)).toBe('1');
    // Perl's false (the empty string) never arrives: empty items are dropped from a request, so the arg is missing
    expect(await code(client.call(s.address, 'not', ['']))).toBe('NO_ANSWER');
    expect(s.logs.at(-1)).toMatch(/"not" not run: invalid arg 0: takes 1 arg, got 0/);
  });

  it('args that do not fit: no answer, the function does not run, one log line with the function, position and reason', async () => {
    const cases: [string, string[], RegExp][] = [
      ['add', ['2', 'x'], /function "add" not run: invalid arg 1: "x" is not a decimal integer/],
      ['add', ['2'], /function "add" not run: invalid arg 1: takes 2 args, got 1/],
      ['add', ['1', '2', '3'], /function "add" not run: invalid arg 2: takes 2 args, got 3/],
      ['add', ['9007199254740992', '0'], /invalid arg 0: 9007199254740992 is not a safe integer/],
      ['stats', ['[]'], /function "stats" not run: invalid arg 0: .*(>=1|at least 1|too small)/i],
      ['stats', ['[1,'], /invalid arg 0: not JSON text/],
      ['person', ['{"name":5}'], /function "person" not run: invalid arg 0: name: /],
      ['point', ['{"x":1}'], /function "point" not run: invalid arg 0: y/],
      ['not', ['yes'], /invalid arg 0: "yes" is not a boolean/],
      ['twice', ['9223372036854775808'], /invalid arg 0: 9223372036854775808 does not fit in 64 bits/],
      ['half', ['inf'], /invalid arg 0: "inf" is not a decimal number/],
      ['shade', ['blue'], /invalid arg 0: "blue" is not one of "red", "green"/],
    ];
    for (const [name, args, line] of cases) {
      const before = s.logs.length;
      ran.length = 0;
      expect(await code(client.call(s.address, name, args)), `${name}(${args})`).toBe('NO_ANSWER');
      const lines = s.logs.slice(before);
      expect(lines, `${name}(${args})`).toHaveLength(1);
      expect(lines[0]).toMatch(line);
      expect(lines[0]).toMatch(/connection closed without an answer$/);
      expect(ran).toEqual([]);
    }
    // not valid UTF-8 for a t.string()
    const before = s.logs.length;
    expect(await code(client.call(s.address, 'greet', [Uint8Array.from([0xff])]))).toBe('NO_ANSWER');
    expect(s.logs.slice(before)).toEqual([expect.stringMatching(/"greet" not run: invalid arg 0: not valid UTF-8/)]);
  });

  it('a handler whose result does not fit its type failed (logged as a failure, no answer)', async () => {
    const before = s.logs.length;
    expect(await code(client.call(s.address, 'liar', []))).toBe('NO_ANSWER');
    expect(s.logs.slice(before)).toEqual([
      expect.stringMatching(/function "liar" failed: TypeMismatch: result: the string "five" is not a safe integer/),
    ]);
  });

  it('local calls (no socket) reject INVALID_ARGS with the position and reason, and the function does not run', async () => {
    const registry = new Registry().register(math);
    ran.length = 0;
    const err = await registry.call('add', '1', 'one').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(RpcError);
    expect(err).toMatchObject({
      code: 'INVALID_ARGS',
      position: 1,
      message: 'add: arg 1: "one" is not a decimal integer',
    });
    expect(ran).toEqual([]);
    expect(new TextDecoder().decode(await registry.call('add', '40', '2'))).toBe('42');
  });

  it('plain register(name, fn) is unchanged beside a catalog, and replaces a typed function of that name', async () => {
    const registry = new Registry().register(math).register('add', (a, b) => `${a}+${b}`);
    expect(new TextDecoder().decode(await registry.call('add', 'x', 'y'))).toBe('x+y');
    expect(registry.spec('add')).toBeUndefined();
    expect(registry.spec('greet')?.args).toHaveLength(2);
  });
});
