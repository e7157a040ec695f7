// rpc.discover: the OpenRPC document of a node's functions, valid under the OpenRPC meta-schema, callable over uwsgi RPC.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as v from 'valibot';
import { type } from 'arktype';
import { z } from 'zod';
import { RpcClient } from '../../src/client/client.js';
import { Registry } from '../../src/functions/registry.js';
import { defineFunctions } from '../../src/typed/catalog.js';
import { t } from '../../src/typed/types.js';
import { startServer, type Started } from '../server/start.js';
import { openRpcErrors, schemaCheck } from './openrpc-meta.js';

const catalog = defineFunctions({
  add: { args: [t.int(), t.int()], result: t.int(), doc: 'Adds two integers', run: (a, b) => a + b },
  greet: { args: [t.string(), t.optional(t.int())], result: t.string(), run: (n, k = 1) => n.repeat(k) },
  zod: {
    args: [t.json(z.array(z.number()))],
    result: t.json(z.object({ n: z.number() })),
    run: (a) => ({ n: a.length }),
  },
  valibot: { args: [t.json(v.object({ name: v.string() }))], result: t.bool(), run: (p) => p.name === '' },
  arktype: { args: [t.json(type({ x: 'number' }))], result: t.bigint(), run: (p) => BigInt(p.x) },
  misc: { args: [t.bytes(), t.enum(['a', 'b']), t.number()], result: t.bytes(), run: (b) => b },
});

interface Doc {
  openrpc: string;
  methods: {
    name: string;
    description?: string;
    params: { name: string; required: boolean; schema: object; 'x-uwsgi-type': string }[];
    result: { schema: object; 'x-uwsgi-type': string };
    'x-uwsgi-untyped'?: true;
  }[];
}

describe('rpc.discover', () => {
  let s: Started;
  const client = new RpcClient();
  beforeAll(async () => {
    s = await startServer({ legacy: (a) => `legacy ${a}` });
    s.server.register(catalog);
  });
  afterAll(async () => {
    await client.close();
    await s.server.close();
  });

  it('answers over uwsgi RPC a valid OpenRPC document of every function, typed and untyped, without itself', async () => {
    const doc = JSON.parse(new TextDecoder().decode(await client.call(s.address, 'rpc.discover', []))) as Doc;
    expect(openRpcErrors(doc)).toBeNull();
    expect(doc.openrpc).toMatch(/^1\.\d+\.\d+$/);
    expect(doc.methods.map((m) => m.name).sort()).toEqual(
      ['add', 'arktype', 'greet', 'legacy', 'misc', 'valibot', 'zod'].sort(),
    );
    const add = doc.methods.find((m) => m.name === 'add')!;
    expect(add.description).toBe('Adds two integers');
    expect(add.params.map((p) => [p.name, p.required, p['x-uwsgi-type']])).toEqual([
      ['arg0', true, 'int'],
      ['arg1', true, 'int'],
    ]);
    expect(add.result['x-uwsgi-type']).toBe('int');
    const greet = doc.methods.find((m) => m.name === 'greet')!;
    expect(greet.params.map((p) => p.required)).toEqual([true, false]);
    const legacy = doc.methods.find((m) => m.name === 'legacy')!;
    expect(legacy['x-uwsgi-untyped']).toBe(true);
    expect(legacy.params).toEqual([]);
  });

  it('the schemas take the JSON values the JSON-RPC bridge takes, from zod, arktype (valibot has no JSON Schema: any)', async () => {
    const doc = JSON.parse(
      new TextDecoder().decode(await new Registry().register(catalog).call('rpc.discover')),
    ) as Doc;
    expect(openRpcErrors(doc)).toBeNull();
    const param = (name: string, i = 0) => schemaCheck(doc.methods.find((m) => m.name === name)!.params[i].schema);
    const result = (name: string) => schemaCheck(doc.methods.find((m) => m.name === name)!.result.schema);
    expect([param('add')(2), param('add')(2.5), param('add')('2')]).toEqual([true, false, false]);
    expect([param('zod')([1, 2]), param('zod')(['x'])]).toEqual([true, false]);
    expect([result('zod')({ n: 1 }), result('zod')({ n: 'x' })]).toEqual([true, false]);
    expect([param('arktype')({ x: 1 }), param('arktype')({ x: 'no' })]).toEqual([true, false]);
    expect(param('valibot')({ anything: 1 })).toBe(true);
    expect([param('misc', 1)('a'), param('misc', 1)('c')]).toEqual([true, false]);
    expect([param('misc')({ base64: 'AAE=' }), result('misc')({ base64: 'AAE=' }), result('misc')('text')]).toEqual([
      true,
      true,
      false,
    ]);
    expect([result('arktype')('12'), result('arktype')(12)]).toEqual([true, false]);
  });

  it('is added with the first catalog only, and a function of that name registered before is kept', async () => {
    expect(new Registry().register('x', () => 'y').has('rpc.discover')).toBe(false);
    const mine = new Registry().register('rpc.discover', () => 'mine').register(catalog);
    expect(new TextDecoder().decode(await mine.call('rpc.discover'))).toBe('mine');
  });
});
