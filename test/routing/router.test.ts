import { describe, expect, it } from 'vitest';
import { HttpDispatcher } from '../../src/dispatch/dispatcher.js';
import { Router, type RouteOption } from '../../src/routing/router.js';
import { RouteError } from '../../src/routing/rule.js';
import { httpVars, latin1, logLines, testTarget } from '../http/helpers.js';

/*
 * Expected bytes below are what uWSGI 2.0.21 (Debian, --http-socket, the same rules and the
 * same functions in Python) wrote for these requests; the differential suite
 * (test/http/differential.test.ts) checks the same against a running uWSGI.
 */

async function answer(options: RouteOption[], target: string, headers: [string, string][] = []) {
  const { lines, log } = logLines();
  const d = new HttpDispatcher({ router: Router.fromOptions(options), target: testTarget(), log });
  const res = await d.dispatch(httpVars(target, headers), 0);
  return { raw: latin1(res.toBytes('HTTP/1.1')), res, lines };
}

describe('rpc actions', () => {
  it('rpc answers 200 with Content-Length and stops', async () => {
    const { raw } = await answer(
      [
        ['route', '^/hello$ rpc:hello'],
        ['route', '^/hello$ rpc:echo never'],
      ],
      '/hello',
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\nHello World');
  });

  it('call is rpc; $N, ${VAR}, missing vars and stray dollars translate as in uWSGI', async () => {
    const { raw } = await answer(
      [['route', '^/echo/(.*)/(.*)$ call:echo $1 $2 ${REQUEST_METHOD} ${HTTP_X_FOO} $0 $9 ${NOPE}x $ $a end$']],
      '/echo/x/y',
      [['X-Foo', 'foo']],
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nContent-Length: 32\r\n\r\nx|y|GET|foo|/echo/x/y||x||$a|end');
  });

  it('a failing, unknown or empty function ends the request with nothing written', async () => {
    for (const fn of ['empty', 'fail', 'nope']) {
      const { raw, res, lines } = await answer(
        [
          ['route', `^/ rpc:${fn}`],
          ['route', '^/ rpc:hello'],
        ],
        '/x',
      );
      expect(raw).toBe('');
      expect(res.answered).toBe(false);
      expect(lines.length).toBe(1);
    }
  });

  it('rpcnext appends results under a 200 with Connection: close and goes on', async () => {
    const { raw } = await answer(
      [
        ['route', '^/next rpcnext:hello'],
        ['route', '^/next rpcblob:echo a b'],
      ],
      '/next',
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nHello Worlda|b');
  });

  it('rpc after rpcnext adds nothing (the head went out) and stops', async () => {
    const { raw } = await answer(
      [
        ['route', '^/nn rpcnext:echo A'],
        ['route', '^/nn rpc:echo B'],
        ['route', '^/nn rpcnext:echo C'],
      ],
      '/nn',
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nA');
  });

  it('rpcraw turns a raw HTTP response into the answer', async () => {
    const { raw } = await answer([['route', '^/raw rpcraw:raw']], '/raw');
    expect(raw).toBe('HTTP/1.1 201 Created\r\nX-A: b\r\nContent-Type: text/x\r\n\r\nbody!');
  });

  it('rpcraw keeps what it took before a bad header line (the head still goes out)', async () => {
    expect((await answer([['route', '^/ rpcraw:rawbad']], '/rb')).raw).toBe('HTTP/1.1 201 Created\r\nX-A: b\r\n\r\n');
    expect((await answer([['route', '^/ rpcraw:rawnohead']], '/rn')).raw).toBe('HTTP/1.1 202 Accepted\r\n\r\n');
    expect((await answer([['route', '^/ rpcraw:rawlf']], '/rl')).raw).toBe('');
    expect((await answer([['route', '^/ rpcraw:empty']], '/re')).raw).toBe('');
  });

  it('rpcvar stores the result (empty on failure) and goes on', async () => {
    expect(
      (
        await answer(
          [
            ['route', '^/var rpcvar:MYVAR echo v1 v2'],
            ['route', '^/var rpc:echo ${MYVAR}'],
          ],
          '/var',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nv1|v2');
    expect(
      (
        await answer(
          [
            ['route', '^/rv rpcvar:V empty'],
            ['route', '^/rv rpc:echo [${V}]'],
          ],
          '/rv',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\n[]');
  });

  it('rpcvar needs a var name', () => {
    expect(() => Router.fromOptions([['route', '^/ rpcvar:X']])).toThrow(RouteError);
  });
});

describe('rpcret', () => {
  const rules: RouteOption[] = [
    ['route', '^/ret/(.*) rpcret:ret $1'],
    ['route', '^/ret rpcnext:echo N1'],
    ['route-label', 'LB'],
    ['route', '^/ret rpcnext:echo N2'],
  ];

  it('next goes on, goto LABEL jumps forward', async () => {
    expect((await answer(rules, '/ret/next')).raw).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nN1N2');
    expect((await answer(rules, '/ret/goto%20LB')).raw).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nN2');
  });

  it('continue and anything unknown stop routing: the request goes on (404 here)', async () => {
    for (const r of ['continue', 'xyz']) {
      expect((await answer(rules, `/ret/${r}`)).raw).toBe(
        'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nNot Found',
      );
    }
  });

  it('break STATUS writes a head only; bare break, short statuses and unknown labels write nothing', async () => {
    expect((await answer(rules, '/ret/break%20402%20Pay')).raw).toBe(
      'HTTP/1.1 402 Pay\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n',
    );
    expect((await answer(rules, '/ret/break%20abc')).raw).toBe(
      'HTTP/1.1 abc Unknown\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n',
    );
    expect((await answer(rules, '/ret/break%201234')).raw).toBe(
      'HTTP/1.1 123 Unknown\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n',
    );
    for (const r of ['break', 'break%20', 'break%20ab', 'goto%20NOPE', 'goto%20']) {
      expect((await answer(rules, `/ret/${r}`)).raw).toBe('');
    }
  });

  it('goto backwards ends the request, with a log line', async () => {
    const { raw, lines } = await answer(
      [
        ['route', '^/back rpcnext:echo A'],
        ['route-label', 'BACK'],
        ['route', '^/back/(.*) rpcret:ret $1'],
        ['route', '^/back rpcnext:echo B'],
      ],
      '/back/goto%20BACK',
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nA');
    expect(lines.join('\n')).toMatch(/forward/);
  });
});

describe('flow actions', () => {
  it('goto jumps to a label; a missing label is a rule index (atoi); backwards ends the request', async () => {
    expect(
      (
        await answer(
          [
            ['route', '^/g1 goto:L1'],
            ['route', '^/g1 rpc:echo skipped'],
            ['route-label', 'L1'],
            ['route', '^/g1 rpc:echo at-L1'],
          ],
          '/g1',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nat-L1');
    expect(
      (
        await answer(
          [
            ['route', '^/g2 goto:nolabel'],
            ['route', '^/g2 rpc:echo g2-after'],
          ],
          '/g2',
        )
      ).raw,
    ).toBe('');
    expect(
      (
        await answer(
          [
            ['route', '^/n goto:2'],
            ['route', '^/n rpc:echo one'],
            ['route', '^/n rpc:echo two'],
          ],
          '/n',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 3\r\n\r\ntwo');
    expect(
      (
        await answer(
          [
            ['route', '^/gs$ goto:GS'],
            ['route-label', 'GS'],
            ['route', '^/gs$ rpc:echo gs'],
          ],
          '/gs',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\ngs');
  });

  it('continue and last stop routing', async () => {
    for (const a of ['continue:', 'last:']) {
      expect(
        (
          await answer(
            [
              ['route', `^/c ${a}`],
              ['route', '^/c rpc:echo after'],
            ],
            '/c',
          )
        ).raw,
      ).toMatch(/^HTTP\/1.1 404 Not Found/);
    }
  });

  it('break:STATUS sends a head with Connection: close and text/plain, after addheader lines', async () => {
    expect((await answer([['route', '^/brk break:403 Forbidden stuff']], '/brk')).raw).toBe(
      'HTTP/1.1 403 Forbidden stuff\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n',
    );
    expect(
      (
        await answer(
          [
            ['route', '^/hb addheader:X-Before: 1'],
            ['route', '^/hb break:401'],
          ],
          '/hb',
        )
      ).raw,
    ).toBe('HTTP/1.1 401 Unauthorized\r\nConnection: close\r\nContent-Type: text/plain\r\nX-Before: 1\r\n\r\n');
    expect((await answer([['route', '^/ru break:499']], '/ru')).raw).toBe(
      'HTTP/1.1 499 Unknown\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\n',
    );
    expect((await answer([['route', '^/rw break:20']], '/rw')).raw).toBe('');
  });

  it('return answers with the status phrase as body', async () => {
    expect((await answer([['route', '^/rt return:404']], '/rt')).raw).toBe(
      'HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\nContent-Length: 9\r\n\r\nNot Found',
    );
  });

  it('addheader lines join the head when it goes out; after it they are lost', async () => {
    expect(
      (
        await answer(
          [
            ['route', '^/hdr addheader:X-Added: ${PATH_INFO}'],
            ['route', '^/hdr rpc:hello'],
          ],
          '/hdr',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nContent-Length: 11\r\nX-Added: /hdr\r\n\r\nHello World');
    expect(
      (
        await answer(
          [
            ['route', '^/na rpcnext:echo A'],
            ['route', '^/na addheader:X-Late: 1'],
            ['route', '^/na rpcnext:echo C'],
          ],
          '/na',
        )
      ).raw,
    ).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nAC');
  });

  it('log writes a translated line and goes on; addvar sets a var', async () => {
    const { raw, lines } = await answer(
      [
        ['route', '^/log(.*) log:logged ${PATH_INFO} $1'],
        ['route', '^/log addvar:V=${REQUEST_METHOD}-x'],
        ['route', '^/log rpc:echo ${V}'],
      ],
      '/log/a',
    );
    expect(raw).toBe('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nGET-x');
    expect(lines).toEqual(['logged /log/a /a']);
  });
});

describe('subjects', () => {
  it('route-qs, route-host, route-user-agent, route-referer, route-uri, route-remote-addr', async () => {
    const rules: RouteOption[] = [
      ['route-qs', '^a=(.*)$ rpc:echo qs $1'],
      ['route-host', '^h\\.example(:.*)?$ rpc:echo host $0'],
      ['route-user-agent', '^UA-(\\d+) rpc:echo ua $1'],
      ['route-referer', '(ref) rpc:echo referer $1'],
      ['route-uri', '^/uri/.*\\?(z) rpc:echo uri $1'],
      ['route-remote-addr', '^127\\.0\\.0\\.1$ rpc:echo local ${REMOTE_ADDR}'],
    ];
    const body = async (t: string, h: [string, string][] = []) => (await answer(rules, t, h)).raw.split('\r\n\r\n')[1];
    expect(await body('/q?a=zz')).toBe('qs|zz');
    expect(await body('/hh', [['Host', 'h.example:88']])).toBe('host|h.example:88');
    expect(await body('/ua', [['User-Agent', 'UA-123x']])).toBe('ua|123');
    expect(await body('/rf', [['Referer', 'http://ref.x/']])).toBe('referer|ref');
    expect(await body('/uri/k?z=1')).toBe('uri|z');
    expect(await body('/other')).toBe('local|127.0.0.1');
  });

  it('a subject that never came matches nothing, not even .*', async () => {
    const { raw } = await answer([['route-referer', '.* rpc:hello']], '/x');
    expect(raw).toMatch(/^HTTP\/1.1 404/);
  });

  it('route-run runs always; ${qs[k]} and ${cookie[k]} read the query string and cookies', async () => {
    const { raw } = await answer([['route-run', 'rpc:echo ${qs[a]} ${cookie[c]} ${HTTP_COOKIE}']], '/var2?a=1&b=2', [
      ['Cookie', 'c=7; d=8'],
    ]);
    expect(raw).toBe('HTTP/1.1 200 OK\r\nContent-Length: 12\r\n\r\n1|7|c=7; d=8');
  });

  it('$N stops at a NUL byte (uWSGI works on C strings there); ${VAR} keeps it', async () => {
    const { raw } = await answer([['route', '^/nul(.*) rpc:echo $1 ${PATH_INFO}']], '/nul/a%00b');
    expect(raw).toBe('HTTP/1.1 200 OK\r\nContent-Length: 11\r\n\r\n/a|/nul/a\0b');
  });

  it('groups that do not take part give empty strings', async () => {
    expect((await answer([['route', '^/(x)?y rpc:echo [$1] [$2]']], '/y')).raw.split('\r\n\r\n')[1]).toBe('[]|[]');
    expect((await answer([['route', '^/(x)?y rpc:echo [$1] [$2]']], '/xy')).raw.split('\r\n\r\n')[1]).toBe('[x]|[]');
  });

  it('$0 in a rule without groups is the whole match (uWSGI 2.0.21 with PCRE2 crashes there)', async () => {
    expect((await answer([['route', '^/z+ rpc:echo $0']], '/zzz/a')).raw.split('\r\n\r\n')[1]).toBe('/zzz');
  });
});

describe('rule syntax', () => {
  it('refuses what uWSGI refuses to start with', () => {
    expect(() => Router.fromOptions([['route', '^/nospace']])).toThrow(/invalid route syntax/);
    expect(() => Router.fromOptions([['route', '^/ nocolon']])).toThrow(/invalid route syntax/);
    expect(() => Router.fromOptions([['route', '^/ nosuch:x']])).toThrow(/no routing action "nosuch"/);
    expect(() => Router.fromOptions([['route', '^/  rpc:x']])).toThrow(/no routing action " rpc"/);
    expect(() => Router.fromOptions([['route', '^/ rpc:']])).toThrow(/rpc function/);
    expect(() => Router.fromOptions([['route', '^/(a ++ rpc:x']])).toThrow(RouteError);
    expect(() => Router.fromOptions([['route-foo', '^/ rpc:x']])).toThrow(/not a routing option/);
    expect(() => Router.fromOptions([['route', `^/ rpc:f ${'a '.repeat(256)}`]])).toThrow(/maximum number of rpc args/);
  });

  it('collapses runs of spaces between rpc args', async () => {
    expect((await answer([['route', '^/ rpc:echo   a    b  ']], '/')).raw.split('\r\n\r\n')[1]).toBe('a|b');
  });

  it('matches UTF-8 rule text byte for byte against raw bytes', async () => {
    expect((await answer([['route', '^/é$ rpc:echo é']], '/%C3%A9')).raw.split('\r\n\r\n')[1]).toBe('\xc3\xa9');
  });
});
