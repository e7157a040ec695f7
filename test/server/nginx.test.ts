// nginx `uwsgi_pass` with `uwsgi_modifier1 173; uwsgi_modifier2 1;` -> our server, the function
// answering with a whole HTTP response that nginx relays (the setup of uWSGI's RPC docs).
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { ENGINES } from '../helpers/engines.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { requirePeer, which } from '../helpers/peers.js';
import { removeDir, tempDir } from '../helpers/processes.js';

const hasNginx = requirePeer('nginx', which('nginx') !== null, 'apt-get install nginx-light');

interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
}

function fetchVia(nginx: Nginx, path: string): Promise<HttpReply> {
  const [host, port] = nginx.address.split(':');
  return new Promise((resolve, reject) => {
    get({ host, port: Number(port), path, agent: false, headers: { connection: 'close' } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
    }).on('error', reject);
  });
}

describe.skipIf(!hasNginx)('nginx (uwsgi_modifier1 173, uwsgi_modifier2 1) -> our server', () => {
  describe.each(ENGINES)('%s engine', (engine) => {
    let server: RpcServer;
    let nginx: Nginx;
    let dir: string;
    const logs: string[] = [];
    const calls: string[][] = [];

    beforeAll(async () => {
      dir = tempDir();
      const registry = new Registry();
      // Each function gets nginx's params as one array: key, value, key, value ...
      registry.register('hello', (...args) => {
        calls.push(args.map(String));
        const body = 'Hello from Node';
        return `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nX-Args: ${args.join(',')}\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
      });
      registry.register('binary', async () => {
        await new Promise((r) => setTimeout(r, 10));
        const body = Buffer.from(Uint8Array.from({ length: 100_000 }, (_, i) => i % 256));
        return Buffer.concat([
          Buffer.from(
            `HTTP/1.0 200 OK\r\nContent-Type: application/octet-stream\r\nContent-Length: ${body.length}\r\n\r\n`,
          ),
          body,
        ]);
      });
      registry.register('fails', () => {
        throw new Error('nope');
      });
      server = new RpcServer({ registry, engine, log: (l) => logs.push(l) });
      const tcp = await server.listen('127.0.0.1:0');
      const unix = await server.listen(join(dir, 'rpc.sock'));
      const rpc = (name: string, pass: string) => `
        location = /${name}${pass.startsWith('unix:') ? '-unix' : ''} {
          uwsgi_modifier1 173;
          uwsgi_modifier2 1;
          uwsgi_param ${name} foo;
          uwsgi_param bar "";
          uwsgi_pass_request_headers off;
          uwsgi_pass_request_body off;
          uwsgi_pass ${pass};
        }`;
      nginx = await startNginx(
        [
          rpc('hello', tcp),
          rpc('hello', `unix:${unix}`),
          rpc('binary', tcp),
          rpc('fails', tcp),
          rpc('missing', tcp),
        ].join('\n'),
        dir,
      );
    });
    afterAll(async () => {
      await nginx?.stop();
      await server?.close();
      removeDir(dir);
    });

    it('relays the HTTP response the function returns; the trailing empty param is accepted', async () => {
      for (const path of ['/hello', '/hello-unix']) {
        const before = calls.length;
        const r = await fetchVia(nginx, path);
        expect(r.status, nginx.logText()).toBe(200);
        expect(r.headers['content-type']).toBe('text/plain');
        expect(r.headers['x-args']).toBe('foo,bar');
        expect(r.body.toString()).toBe('Hello from Node');
        // hello(foo, bar): nginx's trailing empty item (bar = "") is skipped, not refused
        expect(calls.slice(before)).toEqual([['foo', 'bar']]);
      }
    });

    it('relays a 100 KB binary body from an async function', async () => {
      const r = await fetchVia(nginx, '/binary');
      expect(r.status).toBe(200);
      expect(r.body.length).toBe(100_000);
      expect(r.body.equals(Buffer.from(Uint8Array.from({ length: 100_000 }, (_, i) => i % 256)))).toBe(true);
    });

    it('a failing or unknown function: nothing on the wire, so nginx answers 502', async () => {
      const before = logs.length;
      expect((await fetchVia(nginx, '/fails')).status).toBe(502);
      expect((await fetchVia(nginx, '/missing')).status).toBe(502);
      expect(logs.slice(before)).toEqual([
        expect.stringMatching(/function "fails" failed: Error: nope/),
        expect.stringMatching(/unknown function "missing"/),
      ]);
    });
  });
});
