import { describe, expect, it } from 'vitest';
import { jsonRpcBridge } from '../../src/bridges/jsonrpc-bridge.js';
import { HttpResponse } from '../../src/http/response.js';
import { rpcTarget } from '../../src/dispatch/target.js';
import { Registry } from '../../src/functions/registry.js';

/** The functions of the JSON-RPC 2.0 spec's examples (results are strings: RPC functions return bytes). */
function specTarget(calls: string[]) {
  const r = new Registry();
  r.register('subtract', (a, b) => String(Number(a.text) - Number(b.text)));
  r.register('sum', (...xs) => String(xs.reduce((s, x) => s + Number(x.text), 0)));
  r.register('update', (...xs) => {
    calls.push(`update ${xs.join(',')}`);
    return 'ok';
  });
  r.register('notify_hello', (x) => {
    calls.push(`notify_hello ${x}`);
    return 'ok';
  });
  r.register('get_data', () => '["hello",5]');
  r.register('binary', () => new Uint8Array([0xff, 0, 0xfe]));
  r.register('echo', (...xs) => xs.map((x) => x.text).join('|'));
  r.register('fail', () => {
    throw new Error('boom');
  });
  return rpcTarget(r);
}

async function post(body: string | Uint8Array, limits = {}) {
  const calls: string[] = [];
  const res = new HttpResponse();
  await jsonRpcBridge(
    typeof body === 'string' ? new TextEncoder().encode(body) : body,
    res,
    specTarget(calls),
    () => {},
    limits,
  );
  res.finish();
  const text = Buffer.concat(res.body.map((b) => Buffer.from(b))).toString();
  return {
    status: res.head?.status,
    headers: res.head?.headers,
    json: text === '' ? undefined : JSON.parse(text),
    calls,
  };
}

describe("JSON-RPC 2.0 bridge: the spec's examples", () => {
  it('positional params', async () => {
    const r = await post('{"jsonrpc": "2.0", "method": "subtract", "params": [42, 23], "id": 1}');
    expect(r.status).toBe('200 OK');
    expect(r.headers).toContainEqual(['Content-Type', 'application/json']);
    expect(r.json).toEqual({ jsonrpc: '2.0', result: '19', id: 1 });
    expect((await post('{"jsonrpc": "2.0", "method": "subtract", "params": [23, 42], "id": 2}')).json).toEqual({
      jsonrpc: '2.0',
      result: '-19',
      id: 2,
    });
  });

  it('named params are refused (functions take positional args)', async () => {
    expect(
      (await post('{"jsonrpc": "2.0", "method": "subtract", "params": {"subtrahend": 23, "minuend": 42}, "id": 3}'))
        .json,
    ).toMatchObject({ jsonrpc: '2.0', error: { code: -32602, message: 'Invalid params' }, id: 3 });
  });

  it('notifications get no answer (204)', async () => {
    const r = await post('{"jsonrpc": "2.0", "method": "update", "params": [1,2,3,4,5]}');
    expect(r.status).toBe('204 No Content');
    expect(r.json).toBeUndefined();
    expect(r.calls).toEqual(['update 1,2,3,4,5']);
    expect((await post('{"jsonrpc": "2.0", "method": "foobar"}')).status).toBe('204 No Content');
  });

  it('non-existent method', async () => {
    expect((await post('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: '1',
    });
  });

  it('invalid JSON', async () => {
    expect((await post('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).json).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32700, message: 'Parse error' },
      id: null,
    });
  });

  it('invalid Request object', async () => {
    expect((await post('{"jsonrpc": "2.0", "method": 1, "params": "bar"}')).json).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32600, message: 'Invalid Request' },
      id: null,
    });
  });

  it('batch, invalid JSON', async () => {
    expect(
      (await post('[{"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},{"jsonrpc": "2.0", "method"]'))
        .json,
    ).toMatchObject({ jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null });
  });

  it('empty array', async () => {
    expect((await post('[]')).json).toMatchObject({
      jsonrpc: '2.0',
      error: { code: -32600, message: 'Invalid Request' },
      id: null,
    });
  });

  it('invalid batch (but not empty)', async () => {
    expect((await post('[1]')).json).toEqual([
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
    ]);
  });

  it('invalid batch', async () => {
    expect((await post('[1,2,3]')).json).toEqual(
      [1, 2, 3].map(() => ({ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null })),
    );
  });

  it('batch', async () => {
    const r = await post(`[
      {"jsonrpc": "2.0", "method": "sum", "params": [1,2,4], "id": "1"},
      {"jsonrpc": "2.0", "method": "notify_hello", "params": [7]},
      {"jsonrpc": "2.0", "method": "subtract", "params": [42,23], "id": "2"},
      {"foo": "boo"},
      {"jsonrpc": "2.0", "method": "foo.get", "params": {"name": "myself"}, "id": "5"},
      {"jsonrpc": "2.0", "method": "get_data", "id": "9"}
    ]`);
    expect(r.json).toEqual([
      { jsonrpc: '2.0', result: '7', id: '1' },
      { jsonrpc: '2.0', result: '19', id: '2' },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'jsonrpc must be "2.0"' }, id: null },
      { jsonrpc: '2.0', error: { code: -32601, message: 'Method not found' }, id: '5' },
      { jsonrpc: '2.0', result: '["hello",5]', id: '9' },
    ]);
    expect(r.calls).toEqual(['notify_hello 7']);
  });

  it('batch (all notifications)', async () => {
    const r = await post(
      '[{"jsonrpc": "2.0", "method": "notify_sum", "params": [1,2,4]},{"jsonrpc": "2.0", "method": "notify_hello", "params": [7]}]',
    );
    expect(r.status).toBe('204 No Content');
    expect(r.json).toBeUndefined();
  });
});

describe('JSON-RPC bridge beyond the spec', () => {
  it('binary args and results as {"base64": ...}', async () => {
    expect((await post('{"jsonrpc":"2.0","method":"binary","id":1}')).json).toEqual({
      jsonrpc: '2.0',
      result: { base64: '/wD+' },
      id: 1,
    });
    expect((await post('{"jsonrpc":"2.0","method":"echo","params":[{"base64":"w6k="},true,1.5],"id":1}')).json).toEqual(
      { jsonrpc: '2.0', result: 'é|true|1.5', id: 1 },
    );
    expect((await post('{"jsonrpc":"2.0","method":"echo","params":[null],"id":1}')).json).toMatchObject({
      error: { code: -32602 },
    });
    expect((await post('{"jsonrpc":"2.0","method":"echo","params":[{"base64":"!!"}],"id":1}')).json).toMatchObject({
      error: { code: -32602 },
    });
  });

  it('a failing function is -32000', async () => {
    expect((await post('{"jsonrpc":"2.0","method":"fail","id":7}')).json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32000, message: 'Server error', data: 'fail failed' },
      id: 7,
    });
  });

  it('bounds nesting, batch size and wants UTF-8', async () => {
    expect((await post(`${'['.repeat(40)}${']'.repeat(40)}`)).json).toMatchObject({ error: { code: -32700 } });
    expect(
      (
        await post(JSON.stringify(Array.from({ length: 3 }, (_, i) => ({ jsonrpc: '2.0', method: 'sum', id: i }))), {
          maxBatch: 2,
        })
      ).json,
    ).toMatchObject({ error: { code: -32600 } });
    expect((await post(new Uint8Array([0x22, 0xff, 0x22]))).json).toMatchObject({ error: { code: -32700 } });
    expect((await post('{"jsonrpc":"2.0","method":"echo","id":{}}')).json).toMatchObject({
      error: { code: -32600 },
      id: null,
    });
  });
});
