// The HTTP bridges are bounded whatever the client sends: body size (413, then the
// connection ends), XML with entities or a DTD (billion laughs, XXE) refused, XML
// depth and element count, JSON nesting (in the envelope and inside params), and a body
// that never finishes; over --http-socket and over the uwsgi protocol (nginx's way).
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createCodecSync } from '../../src/codec/index.js';
import { RpcServer } from '../../src/server/server.js';
import { testRegistry } from './helpers.js';

const codec = createCodecSync();
const MAX = 4096;

/** Writes `head` (and `more` every 20 ms until the peer closes, if given); resolves with what came back once closed. */
function exchange(address: string, head: string | Buffer, more?: Buffer): Promise<{ text: string; sentAfter: number }> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let sentAfter = 0;
    let timer: NodeJS.Timeout | undefined;
    const s = connect(Number(address.slice(i + 1)), address.slice(0, i), () => {
      s.write(head);
      if (more !== undefined) {
        timer = setInterval(() => {
          if (s.writable) {
            s.write(more);
            sentAfter += more.length;
          }
        }, 20);
      }
    });
    s.on('data', (c) => chunks.push(c));
    s.on('error', (e) =>
      (e as NodeJS.ErrnoException).code === 'ECONNRESET' || (e as NodeJS.ErrnoException).code === 'EPIPE'
        ? undefined
        : reject(e),
    );
    s.on('close', () => {
      clearInterval(timer);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), sentAfter });
    });
  });
}

const post = (path: string, length: number | 'chunked', type = 'text/xml') =>
  `POST ${path} HTTP/1.1\r\nHost: x\r\nContent-Type: ${type}\r\n${length === 'chunked' ? 'Transfer-Encoding: chunked' : `Content-Length: ${length}`}\r\n\r\n`;

const deepJson = (n: number) => `{"jsonrpc":"2.0","method":"echo","params":[${'['.repeat(n)}${']'.repeat(n)}],"id":1}`;
const deepXml = (n: number) =>
  `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params><param><value>${'<array><data><value>'.repeat(n)}x${'</value></data></array>'.repeat(n)}</value></param></params></methodCall>`;
const xxe =
  '<?xml version="1.0"?><!DOCTYPE m [<!ENTITY x SYSTEM "file:///etc/passwd">]><methodCall><methodName>&x;</methodName></methodCall>';
const laughs = `<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa">${Array.from({ length: 9 }, (_, k) => `<!ENTITY ${'bcdefghij'[k]} "${`&${'abcdefghi'[k]};`.repeat(10)}">`).join('')}]><methodCall><methodName>&j;</methodName></methodCall>`;

describe('bridges bounded over --http-socket', () => {
  let server: RpcServer;
  let xml: string;
  let json: string;
  const logs: string[] = [];

  beforeAll(async () => {
    server = new RpcServer({
      registry: testRegistry(),
      log: (l) => logs.push(l),
      http: { maxBody: MAX, bodyTimeout: 300, xml: { maxElements: 100 } },
    });
    xml = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 3 });
    json = await server.listenHttp('127.0.0.1:0', { modifier1: 173, modifier2: 4 });
  });

  afterAll(() => server.close());

  it('a declared body over the limit: 413 at once, Connection: close, the connection ends', async () => {
    for (const address of [xml, json]) {
      const r = await exchange(address, post('/', 1 << 30), Buffer.alloc(64 << 10, 0x61));
      expect(r.text).toMatch(/^HTTP\/1.1 413 /);
      expect(r.text).toMatch(/\r\nConnection: close\r\n/i);
    }
  });

  it('a chunked body that grows past the limit: 413 and closed', async () => {
    const chunk = Buffer.from(`1000\r\n${'a'.repeat(0x1000)}\r\n`);
    for (const address of [xml, json]) {
      const r = await exchange(address, post('/', 'chunked'), chunk);
      expect(r.text).toMatch(/^HTTP\/1.1 413 /);
    }
  });

  it('a body that stops coming: the connection is closed after bodyTimeout', async () => {
    const before = logs.length;
    const r = await exchange(json, `${post('/', 100, 'application/json')}{"jsonrpc"`);
    expect(r.text).toBe('');
    expect(logs.slice(before)).toEqual([expect.stringMatching(/the body did not come within 300 ms/)]);
  });

  it('XML: billion laughs and external entities refused without expanding or fetching', async () => {
    for (const doc of [laughs, xxe]) {
      const r = await fetch(`http://${xml}/`, { method: 'POST', body: doc });
      expect(await r.text()).toMatch(/<int>-32700<\/int>[\s\S]*document type declarations are not accepted/);
    }
    const undeclared = '<?xml version="1.0"?><methodCall><methodName>&x;</methodName></methodCall>';
    expect(await (await fetch(`http://${xml}/`, { method: 'POST', body: undeclared })).text()).toMatch(
      /<int>-32700<\/int>[\s\S]*undeclared entity/,
    );
  });

  it('XML: nesting depth and element count bounded', async () => {
    expect(await (await fetch(`http://${xml}/`, { method: 'POST', body: deepXml(40) })).text()).toMatch(
      /<int>-32700<\/int>[\s\S]*nest deeper than 64/,
    );
    const many = `<?xml version="1.0"?><methodCall><methodName>echo</methodName><params>${'<param><value>a</value></param>'.repeat(60)}</params></methodCall>`;
    expect(await (await fetch(`http://${xml}/`, { method: 'POST', body: many })).text()).toMatch(
      /<int>-32700<\/int>[\s\S]*more than 100 elements/,
    );
  });

  it('JSON: nesting bounded in the envelope and inside params; the server answers on', async () => {
    const call = async (body: string) =>
      (
        await fetch(`http://${json}/`, { method: 'POST', body, headers: { 'Content-Type': 'application/json' } })
      ).json();
    expect(await call(deepJson(40))).toMatchObject({ error: { code: -32700 }, id: null });
    expect(await call(`${'{"a":'.repeat(100)}1${'}'.repeat(100)}`)).toMatchObject({ error: { code: -32700 } });
    expect(await call('{"jsonrpc":"2.0","method":"echo","params":["a","b"],"id":1}')).toEqual({
      jsonrpc: '2.0',
      result: 'a|b',
      id: 1,
    });
  });
});

describe('bridges bounded over the uwsgi protocol (nginx uwsgi_pass)', () => {
  let server: RpcServer;
  let address: string;

  beforeAll(async () => {
    server = new RpcServer({ registry: testRegistry(), log: () => {}, http: { maxBody: MAX, bodyTimeout: 300 } });
    address = await server.listen('127.0.0.1:0');
  });

  afterAll(() => server.close());

  const packet = (modifier2: number, body: string): Buffer => {
    const vars = codec.encodeVars([
      ['REQUEST_METHOD', 'POST'],
      ['REQUEST_URI', '/'],
      ['PATH_INFO', '/'],
      ['QUERY_STRING', ''],
      ['SERVER_PROTOCOL', 'HTTP/1.1'],
      ['CONTENT_LENGTH', String(Buffer.byteLength(body))],
      ['HTTP_HOST', 'x'],
    ]);
    return Buffer.concat([
      Buffer.from([173, vars.length & 0xff, vars.length >> 8, modifier2]),
      vars,
      Buffer.from(body),
    ]);
  };

  it('XML entities, XML depth and JSON depth refused as over --http-socket', async () => {
    expect((await exchange(address, packet(3, laughs))).text).toMatch(
      /<int>-32700<\/int>[\s\S]*document type declarations/,
    );
    expect((await exchange(address, packet(3, deepXml(40)))).text).toMatch(/<int>-32700<\/int>[\s\S]*nest deeper/);
    expect((await exchange(address, packet(4, deepJson(40)))).text).toMatch(/"code":-32700/);
  });

  it('a CONTENT_LENGTH over the limit: 413 without reading the body', async () => {
    const r = await exchange(address, packet(4, 'x'.repeat(MAX + 1)));
    expect(r.text).toMatch(/^HTTP\/1.1 413 /);
  });
});
