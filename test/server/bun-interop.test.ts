// Interop smoke under Bun: our server as a user runs it there (`bun bin/uwsgi-rpc.js serve`,
// dist/ as built; Bun is the `bun` devDependency, node_modules/.bin/bun as bench/lib/runtimes.mjs
// finds it), answering real callers: our RpcClient (a connection per call and keepAlive) and
// uWSGI's own client, uwsgi.rpc() in a python3 app (fixtures/rpc_caller.py), over both engines.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { type Reply, rpcFromUwsgi as callFromUwsgi } from './rpc-caller.js';
import { ENGINES } from '../helpers/engines.js';
import { requirePeer, which } from '../helpers/peers.js';
import { type Peer, freePort, removeDir, startPeer, startUwsgi, tempDir, waitListening } from '../helpers/processes.js';

const ROOT = join(__dirname, '..', '..');
const BIN = join(ROOT, 'bin', 'uwsgi-rpc.js');
const BUN = join(ROOT, 'node_modules', '.bin', 'bun');
const FUNCTIONS = join(__dirname, 'fixtures', 'bun-functions.mjs');
const CALLER = join(__dirname, 'fixtures', 'rpc_caller.py');

/** `bun --version` ('1.4.5'), or why Bun cannot run here. */
function bunVersion(): { version: string } | { why: string } {
  if (!existsSync(BUN)) return { why: 'node_modules/.bin/bun missing: npm install (devDependency bun)' };
  try {
    return { version: execFileSync(BUN, ['--version'], { encoding: 'utf8', timeout: 10_000 }).trim() };
  } catch (e) {
    return { why: `bun --version failed: ${String((e as Error).message).split('\n')[0]}` };
  }
}
const bun = bunVersion();
const hasBun = requirePeer('bun', 'version' in bun, 'why' in bun ? bun.why : '');
const hasUwsgi = requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');

const bin = (s: string) => Buffer.from(s, 'latin1');
const pattern = (n: number) => Buffer.from(Uint8Array.from({ length: n }, (_, i) => i % 251));
const sha256 = (b: Uint8Array) => createHash('sha256').update(b).digest('hex');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** Every byte value, then NUL and 0xFF again: args no text decoding may touch. */
const BINARY = Buffer.concat([Buffer.from(Uint8Array.from({ length: 256 }, (_, i) => i)), bin('\x00\xff')]);
const UTF8 = Buffer.from('é€😀');
const PAIR = Buffer.concat([BINARY, bin('|'), UTF8]);
/** 65535: the plain form's largest; 65536 and 100 KB: the 64-bit form. */
const SIZES = [65_535, 65_536, 100_000];

/** What the uWSGI app (fixtures/rpc_caller.py) tells of its uwsgi.rpc() call. */

/** Every line a clean run of the Bun server prints (anything else, e.g. a runtime warning, fails). */
const EXPECTED_LINES = [
  /^uwsgi-rpc: 3 functions: runtime, pair, bytes$/,
  /^uwsgi-rpc: uwsgi socket on 127\.0\.0\.1:\d+$/,
  /^uwsgi-rpc: 127\.0\.0\.1:\d+: unknown function "nosuchfunction": connection closed without an answer$/,
  /^uwsgi-rpc: SIGINT: closing \(running calls may finish\)$/,
];

describe.skipIf(!hasBun)(`our server under Bun ${'version' in bun ? bun.version : ''}`, () => {
  let dir: string;
  let uwsgi: Peer | undefined;
  let http = '';

  beforeAll(async () => {
    dir = tempDir('uwsgi-rpc-bun-');
    if (!hasUwsgi) return;
    http = `127.0.0.1:${await freePort()}`;
    uwsgi = await startUwsgi(
      'python3',
      ['--http-socket', http, '--wsgi-file', CALLER, '--processes', '1'],
      [http],
      dir,
    );
  });
  afterAll(async () => {
    try {
      await uwsgi?.stop();
    } finally {
      removeDir(dir);
    }
  });

  /** Has the uWSGI app call uwsgi.rpc(node, fn, *args) and tell what it got. */
  const rpcFromUwsgi = (node: string, fn: string, args: Uint8Array[]): Promise<Reply> =>
    callFromUwsgi(http, node, fn, args, () => uwsgi?.logText() ?? '');

  describe.each(ENGINES)('%s engine', (engine) => {
    let server: Peer;
    let node: string;
    const clients: RpcClient[] = [];
    const client = (options: ConstructorParameters<typeof RpcClient>[0] = {}) => {
      const c = new RpcClient({ engine, ...options });
      clients.push(c);
      return c;
    };
    /** The Bun server's output so far, for failure messages. */
    const log = () => `\n--- bun serve log ---\n${server?.logText()}`;

    beforeAll(async () => {
      // Port 0: the server prints the port it got, so no other process can take it meanwhile.
      server = startPeer(
        BUN,
        [BIN, 'serve', '--socket', '127.0.0.1:0', '--engine', engine, '--import', FUNCTIONS],
        join(dir, `bun-${engine}.log`),
        'SIGINT',
      );
      for (const until = Date.now() + 15_000; ; await sleep(20)) {
        const found = /uwsgi-rpc: uwsgi socket on (\S+)\n/.exec(server.logText());
        if (found) {
          node = found[1];
          break;
        }
        if (server.child.exitCode !== null || Date.now() > until)
          throw new Error(`bun serve did not print its socket (exit ${server.child.exitCode})${log()}`);
      }
      await waitListening(node, server.child);
    });
    afterAll(async () => {
      try {
        await Promise.all(clients.splice(0).map((c) => c.close()));
      } finally {
        await server?.stop();
      }
    });

    it('the server is the Bun process started from node_modules/.bin/bun', async () => {
      expect(server.child.spawnfile).toBe(BUN);
      const who = JSON.parse(Buffer.from(await client().call(node, 'runtime')).toString());
      expect(who, log()).toMatchObject({ bun: (bun as { version: string }).version, pid: server.child.pid });
    });

    it('our client, a connection per call: two binary args, and 64 KB-100 KB results byte for byte', async () => {
      const c = client();
      expect(Buffer.from(await c.call(node, 'pair', [BINARY, UTF8])).equals(PAIR), log()).toBe(true);
      for (const n of SIZES) {
        const got = await c.call(node, 'bytes', [String(n)]);
        expect(got.length, log()).toBe(n);
        expect(Buffer.from(got).equals(pattern(n)), `bytes(${n})`).toBe(true);
      }
    });

    it('our client, keepAlive: the connection is kept, and pipelined calls come back in order', async () => {
      const c = client({ keepAlive: true, probation: 30, pipelining: 4 });
      expect(Buffer.from(await c.call(node, 'pair', [BINARY, UTF8])).equals(PAIR), log()).toBe(true);
      for (let i = 0; i < 40 && c.nodeBehaviour(node) === 'unknown'; i++) await sleep(50);
      expect(c.nodeBehaviour(node), log()).toBe('keeps');
      const calls: [string, Buffer[], Buffer][] = Array.from({ length: 12 }, (_, i) => {
        if (i % 3 === 0) {
          const n = SIZES[(i / 3) % SIZES.length];
          return ['bytes', [bin(String(n))], pattern(n)];
        }
        return ['pair', [bin(`a${i}`), bin(`b${i}`)], bin(`a${i}|b${i}`)];
      });
      const got = await Promise.all(calls.map(([fn, args]) => c.call(node, fn, args)));
      for (const [i, r] of got.entries())
        expect(Buffer.from(r).equals(calls[i][2]), `call ${i}: ${calls[i][0]}`).toBe(true);
    });

    describe.skipIf(!hasUwsgi)("uWSGI's client (uwsgi.rpc in python3)", () => {
      const expectResult = (r: Reply, want: Uint8Array) => {
        expect(r.error, log()).toBeUndefined();
        expect(r.none, log()).toBeUndefined();
        expect(r.len).toBe(want.length);
        expect(r.sha256).toBe(sha256(want));
        // the app sends the bytes themselves up to 70000, beyond only their length and sha256
        expect(r.hex).toBe(want.length <= 70_000 ? Buffer.from(want).toString('hex') : null);
      };

      it('two binary args', async () => {
        expectResult(await rpcFromUwsgi(node, 'pair', [BINARY, UTF8]), PAIR);
      });

      it('results of 65535 bytes (plain form), 65536 and 100 KB (64-bit form)', async () => {
        for (const n of SIZES) expectResult(await rpcFromUwsgi(node, 'bytes', [bin(String(n))]), pattern(n));
      });

      it('an unknown function: uwsgi.rpc() returns None, and the server logs why', async () => {
        expect(await rpcFromUwsgi(node, 'nosuchfunction', [bin('x')])).toEqual({ none: true });
        for (let i = 0; i < 40 && !server.logText().includes('"nosuchfunction"'); i++) await sleep(25);
        expect(server.logText()).toMatch(/: unknown function "nosuchfunction": connection closed without an answer\n/);
      });
    });

    it('SIGINT: the Bun server exits 0, having printed nothing unexpected', async () => {
      await Promise.all(clients.splice(0).map((c) => c.close()));
      await server.stop();
      expect({ code: server.child.exitCode, signal: server.child.signalCode }, log()).toEqual({
        code: 0,
        signal: null,
      });
      const lines = server.logText().split('\n').filter(Boolean);
      expect(
        lines.filter((l) => !EXPECTED_LINES.some((re) => re.test(l))),
        log(),
      ).toEqual([]);
    });
  });
});
