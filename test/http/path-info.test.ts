import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import { decodePathInfo } from '../../src/http/path-info.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { rawExchange, splitAnswer } from './raw-http.js';

const TARGETS = [
  '/',
  '/a',
  '/a/b',
  '/a/b/',
  '/a//b',
  '//a',
  '///',
  '/a/./b',
  '/a/../b',
  '/../a',
  '/a/b/..',
  '/a/b/.',
  '/a/b/../..',
  '/a/..',
  '/.',
  '/..',
  '/...',
  '/a/...b',
  '/a/.b',
  '/a/..b',
  '/a/%2e%2e/b',
  '/%2e/x',
  '/%41%42c',
  '/%4',
  '/%zz',
  '/a%',
  '/%%41',
  '/%41%',
  '/a#frag',
  '/a/#/b',
  '/a%2Fb',
  '/a/%2F/b',
  '/a%00b',
  '/%C3%A9',
  '/\xc3\xa9',
  '/a%20b',
  '/a+b',
  '*',
  'a/b',
  '.',
  '..',
  './a',
  '../a',
  'a/../b',
  '/a/./',
  '/./',
  '/a/%2e/',
  '/%2F',
  '/a//../b',
  '/a/.%2e/b',
  '/%ff%FE',
];

describe('decodePathInfo', () => {
  it('decodes, folds slashes and removes dot segments', () => {
    expect(decodePathInfo('/a%20b//c/../d')).toBe('/a b//d');
    expect(decodePathInfo('/a/./b')).toBe('/a/b');
    expect(decodePathInfo('/a/b/..')).toBe('/a/');
    expect(decodePathInfo('/%zz')).toBe('/\0');
    expect(decodePathInfo('/a%2Fb', true)).toBe('/a%2Fb');
    expect(decodePathInfo('/a#x')).toBe('/a');
  });
});

// uWSGI's HTTP parser against ours, for each target: a route answers ${PATH_INFO} in brackets.
describe.runIf(requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3'))(
  'decodePathInfo against uWSGI',
  () => {
    let dir: string;
    let uwsgi: Peer;
    let address: string;

    beforeAll(async () => {
      dir = tempDir();
      address = `127.0.0.1:${await freePort()}`;
      uwsgi = await startUwsgi(
        'python3,rpc',
        [
          '--http-socket',
          address,
          '--import',
          join(__dirname, 'fixtures', 'rpc_funcs.py'),
          '--route-run',
          'rpc:show ${PATH_INFO}',
        ],
        [address],
        dir,
      );
    });

    afterAll(async () => {
      await uwsgi?.stop();
      removeDir(dir);
    });

    it.each(TARGETS)('%j', async (target) => {
      const answer = splitAnswer(await rawExchange(address, `GET ${target} HTTP/1.0\r\n\r\n`));
      expect(answer, uwsgi.logText().slice(-2000)).not.toBeNull();
      const seen = answer!.body.toString('latin1');
      expect(`[${decodePathInfo(target)}]`).toBe(seen);
    });
  },
);
