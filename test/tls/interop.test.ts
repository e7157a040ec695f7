// TLS with the real peers: our client -> uWSGI (python3) on --ssl-socket, with and without client certificates;
// nginx `uwsgi_pass suwsgi://` -> our TLS socket with uwsgi_ssl_certificate (mutual TLS) and uwsgi_ssl_verify, and
// the refusals of issue 18 seen from nginx: each one log line here, a connection already open going on.
import { existsSync } from 'node:fs';
import { get } from 'node:http';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Registry } from '../../src/functions/registry.js';
import { RpcClient } from '../../src/index.js';
import { RpcServer } from '../../src/server/server.js';
import { type Certs, hasOpenssl, makeCerts } from '../helpers/certs.js';
import { type Nginx, startNginx } from '../helpers/nginx.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { rejection } from '../helpers/rejection.js';

const FIXTURES = join(import.meta.dirname, '../interop/fixtures');
const PLUGIN_DIR = '/usr/lib/uwsgi/plugins';
const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const SOCKET_TIMEOUT = 1000;

const hasUwsgi = requirePeer(
  'uwsgi with the python3 and rpc plugins, and openssl',
  which('uwsgi') !== null &&
    existsSync(join(PLUGIN_DIR, 'python3_plugin.so')) &&
    existsSync(join(PLUGIN_DIR, 'rpc_plugin.so')) &&
    hasOpenssl(),
  'apt-get install uwsgi-core uwsgi-plugin-python3 openssl',
);
const hasNginx = requirePeer(
  'nginx and openssl',
  which('nginx') !== null && hasOpenssl(),
  'apt-get install nginx-light openssl',
);

describe.skipIf(!hasUwsgi)('our client -> uWSGI (python3) on --ssl-socket', () => {
  let dir: string;
  let certs: Certs;
  let peer: Peer;
  /** no CA; `!CA` (a client certificate required); `CA` (uWSGI: checked only when one is given); plain --socket. */
  let serverOnly: string;
  let required: string;
  let optional: string;
  let plain: string;
  let ca: string;
  const pair = (p: { cert: string; key: string }) => ({ cert: certs.read(p.cert), key: certs.read(p.key) });

  beforeAll(async () => {
    dir = tempDir('uwsgi-rpc-tls-uwsgi-');
    certs = makeCerts(dir);
    ca = certs.read(certs.ca);
    const ports = await Promise.all([freePort(), freePort(), freePort(), freePort()]);
    [serverOnly, required, optional, plain] = ports.map((p) => `127.0.0.1:${p}`);
    const tls = `${certs.server.cert},${certs.server.key}`;
    peer = await startUwsgi(
      'python3,rpc',
      [
        '--ssl-socket',
        `${serverOnly},${tls}`,
        '--ssl-socket',
        `${required},${tls},,!${certs.ca}`,
        '--suwsgi-socket',
        `${optional},${tls},HIGH,${certs.ca}`,
        '--socket',
        plain,
        '--ssl-verbose',
        '--import',
        join(FIXTURES, 'rpc_functions.py'),
      ],
      [serverOnly, required, optional, plain],
      dir,
    );
  });
  afterAll(async () => {
    try {
      await peer?.stop();
    } finally {
      if (dir) removeDir(dir);
    }
  });

  it('calls over TLS, per call and with keepAlive (uWSGI closes: learned, every call still answered)', async () => {
    await using c = new RpcClient({ tls: { ca } });
    expect(text(await c.rpc(`suwsgi://${serverOnly}`, 'hello'))).toBe('Hello World');
    expect(text(await c.rpc(`suwsgi://${serverOnly}`, 'describe', 'a', 'bc'))).toBe('2:61,6263');
    expect((await c.rpc(`suwsgi://${serverOnly}`, 'big', '60000')).length).toBe(60000);
    await using kept = new RpcClient({ tls: { ca }, keepAlive: true });
    const results = await Promise.all(Array.from({ length: 10 }, () => kept.rpc(`suwsgi://${serverOnly}`, 'hello')));
    expect(results.map(text)).toEqual(Array(10).fill('Hello World'));
    expect(kept.nodeBehaviour(`suwsgi://${serverOnly}`)).toBe('closes');
  });

  it('!CA: calls with a client certificate; refusals come with the reason from uWSGI', async () => {
    const node = `suwsgi://${required}`;
    await using good = new RpcClient({ tls: { ca, ...pair(certs.client) } });
    expect(text(await good.rpc(node, 'hello'))).toBe('Hello World');
    const cases: [string, object, RegExp][] = [
      ['no certificate', {}, /certificate required|handshake failure/],
      ['another CA', pair(certs.stranger), /unknown ca/],
      ['expired', pair(certs.expired), /certificate expired/],
    ];
    for (const [what, tls, reason] of cases) {
      await using c = new RpcClient({ tls: { ca, ...tls } });
      const err = await rejection(c.rpc(node, 'hello'));
      expect(err.code, what).toBe('TLS');
      expect(err.message, what).toMatch(reason);
      // the node goes on for others
      expect(text(await good.rpc(node, 'hello'))).toBe('Hello World');
    }
  });

  it("CA without '!': uWSGI lets a client without a certificate in, and refuses a bad one", async () => {
    const node = `suwsgi://${optional}`;
    await using none = new RpcClient({ tls: { ca } });
    expect(text(await none.rpc(node, 'hello'))).toBe('Hello World');
    await using stranger = new RpcClient({ tls: { ca, ...pair(certs.stranger) } });
    expect((await rejection(stranger.rpc(node, 'hello'))).code).toBe('TLS');
  });

  it('a TLS client on the plain socket: TLS; a plain client on the TLS socket: no answer', async () => {
    await using c = new RpcClient({ tls: { ca } });
    const err = await rejection(c.rpc(`suwsgi://${plain}`, 'hello'));
    expect(err.code).toBe('TLS');
    await using p = new RpcClient();
    expect((await rejection(p.rpc(serverOnly, 'hello'))).code).toBe('NO_ANSWER');
  });
});

interface HttpReply {
  status: number;
  body: string;
}

function fetchVia(nginx: Nginx, path: string): Promise<HttpReply> {
  const [host, port] = nginx.address.split(':');
  return new Promise((resolve, reject) => {
    get({ host, port: Number(port), path, agent: false, headers: { connection: 'close' } }, (res) => {
      let body = '';
      res.on('data', (c: Buffer) => {
        body += c.toString();
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    }).on('error', reject);
  });
}

describe.skipIf(!hasNginx)('nginx uwsgi_pass suwsgi:// -> our TLS socket', () => {
  let dir: string;
  let certs: Certs;
  let server: RpcServer;
  let nginx: Nginx;
  let mutual: string;
  let plain: string;
  let witness: RpcClient;
  const logs: string[] = [];

  beforeAll(async () => {
    dir = tempDir('uwsgi-rpc-tls-nginx-');
    certs = makeCerts(dir);
    const registry = new Registry();
    registry.register('page', (...args) => {
      const body = `over TLS: ${args.join(',')}`;
      return `HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: ${body.length}\r\n\r\n${body}`;
    });
    server = new RpcServer({ registry, log: (l) => logs.push(l), socketTimeout: SOCKET_TIMEOUT });
    mutual = await server.listen('127.0.0.1:0', {
      tls: { cert: certs.server.cert, key: certs.server.key, ca: certs.ca },
    });
    plain = await server.listen('127.0.0.1:0');
    /** A location calling page(foo) on `pass`, with `tls` directives. */
    const at = (name: string, pass: string, tls: string) => `
      location = /${name} {
        uwsgi_modifier1 173;
        uwsgi_modifier2 1;
        uwsgi_param page foo;
        uwsgi_pass_request_headers off;
        uwsgi_pass_request_body off;
        uwsgi_pass ${pass};
        ${tls}
      }`;
    // Each location its own TLS session: nginx would otherwise resume /mutual's session (certificate and all)
    // for every location passing to the same address.
    const verify = (ca: string) =>
      `uwsgi_ssl_trusted_certificate ${ca}; uwsgi_ssl_verify on; uwsgi_ssl_name localhost; uwsgi_ssl_server_name on;
       uwsgi_ssl_session_reuse off;`;
    const cert = (p: { cert: string; key: string }) =>
      `uwsgi_ssl_certificate ${p.cert}; uwsgi_ssl_certificate_key ${p.key};`;
    nginx = await startNginx(
      [
        at('mutual', `suwsgi://${mutual}`, `${verify(certs.ca)} ${cert(certs.client)}`),
        at('no-cert', `suwsgi://${mutual}`, verify(certs.ca)),
        at('stranger', `suwsgi://${mutual}`, `${verify(certs.ca)} ${cert(certs.stranger)}`),
        at('expired', `suwsgi://${mutual}`, `${verify(certs.ca)} ${cert(certs.expired)}`),
        at('other-ca', `suwsgi://${mutual}`, `${verify(certs.otherCa)} ${cert(certs.client)}`),
        at('plain-to-tls', mutual, ''),
        at('tls-to-plain', `suwsgi://${plain}`, `${cert(certs.client)} uwsgi_ssl_session_reuse off;`),
      ].join('\n'),
      dir,
    );
    witness = new RpcClient({
      keepAlive: true,
      idleTimeout: 60_000,
      tls: { ca: certs.read(certs.ca), cert: certs.read(certs.client.cert), key: certs.read(certs.client.key) },
    });
    await witness.rpc(`suwsgi://${mutual}`, 'page', 'w');
  });
  afterAll(async () => {
    try {
      await witness?.close();
      await nginx?.stop();
      await server?.close();
    } finally {
      if (dir) removeDir(dir);
    }
  });

  it('mutual TLS: nginx shows its client certificate and verifies ours; the answer is relayed', async () => {
    const r = await fetchVia(nginx, '/mutual');
    expect(r.status, nginx.logText()).toBe(200);
    expect(r.body).toBe('over TLS: foo');
  });

  it.each([
    ['no-cert', /no client certificate/],
    ['stranger', /client certificate refused: UNABLE_TO_VERIFY_LEAF_SIGNATURE/],
    ['expired', /client certificate refused: CERT_HAS_EXPIRED/],
    // OpenSSL's reason for bytes that are no TLS record varies with its version (3.0: wrong version number)
    ['plain-to-tls', /refused on .*: TLS handshake failed: \S/],
    ['tls-to-plain', /a TLS handshake on a plain socket/],
  ])('%s: 502 from nginx, one log line here, an open connection goes on', async (path, line) => {
    const from = logs.length;
    expect((await fetchVia(nginx, `/${path}`)).status).toBe(502);
    await new Promise((r) => setTimeout(r, 100));
    expect(logs.slice(from)).toEqual([expect.stringMatching(line)]);
    expect(text(await witness.rpc(`suwsgi://${mutual}`, 'page', 'still'))).toContain('over TLS: still');
  });

  it('uwsgi_ssl_verify with another CA: nginx refuses our certificate (its log says so), 502; nothing to log here', async () => {
    const from = logs.length;
    const before = (nginx.logText().match(/upstream SSL certificate verify error/g) ?? []).length;
    expect((await fetchVia(nginx, '/other-ca')).status).toBe(502);
    await new Promise((r) => setTimeout(r, 100));
    expect((nginx.logText().match(/upstream SSL certificate verify error/g) ?? []).length).toBe(before + 1);
    // nginx checks the certificate after its handshake and just closes: a client that leaves, here
    expect(logs.slice(from)).toEqual([]);
    expect(text(await witness.rpc(`suwsgi://${mutual}`, 'page', 'still'))).toContain('over TLS: still');
  });
});
