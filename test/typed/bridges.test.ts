// Typed functions over the HTTP bridges: JSON-RPC takes and answers JSON values of their types (-32602 with the
// position and reason), XML-RPC typed values both ways and introspection (Python's xmlrpc.client), PATH_INFO 400.
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { defineFunctions } from '../../src/typed/catalog.js';
import { t } from '../../src/typed/types.js';
import { requirePeer, which } from '../helpers/peers.js';
import { openRpcErrors } from './openrpc-meta.js';

const hasPython = requirePeer('python3', which('python3') !== null, 'install python3');

const catalog = defineFunctions({
  add: { args: [t.int(), t.int()], result: t.int(), doc: 'Adds two integers', run: (a, b) => a + b },
  greet: { args: [t.string(), t.optional(t.int())], result: t.string(), run: (n, k = 1) => `hi ${n}`.repeat(k) },
  stats: {
    args: [t.json(z.array(z.number()).min(1))],
    result: t.json(),
    run: (v) => ({ count: v.length, mean: v.reduce((s, x) => s + x, 0) / v.length, max: Math.max(...v), none: null }),
  },
  big: { args: [t.bigint()], result: t.bigint(), run: (n) => n * 1000n },
  flip: { args: [t.bool()], result: t.bool(), run: (b) => !b },
  half: { args: [t.number()], result: t.number(), run: (x) => x / 2 },
  rev: { args: [t.bytes()], result: t.bytes(), run: (b) => b.slice().reverse() },
  wide: { args: [t.int()], result: t.int(), run: (n) => n * 2 ** 20 },
});

describe('typed functions over the bridges', () => {
  let server: RpcServer;
  let xml: string;
  let json: string;
  let pathInfo: string;
  const logs: string[] = [];

  beforeAll(async () => {
    const registry = new Registry().register('legacy', (a) => `legacy ${a}`).register(catalog);
    server = new RpcServer({ registry, log: (l) => logs.push(l) });
    xml = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 3 });
    json = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 4 });
    pathInfo = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 2 });
  });
  afterAll(() => server.close());

  const rpc = async (method: string, params?: unknown) => {
    const r = await fetch(`http://${json}/`, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', method, ...(params === undefined ? {} : { params }), id: 1 }),
    });
    return (await r.json()) as { result?: unknown; error?: { code: number; message: string; data?: unknown } };
  };

  it('JSON-RPC: params and results are JSON values of their types', async () => {
    expect(await rpc('add', [2, 3])).toMatchObject({ result: 5 });
    expect(await rpc('greet', ['ann'])).toMatchObject({ result: 'hi ann' });
    expect(await rpc('stats', [[1, 2, 6]])).toMatchObject({ result: { count: 3, mean: 3, max: 6, none: null } });
    expect(await rpc('big', ['9007199254740993'])).toMatchObject({ result: '9007199254740993000' });
    expect(await rpc('big', [12])).toMatchObject({ result: '12000' });
    expect(await rpc('flip', [false])).toMatchObject({ result: true });
    expect(await rpc('half', [1.5])).toMatchObject({ result: 0.75 });
    expect(await rpc('rev', [{ base64: 'AAEC' }])).toMatchObject({ result: { base64: 'AgEA' } });
    // untyped functions as before: strings in, strings out
    expect(await rpc('legacy', ['x'])).toMatchObject({ result: 'legacy x' });
  });

  it('JSON-RPC: params that do not fit are -32602 with the position and reason in error.data, and one log line', async () => {
    const cases: [string, unknown[], number, RegExp][] = [
      ['add', [2, '3'], 1, /the string "3" is not a safe integer/],
      ['add', [2], 1, /takes 2 params, got 1/],
      ['add', [2.5, 1], 0, /number 2.5 is not a safe integer/],
      ['stats', [[]], 0, /./],
      ['flip', ['true'], 0, /is not a boolean/],
      ['rev', [{ base64: '%%' }], 0, /base64/],
    ];
    for (const [method, params, position, why] of cases) {
      const before = logs.length;
      const r = await rpc(method, params);
      expect(r.error, `${method} ${JSON.stringify(params)}`).toMatchObject({ code: -32602, message: 'Invalid params' });
      const data = r.error!.data as { position: number; reason: string };
      expect(data.position).toBe(position);
      expect(data.reason).toMatch(why);
      expect(logs.slice(before)).toEqual([
        expect.stringMatching(new RegExp(`^JSON-RPC bridge: function "${method}" not run: invalid arg ${position}: `)),
      ]);
    }
    expect((await rpc('add', { a: 1 })).error).toMatchObject({ code: -32602 });
  });

  it('JSON-RPC: rpc.discover answers the OpenRPC document as a JSON value', async () => {
    const r = await rpc('rpc.discover');
    expect(openRpcErrors(r.result)).toBeNull();
    expect((r.result as { methods: { name: string }[] }).methods.map((m) => m.name)).toContain('add');
  });

  it('PATH_INFO: typed results as their binary strings; args that do not fit answer 400 with the reason', async () => {
    const ok = await fetch(`http://${pathInfo}/add/2/3`);
    expect([ok.status, await ok.text()]).toEqual([200, '5']);
    const bad = await fetch(`http://${pathInfo}/add/2/x`);
    expect(bad.status).toBe(400);
    expect(await bad.text()).toBe('Bad Request: arg 1: "x" is not a decimal integer\n');
    expect(logs.at(-1)).toBe('PATH_INFO bridge: function "add" not run: invalid arg 1: "x" is not a decimal integer');
    // untyped: as uWSGI (404 for a failure)
    expect((await fetch(`http://${pathInfo}/legacy/a`)).status).toBe(200);
  });

  it.runIf(hasPython)(
    "XML-RPC with Python's xmlrpc.client: typed values both ways, signatures, help, faults",
    async () => {
      const script = `
import json, sys, xmlrpc.client
p = xmlrpc.client.ServerProxy(sys.argv[1])
out = {}
out['add'] = p.add(2, 3)
out['sig'] = p.system.methodSignature('add')
out['greet_sig'] = p.system.methodSignature('greet')
out['legacy_sig'] = p.system.methodSignature('legacy')
out['help'] = p.system.methodHelp('add')
out['list'] = p.system.listMethods()
out['stats'] = p.stats([1, 2, 6])
out['big'] = p.big(2**30)
out['flip'] = p.flip(True)
out['half'] = p.half(3.0)
out['rev'] = list(p.rev(xmlrpc.client.Binary(bytes([0, 1, 2]))).data)
out['wide'] = p.wide(2**20)
out['greet'] = p.greet('ann', 2)
for name, args in [('add', ('x', 1)), ('add', (1,)), ('stats', ([],)), ('nope', ())]:
    try:
        getattr(p, name)(*args)
        out['fault_' + name + str(len(args))] = None
    except xmlrpc.client.Fault as f:
        out['fault_' + name + str(len(args))] = [f.faultCode, f.faultString]
print(json.dumps(out))
`;
      // (not execFileSync: this process serves the calls)
      const out = JSON.parse((await promisify(execFile)('python3', ['-c', script, `http://${xml}/RPC2`])).stdout);
      expect(out).toMatchObject({
        add: 5,
        sig: [['int', 'int', 'int']],
        greet_sig: [
          ['string', 'string'],
          ['string', 'string', 'int'],
        ],
        legacy_sig: 'undef',
        help: 'Adds two integers',
        stats: { count: 3, mean: 3, max: 6, none: null },
        big: 2 ** 30 * 1000,
        flip: false,
        half: 1.5,
        rev: [2, 1, 0],
        wide: 2 ** 40,
        greet: 'hi annhi ann',
        fault_add2: [-32602, 'add: arg 0: "x" is not a decimal integer'],
        fault_add1: [-32602, 'add: arg 1: takes 2 params, got 1'],
        fault_nope0: [-32601, 'method nope not found'],
      });
      expect(out.fault_stats1[0]).toBe(-32602);
      expect(out.list).toEqual(
        [
          ...Object.keys(catalog),
          'legacy',
          'rpc.discover',
          'system.listMethods',
          'system.methodHelp',
          'system.methodSignature',
        ].sort(),
      );
    },
  );
});
