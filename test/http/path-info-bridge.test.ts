import { describe, expect, it } from 'vitest';
import { HttpDispatcher } from '../../src/dispatch/dispatcher.js';
import { Router } from '../../src/routing/router.js';
import { httpVars, latin1, testTarget } from './helpers.js';

// Expected bytes: what uWSGI 2.0.21 answered with --http-socket-modifier1 173 --http-socket-modifier2 2.
async function get(target: string, headers: [string, string][] = [], routes: [string, string][] = []) {
  const d = new HttpDispatcher({ router: Router.fromOptions(routes), target: testTarget() });
  return latin1((await d.dispatch(httpVars(target, headers), 2)).toBytes('HTTP/1.1'));
}

const NOT_FOUND = 'HTTP/1.1 404 Not Found\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nNot Found';
const ERROR =
  'HTTP/1.1 500 Internal Server Error\r\nConnection: close\r\nContent-Type: text/plain\r\n\r\nInternal Server Error';

describe('PATH_INFO bridge (modifier2 2)', () => {
  it('calls /func/args and answers application/binary', async () => {
    expect(await get('/hello')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 11\r\nContent-Type: application/binary\r\n\r\nHello World',
    );
    expect(await get('/echo/a/b//c/')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/binary\r\n\r\na|b|c',
    );
    expect(await get('/echo/a%2Fb/c?x=1')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Type: application/binary\r\n\r\na|b|c',
    );
    expect(await get('/binary')).toBe(
      'HTTP/1.1 200 OK\r\nContent-Length: 3\r\nContent-Type: application/binary\r\n\r\n\xff\0\xfe',
    );
  });

  it('types the answer by Accept unless it is * or */*', async () => {
    expect(await get('/hello', [['Accept', 'text/plain']])).toMatch(/\r\nContent-Type: text\/plain\r\n/);
    expect(await get('/hello', [['Accept', '*']])).toMatch(/\r\nContent-Type: application\/binary\r\n/);
    expect(await get('/hello', [['Accept', '*/*']])).toMatch(/\r\nContent-Type: application\/binary\r\n/);
  });

  it('404 for unknown, failing or empty; the path ends at a NUL', async () => {
    for (const t of ['/nope', '/empty', '/fail', '/echo', '/echo/%00x/y']) expect(await get(t), t).toBe(NOT_FOUND);
  });

  it('500 for an empty function name', async () => {
    expect(await get('/')).toBe(ERROR);
    expect(await get('//')).toBe(ERROR);
  });

  it('runs routes first; the bridge answers what they let through', async () => {
    const routes: [string, string][] = [
      ['route', '^/r$ rpc:echo routed'],
      ['route', '^/n rpcnext:echo first'],
    ];
    expect(await get('/r', [], routes)).toBe('HTTP/1.1 200 OK\r\nContent-Length: 6\r\n\r\nrouted');
    expect(await get('/hello', [], routes)).toMatch(/Hello World$/);
    // the head went out with rpcnext: the bridge can add nothing
    expect(await get('/n', [], routes)).toBe('HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nfirst');
  });
});
