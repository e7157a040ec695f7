// --https-socket: the same ini (routes; the PATH_INFO bridge with --https-socket-modifier1/2) on the real uWSGI's
// --https-socket and on ours; the same raw requests over TLS to both, answers compared (HTTPS=on in both). Then a CA
// on our HTTPS socket: client certificates required, a refusal is one log line.
import { copyFileSync, writeFileSync } from 'node:fs';
import { request as httpsRequest } from 'node:https';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { type Certs, hasOpenssl, makeCerts } from '../helpers/certs.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { comparable, readAnswer } from '../http/compare.js';
import { type Ours, buildOnce, serveOurs } from '../http/our-cli.js';

const PY = join(__dirname, '..', 'http', 'fixtures', 'rpc_funcs.py');
const MJS = join(__dirname, '..', 'http', 'fixtures', 'rpc_funcs.mjs');

const ROUTES = `[uwsgi]
route = ^/hello$ rpc:hello
route = ^/https$ rpc:echo [\${HTTPS}] \${REQUEST_METHOD}
route = ^/echo/(.*)/(.*)$ call:echo $1 $2 \${HTTP_X_FOO}
route = ^/brk$ break:403 Forbidden stuff
route = ^/rt$ return:404
route = ^/hdr$ addheader:X-Added: \${PATH_INFO}
route = ^/hdr$ rpc:hello
`;
const BRIDGE = `[uwsgi]
https-socket-modifier1 = 173
https-socket-modifier2 = 2
route = ^/routed$ rpc:echo routed \${HTTPS}
`;
const ROUTE_PATHS: [string, [string, string][]][] = [
  ['/hello', []],
  ['/https', []],
  ['/echo/x/y', [['X-Foo', 'foo']]],
  ['/brk', []],
  ['/rt', []],
  ['/hdr', []],
];
const BRIDGE_PATHS = ['/hello', '/echo/a/b', '/routed', '/nope', '/fail'];

/** Raw bytes over TLS (trusting `ca`), everything read until the peer closes. */
function tlsExchange(address: string, ca: string, request: string): Promise<Buffer> {
  const i = address.lastIndexOf(':');
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const s = connect({ host: address.slice(0, i), port: Number(address.slice(i + 1)), ca }, () =>
      s.write(Buffer.from(request, 'latin1')),
    );
    s.on('data', (c: Buffer) => chunks.push(c));
    s.on('error', (e: NodeJS.ErrnoException) => (chunks.length > 0 ? resolve(Buffer.concat(chunks)) : reject(e)));
    s.on('close', () => resolve(Buffer.concat(chunks)));
    s.setTimeout(5000, () => s.destroy());
  });
}

const hasPeers = requirePeer(
  'uwsgi (python3, rpc plugins) and openssl',
  which('uwsgi') !== null && hasOpenssl(),
  'apt-get install uwsgi-core uwsgi-plugin-python3 openssl',
);

describe.runIf(hasPeers)("--https-socket: uWSGI's and ours answer alike", () => {
  let dir: string;
  let certs: Certs;
  const peers: Peer[] = [];
  let ours: Ours[] = [];
  const uw = { routes: '', bridge: '' };
  const our = { routes: '', bridge: '' };

  beforeAll(async () => {
    buildOnce();
    dir = tempDir('uwsgi-rpc-https-');
    certs = makeCerts(dir);
    const tls = `${certs.server.cert},${certs.server.key}`;
    for (const [k, ini] of [
      ['routes', ROUTES],
      ['bridge', BRIDGE],
    ] as const) {
      const file = join(dir, `${k}.ini`);
      writeFileSync(file, ini);
      uw[k] = `127.0.0.1:${await freePort()}`;
      our[k] = `127.0.0.1:${await freePort()}`;
      peers.push(
        await startUwsgi(
          'python3,rpc',
          ['--ini', file, '--https-socket', `${uw[k]},${tls}`, '--import', PY],
          [uw[k]],
          dir,
        ),
      );
      ours.push(await serveOurs(['--ini', file, '--https-socket', `${our[k]},${tls}`, '--import', MJS], 1));
    }
  }, 120_000);
  afterAll(async () => {
    const codes: (number | null)[] = [];
    try {
      for (const o of ours) codes.push(await o.stop());
      ours = [];
      for (const p of peers) await p.stop();
    } finally {
      if (dir) removeDir(dir);
    }
    for (const code of codes) expect(code).toBe(0);
  });

  async function both(address: { u: string; o: string }, path: string, headers: [string, string][]) {
    const req = `GET ${path} HTTP/1.0\r\nHost: test.local\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
    const ca = certs.read(certs.ca);
    const [u, o] = await Promise.all([tlsExchange(address.u, ca, req), tlsExchange(address.o, ca, req)]);
    return { u: readAnswer(u), o: readAnswer(o) };
  }
  const logs = () =>
    `${peers.map((p) => p.logText().slice(-1500)).join('\n')}\n--- ours ---\n${ours.map((o) => o.stderr()).join('\n')}`;

  it.each(ROUTE_PATHS)('routes: %s %j', async (path, headers) => {
    const { u, o } = await both({ u: uw.routes, o: our.routes }, path, headers);
    expect(comparable(o, u), logs()).toEqual(comparable(u, u));
    if (path === '/https') expect(o?.body).toBe('[on]|GET');
  });

  it.each(BRIDGE_PATHS)('PATH_INFO bridge (--https-socket-modifier1/2): %s', async (path) => {
    const { u, o } = await both({ u: uw.bridge, o: our.bridge }, path, []);
    expect(comparable(o, u), logs()).toEqual(comparable(u, u));
  });
});

describe.runIf(requirePeer('openssl', hasOpenssl(), 'apt-get install openssl'))(
  'our HTTPS socket with a CA: client certificates required',
  () => {
    let dir: string;
    let certs: Certs;
    let server: RpcServer;
    let address: string;
    const logs: string[] = [];
    beforeAll(async () => {
      dir = tempDir('uwsgi-rpc-https-ca-');
      certs = makeCerts(dir);
      const registry = new Registry();
      registry.register('hello', () => 'hi');
      server = new RpcServer({ registry, log: (l) => logs.push(l) });
      address = await server.listenHttp('127.0.0.1:0', {
        modifier1: 173,
        modifier2: 2,
        tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca },
      });
    });
    afterAll(async () => {
      try {
        await server?.close();
      } finally {
        if (dir) removeDir(dir);
      }
    });

    const get = (client?: { cert: string; key: string }) =>
      new Promise<number | string>((resolve) => {
        const [host, port] = address.split(':');
        const req = httpsRequest(
          {
            host,
            port: Number(port),
            path: '/hello',
            ca: certs.read(certs.ca),
            agent: false,
            ...(client ? { cert: certs.read(client.cert), key: certs.read(client.key) } : {}),
          },
          (res) => {
            res.resume();
            res.on('end', () => resolve(res.statusCode ?? 0));
          },
        );
        req.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? e.message));
        req.end();
      });

    it('answers a client with a certificate; refuses one without, in one log line', async () => {
      expect(await get(certs.client)).toBe(200);
      const from = logs.length;
      expect(await get()).not.toBe(200);
      await new Promise((r) => setTimeout(r, 50));
      expect(logs.slice(from)).toEqual([expect.stringMatching(/refused on .*: no client certificate/)]);
      expect(await get(certs.client)).toBe(200);
    });

    it("reloadTls() swaps an HTTPS socket's certificate for new connections", async () => {
      const cert = join(dir, 'https.crt');
      const key = join(dir, 'https.key');
      copyFileSync(certs.server.cert, cert);
      copyFileSync(certs.server.key, key);
      const at = await server.listenHttp('127.0.0.1:0', { tls: { cert, key } });
      const issuer = () =>
        new Promise<string>((resolve, reject) => {
          const [host, port] = at.split(':');
          const s = connect({ host, port: Number(port), rejectUnauthorized: false }, () => {
            resolve(String(s.getPeerCertificate().issuer.CN));
            s.destroy();
          });
          s.on('error', reject);
        });
      expect(await issuer()).toBe('ca');
      copyFileSync(certs.server2.cert, cert);
      copyFileSync(certs.server2.key, key);
      server.reloadTls();
      expect(await issuer()).toBe('other-ca');
    });
  },
);
