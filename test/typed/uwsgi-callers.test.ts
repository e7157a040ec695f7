// Real uWSGI callers (uwsgi.rpc in Python, uwsgi::rpc in Perl, under uWSGI 2.0) -> typed functions on our node:
// plain byte strings in, plain bytes out; an arg that does not fit gets no answer and one log line.
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { defineFunctions } from '../../src/typed/catalog.js';
import { t } from '../../src/typed/types.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { openRpcErrors } from './openrpc-meta.js';

const hasUwsgi = requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');

const ran: string[] = [];
const catalog = defineFunctions({
  add: {
    args: [t.int(), t.int()],
    result: t.int(),
    run: (a, b) => {
      ran.push('add');
      return a + b;
    },
  },
  flip: { args: [t.bool()], result: t.bool(), run: (b) => !b },
  stats: { args: [t.json(z.array(z.number()))], result: t.json(), run: (v) => ({ count: v.length }) },
});

describe.skipIf(!hasUwsgi)('real uWSGI callers -> typed functions on our node', () => {
  let server: RpcServer;
  let node: string;
  const logs: string[] = [];
  let dir: string;
  const peers: Peer[] = [];

  beforeAll(async () => {
    dir = tempDir();
    server = new RpcServer({ registry: new Registry().register(catalog), log: (l) => logs.push(l) });
    node = await server.listen('127.0.0.1:0');
  });
  afterAll(async () => {
    for (const p of peers) await p.stop();
    await server?.close();
    removeDir(dir);
  });

  const start = async (plugins: string, args: string[]) => {
    const http = `127.0.0.1:${await freePort()}`;
    peers.push(await startUwsgi(plugins, ['--http-socket', http, '--processes', '1', ...args], [http], dir));
    return http;
  };

  it('Python: add(b"2", b"3") is b"5"; b"x" gets no answer (the function did not run, one log line); str(bool)', async () => {
    const http = await start('python3,rpc', ['--wsgi-file', join(__dirname, 'fixtures', 'typed_caller.py')]);
    ran.length = 0;
    const before = logs.length;
    const out = await (await fetch(`http://${http}/?${node}`)).json();
    expect(out).toMatchObject({
      add: '5',
      add_x: null,
      flip_true: '0',
      flip_false: '1',
      stats: '{"count":3}',
    });
    expect(ran).toEqual(['add']);
    expect(logs.slice(before)).toEqual([
      expect.stringMatching(/: function "add" not run: invalid arg 0: "x" is not a decimal integer: connection closed/),
    ]);
    const doc = JSON.parse(out.discover);
    expect(openRpcErrors(doc)).toBeNull();
    expect(doc.methods.map((m: { name: string }) => m.name).sort()).toEqual(['add', 'flip', 'stats']);
  });

  it("Perl: its true (1) is read as true; its false ('') is dropped by uWSGI's client: no answer, so 1 : 0", async () => {
    const http = await start('psgi,rpc', ['--psgi', join(__dirname, 'fixtures', 'typed_caller.pl')]);
    const before = logs.length;
    expect(await (await fetch(`http://${http}/?${node}`)).text()).toBe('true=0\nfalse=none\nternary_false=1');
    expect(logs.slice(before)).toEqual([expect.stringMatching(/"flip" not run: invalid arg 0: takes 1 arg, got 0/)]);
  });
});
