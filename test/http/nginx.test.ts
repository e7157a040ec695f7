// nginx in front: uwsgi_pass with the standard uwsgi_params (modifier1 0: routes), and
// uwsgi_modifier1 173 with modifier2 2, 3, 4 (the bridges; 3 and 4 with a POST body).
// The same nginx config fronts the real uWSGI (--socket, same routes, Python functions)
// and ours (same routes, JS functions): answers compared; XML-RPC and JSON-RPC on ours.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RouteOption } from '../../src/routing/router.js';
import { RpcServer } from '../../src/server/server.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { comparable, readAnswer } from './compare.js';
import { testRegistry } from './helpers.js';
import { XMLRPC_EXPECTED, pythonXmlRpc } from './python-client.js';
import { rawExchange } from './raw-http.js';

const ROUTES: RouteOption[] = [
  ['route', '^/hello$ rpc:hello'],
  ['route', '^/echo/(.*)/(.*)$ rpc:echo $1 $2 ${REQUEST_METHOD} ${HTTP_X_FOO} ${SERVER_PROTOCOL}'],
  ['route', '^/next$ rpcnext:hello'],
  ['route', '^/next$ rpcnext:echo a b'],
  ['route', '^/raw$ rpcraw:raw'],
  ['route', '^/brk$ break:403 Forbidden stuff'],
  ['route', '^/empty$ rpc:empty'],
  ['route', '^/hdr$ addheader:X-Added: ${PATH_INFO}'],
  ['route', '^/hdr$ rpc:hello'],
  ['route-qs', '^a=(.*)$ rpc:echo qs $1'],
  ['route-user-agent', '^UA-(\\d+) rpc:echo ua $1'],
];

/** The nginx config that fronts a uwsgi server at `upstream` (README shows the same). */
export function nginxLocations(upstream: string): string {
  return `
    location / {
      include /etc/nginx/uwsgi_params;
      uwsgi_pass ${upstream};
    }
    location ~ ^/pi(?<rpc_path>/.*)$ {
      include /etc/nginx/uwsgi_params;
      uwsgi_param PATH_INFO $rpc_path;
      uwsgi_modifier1 173;
      uwsgi_modifier2 2;
      uwsgi_pass ${upstream};
    }
    location = /RPC2 {
      include /etc/nginx/uwsgi_params;
      uwsgi_modifier1 173;
      uwsgi_modifier2 3;
      uwsgi_pass ${upstream};
    }
    location = /jsonrpc {
      include /etc/nginx/uwsgi_params;
      uwsgi_modifier1 173;
      uwsgi_modifier2 4;
      uwsgi_pass ${upstream};
    }`;
}

const SAME: [string, [string, string][]][] = [
  ['/hello', []],
  ['/echo/x/y', [['X-Foo', 'foo']]],
  ['/next', []],
  ['/raw', []],
  ['/brk', []],
  ['/empty', []],
  ['/hdr', []],
  ['/q?a=zz', []],
  ['/ua', [['User-Agent', 'UA-77']]],
  ['/pi/hello', []],
  ['/pi/echo/a/b', []],
  ['/pi/hello', [['Accept', 'text/plain']]],
  ['/pi/nope', []],
  ['/pi/', []],
];

describe.runIf(
  requirePeer(
    'nginx and uwsgi',
    which('nginx') !== null && which('uwsgi') !== null,
    'apt-get install nginx-light uwsgi-core uwsgi-plugin-python3',
  ),
)('nginx uwsgi_pass in front of uWSGI and of ours', () => {
  const dirs: string[] = [];
  const peers: Peer[] = [];
  let ours: RpcServer;
  let toUwsgi: Nginx;
  let toOurs: Nginx;

  const dir = () => {
    const d = tempDir();
    dirs.push(d);
    return d;
  };

  beforeAll(async () => {
    const w = `127.0.0.1:${await freePort()}`;
    const routeArgs = ROUTES.flatMap(([k, v]) => [`--${k}`, v]);
    peers.push(
      await startUwsgi(
        'python3,rpc',
        ['--socket', w, '--import', join(__dirname, 'fixtures', 'rpc_funcs.py'), ...routeArgs],
        [w],
        dir(),
      ),
    );
    ours = new RpcServer({ registry: testRegistry(), routes: ROUTES, log: () => {} });
    const u = await ours.listen('127.0.0.1:0');
    toUwsgi = await startNginx(nginxLocations(w), dir());
    toOurs = await startNginx(nginxLocations(u), dir());
  }, 60_000);

  afterAll(async () => {
    await toOurs?.stop();
    await toUwsgi?.stop();
    await ours?.close();
    for (const p of peers) await p.stop();
    for (const d of dirs) removeDir(d);
  });

  const request = (path: string, headers: [string, string][]) =>
    `GET ${path} HTTP/1.0\r\nHost: front.test\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;

  it.each(SAME)('%s %j', async (path, headers) => {
    const req = request(path, headers);
    const [u, o] = await Promise.all([rawExchange(toUwsgi.address, req), rawExchange(toOurs.address, req)]);
    const ua = readAnswer(u);
    const oa = readAnswer(o);
    for (const a of [ua, oa]) a?.headers.delete('date');
    expect(comparable(oa, ua), `${toOurs.logText().slice(-1500)}`).toEqual(comparable(ua, ua));
  });

  it("XML-RPC through nginx (POST body after the vars packet): Python's client works against ours", async () => {
    expect(await pythonXmlRpc(`http://${toOurs.address}/RPC2`)).toEqual(XMLRPC_EXPECTED);
  });

  it('JSON-RPC through nginx: a batch', async () => {
    const r = await fetch(`http://${toOurs.address}/jsonrpc`, {
      method: 'POST',
      body: '[{"jsonrpc":"2.0","method":"echo","params":["a",{"base64":"/w=="}],"id":1},{"jsonrpc":"2.0","method":"hello","id":"x"}]',
    });
    expect(r.status).toBe(200);
    expect(await r.json()).toEqual([
      { jsonrpc: '2.0', result: { base64: Buffer.from('a|\xff', 'latin1').toString('base64') }, id: 1 },
      { jsonrpc: '2.0', result: 'Hello World', id: 'x' },
    ]);
  });

  it('a big JSON-RPC body arrives whole (several reads after the packet)', async () => {
    const arg = 'x'.repeat(200_000);
    const r = await fetch(`http://${toOurs.address}/jsonrpc`, {
      method: 'POST',
      body: JSON.stringify({ jsonrpc: '2.0', method: 'show', params: [arg], id: 1 }),
    });
    expect(await r.json()).toEqual({ jsonrpc: '2.0', result: `[${arg}]`, id: 1 });
  });
});
