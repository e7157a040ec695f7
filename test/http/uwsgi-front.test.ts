// HTTP requests on a uwsgi socket (what nginx's uwsgi_pass sends), over real sockets: the
// vars packet, the body that follows it in any chunking, answers after pipelined RPC calls.
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecSync } from '../../src/codec/index.js';
import { RpcServer } from '../../src/server/server.js';
import { testRegistry } from './helpers.js';
import { rawExchange } from './raw-http.js';

const codec = createCodecSync();

function packet(modifier1: number, modifier2: number, vars: [string, string][]): Buffer {
  const body = codec.encodeVars(vars);
  return Buffer.concat([Buffer.from([modifier1, body.length & 0xff, body.length >> 8, modifier2]), body]);
}

const xmlCall = Buffer.from(
  '<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value>a</value></param><param><value><string>b</string></value></param></params></methodCall>',
);

const varsFor = (path: string, body = 0): [string, string][] => [
  ['REQUEST_METHOD', body > 0 ? 'POST' : 'GET'],
  ['REQUEST_URI', path],
  ['PATH_INFO', path],
  ['QUERY_STRING', ''],
  ['SERVER_PROTOCOL', 'HTTP/1.1'],
  ['CONTENT_LENGTH', String(body)],
  ['HTTP_HOST', 'x'],
];

/** Writes `parts` one by one (a tick apart) and reads until the server closes. */
function exchange(address: string, parts: Buffer[]): Promise<Buffer> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect(Number(address.slice(i + 1)), address.slice(0, i), async () => {
      for (const p of parts) {
        s.write(p);
        await new Promise((r) => setTimeout(r, 20));
      }
    });
    s.on('data', (c) => chunks.push(c));
    s.on('error', reject);
    s.on('close', () => resolve(Buffer.concat(chunks)));
  });
}

describe('HTTP over the uwsgi protocol', () => {
  let server: RpcServer;
  let address: string;
  const logs: string[] = [];

  beforeAll(async () => {
    server = new RpcServer({
      registry: testRegistry(),
      routes: [['route', '^/hello$ rpc:hello']],
      log: (l) => logs.push(l),
      http: { maxBody: 1000, bodyTimeout: 500 },
    });
    address = await server.listen('127.0.0.1:0');
  });

  afterAll(() => server.close());

  it("modifier1 0: a raw HTTP answer with the request's protocol, then close", async () => {
    expect((await rawExchange(address, packet(0, 0, varsFor('/hello')))).toString()).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello World',
    );
    expect((await rawExchange(address, packet(0, 0, varsFor('/other')))).toString()).toMatch(
      /^HTTP\/1.1 404 Not Found\r\n/,
    );
  });

  it("XML-RPC: the body in the packet's chunk, split over writes, or one byte at a time", async () => {
    const want =
      /^HTTP\/1.1 200 OK\r\nContent-Length: \d+\r\nContent-Type: text\/xml\r\n\r\n[\s\S]*<string>a\|b<\/string>/;
    const head = packet(173, 3, varsFor('/RPC2', xmlCall.length));
    expect((await exchange(address, [Buffer.concat([head, xmlCall])])).toString()).toMatch(want);
    expect((await exchange(address, [head, xmlCall.subarray(0, 10), xmlCall.subarray(10)])).toString()).toMatch(want);
    expect(
      (
        await exchange(address, [
          Buffer.concat([head, xmlCall.subarray(0, 1)]),
          xmlCall.subarray(1, 50),
          xmlCall.subarray(50),
        ])
      ).toString(),
    ).toMatch(want);
  });

  it('answers pipelined RPC calls first, then the HTTP request, then closes', async () => {
    const rpc = Buffer.from(codec.encodeRequest('hello', []));
    const out = await exchange(address, [Buffer.concat([rpc, rpc, packet(0, 0, varsFor('/hello'))])]);
    const one = Buffer.concat([Buffer.from([173, 11, 0, 0]), Buffer.from('Hello World')]);
    expect(out).toEqual(
      Buffer.concat([one, one, Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello World')]),
    );
  });

  it('a body over the limit gets 413 without being read; one that never comes, no answer', async () => {
    expect((await exchange(address, [packet(173, 4, varsFor('/', 5000))])).toString()).toMatch(
      /^HTTP\/1.1 413 Request Entity Too Large\r\n/,
    );
    const before = logs.length;
    expect(await exchange(address, [packet(173, 4, varsFor('/', 100)), Buffer.from('{"jsonrpc"')])).toHaveLength(0);
    expect(logs.slice(before).join('\n')).toMatch(/got no answer/);
  });

  it('PATH_INFO bridge on a modifier1 173 / modifier2 2 packet', async () => {
    expect((await rawExchange(address, packet(173, 2, varsFor('/echo/x/y')))).toString()).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: application/binary\r\n\r\nx|y',
    );
  });
});
