// The same ini (routes; the PATH_INFO bridge) on the real uWSGI (--http-socket, the Python
// functions of fixtures/rpc_funcs.py) and on ours (`uwsgi-rpc serve`, the same functions in
// fixtures/rpc_funcs.mjs): the same raw HTTP requests to both, answers compared.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { type Answer, comparable, readAnswer } from './compare.js';
import { type Ours, buildOnce, serveOurs } from './our-cli.js';
import { rawExchange } from './raw-http.js';

const PY = join(__dirname, 'fixtures', 'rpc_funcs.py');
const MJS = join(__dirname, 'fixtures', 'rpc_funcs.mjs');

/** Routes both servers read from one ini; NODE is a uWSGI RPC node both call (func@node). */
const routes = (node: string) => `[uwsgi]
; uWSGI refuses to start on a bad rule; so do we
route = ^/hello$ rpc:hello
route = ^/echo/(.*)/(.*)$ call:echo $1 $2 \${REQUEST_METHOD} \${HTTP_X_FOO} $0 $9 \${NOPE}x $ $a end$
route = ^/empty$ rpc:empty
route = ^/fail$ rpc:fail
route = ^/nosuch$ rpc:nosuch
route = ^/next$ rpcnext:hello
route = ^/next$ rpcblob:echo a b
route = ^/raw$ rpcraw:raw
route = ^/rawbad$ rpcraw:rawbad
route = ^/rawnohead$ rpcraw:rawnohead
route = ^/rawlf$ rpcraw:rawlf
route = ^/rawempty$ rpcraw:empty
route = ^/brk$ break:403 Forbidden stuff
route = ^/brk0$ break:
route = ^/brk2$ break:20
route = ^/rt$ return:404
route = ^/ret/(.*)$ rpcret:ret $1
route = ^/ret/ rpcnext:echo N1
route-label = LB
route = ^/ret/ rpcnext:echo N2
route = ^/hdr$ addheader:X-Added: \${PATH_INFO}
route = ^/hdr$ rpc:hello
route = ^/hb$ addheader:X-Before: 1
route = ^/hb$ break:401
route = ^/var$ rpcvar:MYVAR echo v1 v2
route = ^/var$ rpc:echo \${MYVAR}
route = ^/rv$ rpcvar:V empty
route = ^/rv$ rpc:echo [\${V}]
route = ^/pi(.*)$ rpc:echo [\${PATH_INFO}] [\${REQUEST_URI}] [\${QUERY_STRING}] [$1]
route = ^/bin$ rpc:binary
route = ^/g1$ goto:L1
route = ^/g1$ rpc:echo skipped
route-label = L1
route = ^/g1$ rpc:echo at-L1
route = ^/g2$ goto:nolabel
route = ^/g2$ rpc:echo g2-after
route = ^/back(/.*)?$ rpcnext:echo A
route-label = BACK
route = ^/back/(.*)$ rpcret:ret $1
route = ^/back rpcnext:echo B
route = ^/nn$ rpcnext:echo A
route = ^/nn$ rpc:echo B
route = ^/log(.*)$ log:logged \${PATH_INFO} $1
route = ^/log(.*)$ rpc:echo after-log
route = ^/nul(.*)$ rpc:echo $1 \${PATH_INFO}
route = ^/(x)?y$ rpc:echo [$1] [$2]
route = ^/vars$ rpc:echo \${qs[a]} \${cookie[c]} \${HTTP_COOKIE}
route = ^/remote$ rpc:echo@${node} r1 \${REQUEST_METHOD}
route = ^/rembad$ rpc:echo@127.0.0.1:1 r1
route = ^/remote2$ rpcnext:echo@${node} x
route = ^/remote2$ rpcnext:empty@${node} x
route = ^/remote2$ rpcnext:echo@${node} y
route = ^/remoteraw$ rpcraw:raw@${node}
route = ^/cont$ continue:
route = ^/cont$ rpc:echo after
route-qs = ^a=(.*)$ rpc:echo qs $1
route-host = ^h\\.example(:.*)?$ rpc:echo host $1
route-user-agent = ^UA-(\\d+) rpc:echo ua $1
route-referer = (ref) rpc:echo referer $1
route-uri = ^/uri/.*\\?(z) rpc:echo uri $1
`;

/** PATH_INFO bridge for every request, after two routes. */
const bridge = `[uwsgi]
http-socket-modifier1 = 173
http-socket-modifier2 = 2
route = ^/routed$ rpc:echo routed
route = ^/first rpcnext:echo first
`;

const SAME: [string, [string, string][]][] = [
  ['/hello', []],
  ['/echo/x/y', [['X-Foo', 'foo']]],
  ['/empty', []],
  ['/fail', []],
  ['/nosuch', []],
  ['/next', []],
  ['/raw', []],
  ['/rawbad', []],
  ['/rawnohead', []],
  ['/rawlf', []],
  ['/rawempty', []],
  ['/brk', []],
  ['/brk0', []],
  ['/brk2', []],
  ['/rt', []],
  ['/ret/next', []],
  ['/ret/goto%20LB', []],
  ['/ret/break%20402%20Pay', []],
  ['/ret/break', []],
  ['/ret/break%20ab', []],
  ['/ret/goto%20NOPE', []],
  ['/hdr', []],
  ['/hb', []],
  ['/var', []],
  ['/rv', []],
  ['/pi/a%20b//c/../d?q=1&x=%41', []],
  ['/pi/%2e%2e/./x/', []],
  ['/bin', []],
  ['/g1', []],
  ['/g2', []],
  ['/back/next', []],
  ['/back/goto%20BACK', []],
  ['/nn', []],
  ['/log/a', []],
  ['/nul/a%00b', []],
  ['/y', []],
  ['/xy', []],
  ['/vars?a=1&b=2', [['Cookie', 'c=7; d=8']]],
  ['/remote', []],
  ['/rembad', []],
  ['/remote2', []],
  ['/remoteraw', []],
  ['/q?a=zz', []],
  ['/hh', [['Host', 'h.example:88']]],
  ['/ua', [['User-Agent', 'UA-123x']]],
  ['/rf', [['Referer', 'http://ref.x/']]],
  ['/uri/k?z=1', []],
];

const BRIDGE_SAME: [string, [string, string][]][] = [
  ['/hello', []],
  ['/echo/a/b//c/', []],
  ['/echo/a%2Fb/c?x=1', []],
  ['/binary', []],
  ['/hello', [['Accept', 'text/plain']]],
  ['/hello', [['Accept', '*']]],
  ['/hello', [['Accept', 'text/html, */*']]],
  ['/nope', []],
  ['/empty', []],
  ['/fail', []],
  ['/echo', []],
  ['/echo/%00x/y', []],
  ['/', []],
  ['//', []],
  ['/routed', []],
  ['/first', []],
];

function request(path: string, headers: [string, string][]): string {
  const lines = headers.some(([k]) => k.toLowerCase() === 'host') ? headers : [['Host', 'test.local'], ...headers];
  return `GET ${path} HTTP/1.0\r\n${lines.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`;
}

describe.runIf(requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3'))(
  'the same ini on uWSGI and on ours',
  () => {
    const dirs: string[] = [];
    const peers: Peer[] = [];
    let ours: Ours[] = [];
    const uw = { routes: '', bridge: '' };
    const our = { routes: '', bridge: '' };

    const dir = () => {
      const d = tempDir();
      dirs.push(d);
      return d;
    };

    beforeAll(async () => {
      buildOnce();
      const node = `127.0.0.1:${await freePort()}`;
      peers.push(await startUwsgi('python3,rpc', ['--socket', node, '--import', PY], [node], dir()));
      const ini = join(dir(), 'routes.ini');
      writeFileSync(ini, routes(node));
      const bridgeIni = join(dir(), 'bridge.ini');
      writeFileSync(bridgeIni, bridge);
      for (const k of ['routes', 'bridge'] as const) {
        uw[k] = `127.0.0.1:${await freePort()}`;
        our[k] = `127.0.0.1:${await freePort()}`;
        const file = k === 'routes' ? ini : bridgeIni;
        peers.push(
          await startUwsgi('python3,rpc', ['--ini', file, '--http-socket', uw[k], '--import', PY], [uw[k]], dir()),
        );
        ours.push(await serveOurs(['--ini', file, '--http-socket', our[k], '--import', MJS], 1));
      }
    }, 120_000);

    afterAll(async () => {
      // everything stopped and removed before the exit codes are checked: a failed check leaves nothing running
      const codes: (number | null)[] = [];
      try {
        for (const o of ours) codes.push(await o.stop());
        ours = [];
        for (const p of peers) await p.stop();
      } finally {
        for (const d of dirs) removeDir(d);
      }
      for (const code of codes) expect(code).toBe(0);
    });

    async function both(address: { u: string; o: string }, path: string, headers: [string, string][]) {
      const req = request(path, headers);
      const [u, o] = await Promise.all([rawExchange(address.u, req), rawExchange(address.o, req)]);
      return { u: readAnswer(u), o: readAnswer(o) };
    }

    const logs = () =>
      `${peers.map((p) => p.logText().slice(-1500)).join('\n')}\n--- ours ---\n${ours.map((o) => o.stderr()).join('\n')}`;

    it.each(SAME)('routes: %s %j', async (path, headers) => {
      const { u, o } = await both({ u: uw.routes, o: our.routes }, path, headers);
      expect(comparable(o, u), logs()).toEqual(comparable(u, u));
    });

    it.each(BRIDGE_SAME)('PATH_INFO bridge: %s %j', async (path, headers) => {
      const { u, o } = await both({ u: uw.bridge, o: our.bridge }, path, headers);
      expect(comparable(o, u), logs()).toEqual(comparable(u, u));
    });

    it('the log action writes the same line', async () => {
      expect(peers.map((p) => p.logText()).join('')).toMatch(/^logged \/log\/a \/a$/m);
      expect(ours[0].stderr()).toMatch(/logged \/log\/a \/a\n/);
    });

    // Differences we chose, recorded with uWSGI's answer.
    it('no app behind the routes: uWSGI answers 500, ours 404', async () => {
      for (const path of ['/nomatch', '/cont', '/ret/continue']) {
        const { u, o } = await both({ u: uw.routes, o: our.routes }, path, []);
        expect((u as Answer).status).toBe('500 Internal Server Error');
        expect((o as Answer).status).toBe('404 Not Found');
        expect((o as Answer).body).toBe('Not Found');
      }
    });

    it('a status node:http cannot write (rpcret "break abc"): uWSGI sends "abc Unknown", ours 502', async () => {
      const { u, o } = await both({ u: uw.routes, o: our.routes }, '/ret/break%20abc', []);
      expect((u as Answer).status).toBe('abc Unknown');
      expect((o as Answer).status).toBe('502 Bad Gateway');
    });
  },
);
