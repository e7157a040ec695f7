// The XML-RPC and JSON-RPC bridges over real HTTP: Python's xmlrpc.client and the JSON-RPC
// 2.0 spec's requests against ours; uWSGI's answers recorded where it has the bridge.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcServer } from '../../src/server/server.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { testRegistry } from './helpers.js';
import { XMLRPC_EXPECTED, pythonXmlRpc } from './python-client.js';

const hasPython = requirePeer('python3', which('python3') !== null, 'install python3');

describe('XML-RPC and JSON-RPC over --http-socket', () => {
  let server: RpcServer;
  let xml: string;
  let json: string;
  let pathInfo: string;
  const logs: string[] = [];

  beforeAll(async () => {
    server = new RpcServer({ registry: testRegistry(), log: (l) => logs.push(l), http: { maxBody: 4096 } });
    xml = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 3 });
    json = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 4 });
    pathInfo = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 2 });
  });

  afterAll(() => server.close());

  it.runIf(hasPython)("Python's xmlrpc.client: results, binary both ways, listMethods, faults", async () => {
    expect(await pythonXmlRpc(`http://${xml}/RPC2`)).toEqual(XMLRPC_EXPECTED);
  });

  it('XML-RPC: a billion laughs document gets a fault at once; bodies over the limit a 413', async () => {
    const lol =
      '<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><methodCall><methodName>&b;</methodName></methodCall>';
    const r = await fetch(`http://${xml}/`, { method: 'POST', body: lol });
    expect(r.status).toBe(200);
    expect(await r.text()).toMatch(/<int>-32700<\/int>[\s\S]*document type declarations are not accepted/);
    const big = await fetch(`http://${xml}/`, { method: 'POST', body: 'x'.repeat(5000) });
    expect(big.status).toBe(413);
  });

  it("JSON-RPC: the spec's call, notification, batch and errors", async () => {
    const post = async (body: string) => {
      const r = await fetch(`http://${json}/`, {
        method: 'POST',
        body,
        headers: { 'Content-Type': 'application/json' },
      });
      const text = await r.text();
      return {
        status: r.status,
        type: r.headers.get('content-type'),
        json: text === '' ? undefined : JSON.parse(text),
      };
    };
    expect(await post('{"jsonrpc": "2.0", "method": "echo", "params": [42, 23], "id": 1}')).toEqual({
      status: 200,
      type: 'application/json',
      json: { jsonrpc: '2.0', result: '42|23', id: 1 },
    });
    expect(await post('{"jsonrpc": "2.0", "method": "hello"}')).toEqual({ status: 204, type: null, json: undefined });
    expect((await post('{"jsonrpc": "2.0", "method": "foobar", "id": "1"}')).json).toEqual({
      jsonrpc: '2.0',
      error: { code: -32601, message: 'Method not found' },
      id: '1',
    });
    expect(
      (await post('[{"jsonrpc": "2.0", "method": "hello", "id": "1"}, {"jsonrpc": "2.0", "method": "hello"}, 1]')).json,
    ).toEqual([
      { jsonrpc: '2.0', result: 'Hello World', id: '1' },
      { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null },
    ]);
    expect((await post('{"jsonrpc": "2.0", "method": "foobar, "params": "bar", "baz]')).json).toMatchObject({
      error: { code: -32700 },
      id: null,
    });
    expect((await post('{"jsonrpc":"2.0","method":"binary","id":2}')).json).toEqual({
      jsonrpc: '2.0',
      result: { base64: '/wD+' },
      id: 2,
    });
  });

  it('PATH_INFO bridge over keep-alive HTTP/1.1: each request answered', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await fetch(`http://${pathInfo}/echo/${i}/x`);
      expect(r.status).toBe(200);
      expect(r.headers.get('content-type')).toBe('application/binary');
      expect(await r.text()).toBe(`${i}|x`);
    }
    expect((await fetch(`http://${pathInfo}/nope`)).status).toBe(404);
  });
});

describe.runIf(
  hasPython && requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3'),
)("uWSGI's XML-RPC bridge, for the record", () => {
  let dir: string;
  let uwsgi: Peer;
  let address: string;

  beforeAll(async () => {
    dir = tempDir();
    address = `127.0.0.1:${await freePort()}`;
    uwsgi = await startUwsgi(
      'python3,rpc',
      [
        '--http-socket',
        address,
        '--http-socket-modifier1',
        '173',
        '--http-socket-modifier2',
        '3',
        '--import',
        join(__dirname, 'fixtures', 'rpc_funcs.py'),
      ],
      [address],
      dir,
    );
  });

  afterAll(async () => {
    await uwsgi?.stop();
    removeDir(dir);
  });

  it('the Debian build answers every call 500 (ours answers them: see above)', async () => {
    const results = await pythonXmlRpc(`http://${address}/RPC2`);
    for (const r of results) expect(r).toEqual({ http: [500, 'Internal Server Error'] });
  });
});
