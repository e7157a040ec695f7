import { describe, expect, it } from 'vitest';
import { readFileSync } from 'node:fs';
import { type IncomingMessage, createServer, request } from 'node:http';
import { join } from 'node:path';
import { createCodecSync } from '../../src/codec/index.js';
import { varsFromHttp } from '../../src/http/http-vars.js';
import { RequestVars } from '../../src/http/request-vars.js';

describe('RequestVars from a uwsgi vars packet (nginx uwsgi_pass with uwsgi_params)', () => {
  const packet = readFileSync(join(__dirname, '..', 'vectors', 'nginx-vars.bin'));
  const vars = RequestVars.fromPairs(createCodecSync().decodeVars(packet.subarray(4)));

  it('keeps every var in order and picks the routing subjects', () => {
    expect([...vars.entries()].map(([k]) => k).slice(0, 3)).toEqual(['QUERY_STRING', 'REQUEST_METHOD', 'CONTENT_TYPE']);
    expect(vars.pathInfo).toBe('/some/path');
    expect(vars.uri).toBe('/some/path?a=1&b=x%20y&empty=');
    expect(vars.queryString).toBe('a=1&b=x%20y&empty=');
    expect(vars.host).toBe('vectors.test');
    expect(vars.remoteAddr).toBe('127.0.0.1');
    expect(vars.userAgent).toBe('uwsgi-rpc-capture/1');
    expect(vars.protocol).toBe('HTTP/1.1');
    expect(vars.method).toBe('GET');
    expect(vars.referer).toBeNull();
    expect(vars.get('HTTP_X_CUSTOM_HEADER')).toBe('v1');
    expect(vars.get('CONTENT_LENGTH')).toBe('');
    expect(vars.contentLength).toBe(0);
  });

  it('round-trips through codec.encodeVars', () => {
    const codec = createCodecSync();
    expect(Buffer.from(codec.encodeVars(vars.toPairs()))).toEqual(packet.subarray(4));
  });
});

describe('RequestVars rules', () => {
  it('last var of a name wins for lookups; appended vars do not move subjects', () => {
    const v = RequestVars.fromPairs([
      ['PATH_INFO', '/a'],
      ['X', '1'],
    ]);
    v.append('X', '2');
    v.append('PATH_INFO', '/b');
    expect(v.get('X')).toBe('2');
    expect(v.get('PATH_INFO')).toBe('/b');
    expect(v.pathInfo).toBe('/a');
  });

  it('host: HTTP_HOST, or SERVER_NAME when it came first; REMOTE_ADDR: the first non-empty', () => {
    expect(
      RequestVars.fromPairs([
        ['SERVER_NAME', 's'],
        ['HTTP_HOST', 'h'],
      ]).host,
    ).toBe('h');
    expect(
      RequestVars.fromPairs([
        ['HTTP_HOST', 'h'],
        ['SERVER_NAME', 's'],
      ]).host,
    ).toBe('h');
    expect(RequestVars.fromPairs([['SERVER_NAME', 's']]).host).toBe('s');
    expect(
      RequestVars.fromPairs([
        ['REMOTE_ADDR', ''],
        ['REMOTE_ADDR', '1.2.3.4'],
        ['REMOTE_ADDR', '5.6.7.8'],
      ]).remoteAddr,
    ).toBe('1.2.3.4');
  });

  it('CONTENT_LENGTH is its leading digits', () => {
    expect(RequestVars.fromPairs([['CONTENT_LENGTH', '12x3']]).contentLength).toBe(12);
  });

  it('bytes are kept as binary strings', () => {
    const v = RequestVars.fromPairs([[new Uint8Array([0x41]), new Uint8Array([0, 0xff, 0x80])]]);
    expect(v.get('A')).toBe('\0\xff\x80');
    expect(v.toPairs()[0][1]).toEqual(new Uint8Array([0, 0xff, 0x80]));
  });
});

describe('varsFromHttp over a real node:http request', () => {
  it("builds the vars uWSGI's HTTP socket builds", async () => {
    const seen = await new Promise<RequestVars>((resolve, reject) => {
      const server = createServer((req: IncomingMessage, res) => {
        const addr = server.address() as { port: number };
        resolve(
          varsFromHttp(req, {
            remoteAddress: req.socket.remoteAddress,
            remotePort: req.socket.remotePort,
            serverName: 'me',
            serverPort: addr.port,
          }),
        );
        res.end('ok');
        server.close();
      });
      server.listen(0, '127.0.0.1', () => {
        const { port } = server.address() as { port: number };
        const r = request(
          {
            host: '127.0.0.1',
            port,
            method: 'POST',
            path: '/a/%2e%2e/b%20c?x=%41&y',
            headers: {
              'X-Multi': ['1', '2'],
              'Content-Type': 'text/plain',
              'User-Agent': 'ua/1',
              Referer: 'http://r/',
            },
          },
          (res) => res.resume(),
        );
        r.on('error', reject);
        r.end('body');
      });
    });
    expect(seen.get('REQUEST_METHOD')).toBe('POST');
    expect(seen.uri).toBe('/a/%2e%2e/b%20c?x=%41&y');
    expect(seen.pathInfo).toBe('/a/../b c'); // percent-encoded dots are no dot segment for uWSGI
    expect(seen.queryString).toBe('x=%41&y');
    expect(seen.protocol).toBe('HTTP/1.1');
    expect(seen.get('SERVER_NAME')).toBe('me');
    expect(seen.remoteAddr).toBe('127.0.0.1');
    expect(seen.get('REMOTE_PORT')).toMatch(/^\d+$/);
    expect(seen.get('HTTP_X_MULTI')).toBe('1, 2');
    expect(seen.get('CONTENT_TYPE')).toBe('text/plain');
    expect(seen.get('HTTP_CONTENT_TYPE')).toBeUndefined();
    expect(seen.get('CONTENT_LENGTH')).toBe('4');
    expect(seen.contentLength).toBe(4);
    expect(seen.userAgent).toBe('ua/1');
    expect(seen.referer).toBe('http://r/');
    expect(seen.host).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});
