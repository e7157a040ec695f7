// uWSGI's own RPC client (uwsgi.rpc() in a Python app under a real uWSGI) -> our server.
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_ARGS, MAX_BODY } from '../../src/codec/index.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { type Reply, rpcFromUwsgi as callFromUwsgi } from './rpc-caller.js';
import { ENGINES } from '../helpers/engines.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';

const hasUwsgi = requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');
const APP = join(__dirname, 'fixtures', 'rpc_caller.py');
const MB = 1 << 20;

const pattern = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 251));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const bin = (s: string) => Buffer.from(s, 'latin1');

describe.skipIf(!hasUwsgi)("uWSGI's client (uwsgi.rpc) -> our server", () => {
  let uwsgi: Peer;
  let dir: string;
  let http: string;

  beforeAll(async () => {
    dir = tempDir();
    http = `127.0.0.1:${await freePort()}`;
    uwsgi = await startUwsgi('python3', ['--http-socket', http, '--wsgi-file', APP, '--processes', '1'], [http], dir);
  });
  afterAll(async () => {
    await uwsgi?.stop();
    removeDir(dir);
  });

  /** Has the uWSGI app call uwsgi.rpc(node, fn, *args) and tell what it got. */
  const rpcFromUwsgi = (node: string, fn: string, args: Uint8Array[]): Promise<Reply> =>
    callFromUwsgi(http, node, fn, args, () => uwsgi.logText());

  describe.each(ENGINES)('%s engine', (engine) => {
    let server: RpcServer;
    let node: string;
    const logs: string[] = [];

    beforeAll(async () => {
      const registry = new Registry();
      registry.register('hello', () => 'Hello World');
      registry.register('echo', (...args) => Buffer.concat(args.flatMap((a, i) => (i ? [bin('|'), a] : [a]))));
      registry.register('count', (...args) => String(args.length));
      registry.register('bytes', (n) => pattern(Number(n.text)));
      registry.register('later', async (x) => {
        await new Promise((r) => setTimeout(r, 20));
        return `later ${x}`;
      });
      registry.register('empty', () => '');
      server = new RpcServer({ registry, engine, log: (l) => logs.push(l) });
      node = await server.listen('127.0.0.1:0');
    });
    afterAll(() => server?.close());

    const expectResult = (r: Reply, want: Uint8Array) => {
      expect(r.error).toBeUndefined();
      expect(r.none).toBeUndefined();
      expect(r.len).toBe(want.length);
      expect(r.sha256).toBe(sha256(want));
      if (want.length <= 70000) expect(r.hex).toBe(Buffer.from(want).toString('hex'));
    };

    it('no args', async () => {
      expectResult(await rpcFromUwsgi(node, 'hello', []), bin('Hello World'));
    });

    it('several args', async () => {
      expectResult(await rpcFromUwsgi(node, 'echo', [bin('a'), bin('bb'), bin('ccc')]), bin('a|bb|ccc'));
    });

    it('binary args (NUL, 0xFF) and a binary result', async () => {
      const args = [bin('\x00'), bin('\xff\x00\xfe'), Buffer.from('é€')];
      expectResult(
        await rpcFromUwsgi(node, 'echo', args),
        Buffer.concat([bin('\x00|\xff\x00\xfe|'), Buffer.from('é€')]),
      );
    });

    it('254 args', async () => {
      const args = Array.from({ length: MAX_ARGS }, (_, i) => bin(`${i}`));
      expectResult(await rpcFromUwsgi(node, 'count', args), bin('254'));
      expectResult(await rpcFromUwsgi(node, 'echo', args), bin(args.map(String).join('|')));
    });

    it('a request body of exactly 65535 bytes', async () => {
      // body: "echo" (2 + 4) + one arg (2 + n) = 65535
      const arg = pattern(MAX_BODY - 8);
      expectResult(await rpcFromUwsgi(node, 'echo', [arg]), arg);
    });

    it('results of 65535 bytes (plain form), 65536 bytes and 1 MB (64-bit form)', async () => {
      for (const n of [MAX_BODY, MAX_BODY + 1, MB])
        expectResult(await rpcFromUwsgi(node, 'bytes', [bin(String(n))]), pattern(n));
    });

    it('an async function', async () => {
      expectResult(await rpcFromUwsgi(node, 'later', [bin('x')]), bin('later x'));
    });

    it('an unknown function: uwsgi.rpc() returns None, and we log why', async () => {
      const before = logs.length;
      expect(await rpcFromUwsgi(node, 'nosuchfunction', [bin('x')])).toEqual({ none: true });
      expect(logs.slice(before)).toEqual([expect.stringMatching(/unknown function "nosuchfunction"/)]);
    });

    it('an empty result: uwsgi.rpc() returns None', async () => {
      expect(await rpcFromUwsgi(node, 'empty', [])).toEqual({ none: true });
    });
  });
});
