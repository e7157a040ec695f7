// The client's wire behaviour against tiny node:net servers, for what no real peer does on
// demand (malformed answers, hangs, 1-byte writes...). Real uWSGI: uwsgi-interop.test.ts.
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { wasNeverSent } from '../../src/client/errors.js';
import type { Codec } from '../../src/codec/index.js';
import { codecFor, ENGINES } from '../helpers/engines.js';
import { freePort, removeDir, tempDir } from '../helpers/processes.js';
import { answer, sleep, tinyServersPerTest } from './helpers/tiny-server.js';
import { rejection } from '../helpers/rejection.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);
const bytes = (...xs: number[]): Uint8Array => Uint8Array.from(xs);

/** Writes `data` one byte per write, each flushed on its own. */
async function dribble(socket: import('node:net').Socket, data: Uint8Array): Promise<void> {
  socket.setNoDelay(true);
  for (let i = 0; i < data.length; i++) {
    if (socket.destroyed) return;
    socket.write(data.subarray(i, i + 1));
    await new Promise((r) => setImmediate(r));
  }
}

for (const engine of ENGINES) {
  describe(`client wire behaviour (${engine} engine)`, () => {
    let codec: Codec;
    let client: RpcClient;
    const serve = tinyServersPerTest();

    beforeAll(async () => {
      codec = await codecFor(engine);
      client = new RpcClient({ codec, timeout: 5_000 });
    });

    it('sends exactly what uWSGI expects and reads a plain answer', async () => {
      const s = await serve((req, socket) => {
        socket.write(answer(`got ${req.args.length}`));
      });
      const args = ['a', bytes(0, 0xff)];
      const out = await client.call(s.node, 'fn', args);
      expect(text(out)).toBe('got 2');
      expect(out.constructor).toBe(Uint8Array);
      expect(out.byteOffset === 0 && out.byteLength === out.buffer.byteLength).toBe(true);
      expect(s.requests).toHaveLength(1);
      expect(s.requests[0].packet).toEqual(codec.encodeRequest('fn', args, 0));
      expect([...s.requests[0].packet.subarray(0, 4)]).toEqual([173, 11, 0, 0]);
    });

    it('drops trailing empty args, keeps empty args in the middle', async () => {
      const s = await serve((_req, socket) => {
        socket.write(answer('ok'));
      });
      await client.call(s.node, 'f', ['a', '', 'b', '', new Uint8Array(0)]);
      const p = s.requests[0].packet;
      expect(p).toEqual(codec.encodeRequest('f', ['a', '', 'b'], 0));
      expect([...p.subarray(p.length - 3)]).toEqual([1, 0, 0x62]);
      await client.call(s.node, 'f', ['']);
      expect(s.requests[1].packet).toEqual(codec.encodeRequest('f', [], 0));
    });

    it('does not wait for EOF: resolves on the answer, then closes its side', async () => {
      let closed!: Promise<void>;
      const s = await serve((_req, socket) => {
        closed = new Promise((r) => socket.once('close', () => r()));
        socket.write(answer('now')); // and keeps the connection open
      });
      expect(text(await client.call(s.node, 'f', []))).toBe('now');
      await closed;
    });

    it('a plain and a 64-bit-form answer written one byte at a time', async () => {
      const big = new Uint8Array(70_000).map((_, i) => (i * 13) & 255);
      const small = new Uint8Array(300).map((_, i) => 255 - (i & 255));
      const s = await serve(async (req, socket) => {
        if (req.name === 'plain') await dribble(socket, answer('one byte at a time'));
        else if (req.name === 'forced') await dribble(socket, codec.encodeResponse(small, 5));
        else {
          const a = answer(big);
          await dribble(socket, a.subarray(0, 64));
          socket.write(a.subarray(64));
        }
      });
      expect(text(await client.call(s.node, 'plain', []))).toBe('one byte at a time');
      expect(await client.call(s.node, 'forced', [])).toEqual(small);
      expect(await client.call(s.node, 'big', [])).toEqual(big);
    });

    it('malformed answers: MALFORMED', async () => {
      const dict = (pairs: [string, string][]): Uint8Array => {
        const d = codec.encodeVars(pairs);
        return Uint8Array.from([173, d.length & 255, d.length >> 8, 5, ...d]);
      };
      const cases: Record<string, Uint8Array> = {
        modifier1: bytes(0, 2, 0, 0, 0x6f, 0x6b),
        modifier2: bytes(173, 2, 0, 7, 0x6f, 0x6b),
        'dict without CONTENT_LENGTH': dict([['X', 'y']]),
        'dict cut short': bytes(173, 3, 0, 5, 9, 0, 0x41),
        'CONTENT_LENGTH not a number': dict([['CONTENT_LENGTH', '12a']]),
        'bytes after the answer': Uint8Array.from([...answer('ok'), 173]),
        'two answers': Uint8Array.from([...answer('ok'), ...answer('again')]),
      };
      const s = await serve((req, socket) => {
        socket.write(cases[req.name]);
      });
      for (const name of Object.keys(cases)) {
        const err = await rejection(client.call(s.node, name, []));
        expect(err.code, name).toBe('MALFORMED');
      }
      expect(s.requests).toHaveLength(Object.keys(cases).length);
    });

    it('an empty answer is NO_ANSWER (plain form, and 64-bit form with CONTENT_LENGTH 0)', async () => {
      const s = await serve((req, socket) => {
        socket.write(req.name === 'plain' ? bytes(173, 0, 0, 0) : codec.encodeResponse('', 5));
      });
      expect((await rejection(client.call(s.node, 'plain', []))).code).toBe('NO_ANSWER');
      expect((await rejection(client.call(s.node, 'dict', []))).code).toBe('NO_ANSWER');
    });

    it('closed without an answer, closed mid-answer, reset: NO_ANSWER', async () => {
      const s = await serve((req, socket) => {
        if (req.name === 'close') socket.end();
        else if (req.name === 'half') socket.end(answer('cut in the middle').subarray(0, 9));
        else if (req.name === 'half64') socket.end(answer(new Uint8Array(70_000)).subarray(0, 5000));
        else socket.resetAndDestroy();
      });
      for (const name of ['close', 'half', 'half64', 'reset']) {
        const err = await rejection(client.call(s.node, name, []));
        expect(err.code, name).toBe('NO_ANSWER');
        expect(wasNeverSent(err), name).toBe(false);
      }
    });

    it('a server that closes as soon as it accepts: NO_ANSWER', async () => {
      const s = await serve(() => {});
      const raw = (await import('node:net')).createServer((sock) => sock.destroy());
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', () => r()));
      try {
        const node = `127.0.0.1:${(raw.address() as { port: number }).port}`;
        const err = await rejection(client.call(node, 'f', ['x']));
        expect(err.code).toBe('NO_ANSWER');
      } finally {
        await new Promise((r) => raw.close(r));
      }
      expect(s.connections).toBe(0);
    });

    it('half an answer then silence: TIMEOUT', async () => {
      const s = await serve((_req, socket) => {
        socket.write(answer('never finished').subarray(0, 6));
      });
      const err = await rejection(client.call(s.node, 'f', [], { timeout: 200 }));
      expect(err.code).toBe('TIMEOUT');
      expect(wasNeverSent(err)).toBe(false);
    });

    it('no answer at all: TIMEOUT from the client default, or the call option', async () => {
      const s = await serve(() => {});
      const quick = new RpcClient({ codec, timeout: 150 });
      expect((await rejection(quick.call(s.node, 'f', []))).code).toBe('TIMEOUT');
      expect((await rejection(client.call(s.node, 'f', [], { timeout: 150 }))).code).toBe('TIMEOUT');
      expect(s.requests).toHaveLength(2);
    });

    it('abort: before the call (nothing connects) and while it waits (ABORTED)', async () => {
      const s = await serve(() => {});
      const before = new AbortController();
      before.abort();
      expect((await rejection(client.call(s.node, 'f', [], { signal: before.signal }))).code).toBe('ABORTED');
      await sleep(50);
      expect(s.connections).toBe(0);

      const during = new AbortController();
      const p = client.call(s.node, 'f', [], { signal: during.signal });
      while (s.requests.length === 0) await sleep(5);
      during.abort(new Error('stop'));
      const err = await rejection(p);
      expect(err.code).toBe('ABORTED');
      expect(wasNeverSent(err)).toBe(false);
    });

    it('refused: a port nothing listens on, a missing unix socket (never sent)', async () => {
      const port = await freePort();
      const err = await rejection(client.call(`127.0.0.1:${port}`, 'f', []));
      expect(err.code).toBe('REFUSED');
      expect(err.node).toBe(`127.0.0.1:${port}`);
      expect(wasNeverSent(err)).toBe(true);
      const dir = tempDir();
      try {
        const e2 = await rejection(client.call(join(dir, 'missing.sock'), 'f', []));
        expect(e2.code).toBe('REFUSED');
      } finally {
        removeDir(dir);
      }
    });

    it('over a unix socket', async () => {
      const dir = tempDir();
      try {
        const s = await serve(
          (req, socket) => {
            socket.write(answer(`unix ${req.name}`));
          },
          { path: join(dir, 'rpc.sock') },
        );
        expect(text(await client.call(s.node, 'hi', []))).toBe('unix hi');
      } finally {
        removeDir(dir);
      }
    });

    it.skipIf(process.platform !== 'linux')('over a Linux abstract socket (@name, as uWSGI names them)', async () => {
      const name = `uwsgi-rpc-test-${process.pid}-${engine}`;
      await serve(
        (req, socket) => {
          socket.write(answer(`abstract ${req.name}`));
        },
        { path: `\0${name}` },
      );
      expect(text(await client.call(`@${name}`, 'hi', []))).toBe('abstract hi');
    });

    it('TOO_LARGE and INVALID requests are refused before connecting', async () => {
      const s = await serve((_req, socket) => {
        socket.write(answer('x'));
      });
      const tooLarge: [string, NonNullable<Parameters<RpcClient['call']>[2]>][] = [
        ['', []],
        ['n'.repeat(256), []],
        ['f', Array.from({ length: 255 }, () => 'a')],
        ['f', [new Uint8Array(65535 - 3 - 2 + 1)]],
      ];
      for (const [name, args] of tooLarge) {
        const err = await rejection(client.call(s.node, name, args));
        expect(err.code, `${name.length} ${args.length}`).toBe('TOO_LARGE');
      }
      // one sentence with the size the call would take and the limit
      expect((await rejection(client.call(s.node, 'f', ['a'.repeat(70000)]))).message).toBe(
        'cannot send the call: the request body would be 70005 bytes; the uwsgi limit is 65535',
      );
      expect(text(await client.call(s.node, 'f', [new Uint8Array(65535 - 3 - 2)]))).toBe('x');
      expect(
        text(
          await client.call(
            s.node,
            'f',
            Array.from({ length: 254 }, () => 'a'),
          ),
        ),
      ).toBe('x');
      for (const bad of [
        () => client.call(s.node, 'f', [3 as unknown as string]),
        () => client.call(s.node, 7 as unknown as string, []),
        () => client.call('nohost', 'f', []),
      ]) {
        expect((await rejection(bad())).code).toBe('INVALID');
      }
      expect((await rejection(client.call(s.node, 'f', [], { timeout: -1 }))).code).toBe('INVALID');
      expect(s.connections).toBe(2);
    });

    it('maxResponse bounds the answer before it is buffered', async () => {
      const s = await serve((req, socket) => {
        socket.write(req.name === 'plain' ? answer(new Uint8Array(2000)) : answer(new Uint8Array(70_000)));
      });
      const small = new RpcClient({ codec, maxResponse: 1000 });
      expect((await rejection(small.call(s.node, 'plain', []))).code).toBe('MALFORMED');
      expect((await rejection(small.call(s.node, 'big', []))).code).toBe('MALFORMED');
      expect((await rejection(small.call(s.node, 'plain', [], { raw: true }))).code).toBe('MALFORMED');
      expect((await client.call(s.node, 'big', [])).length).toBe(70_000);
    });

    it('raw mode: modifier2 1, the answer is every byte up to EOF', async () => {
      const s = await serve(async (req, socket) => {
        if (req.name === 'empty') return void socket.end();
        if (req.name === 'one') return void socket.end('single chunk');
        if (req.name === 'reset') {
          socket.write('partial');
          await sleep(20);
          return void socket.resetAndDestroy();
        }
        socket.write('HTTP/1.0 200 OK\r\n');
        await sleep(10);
        socket.write('\r\n');
        socket.end(bytes(0, 0xff));
      });
      const out = await client.call(s.node, 'page', ['a'], { raw: true });
      expect(Buffer.from(out).toString('latin1')).toBe('HTTP/1.0 200 OK\r\n\r\n\x00\xff');
      expect(out.constructor).toBe(Uint8Array);
      expect(out.byteOffset === 0 && out.byteLength === out.buffer.byteLength).toBe(true);
      const single = await client.call(s.node, 'one', [], { raw: true });
      expect(text(single)).toBe('single chunk');
      expect(single.constructor).toBe(Uint8Array);
      expect(s.requests[0].modifier2).toBe(1);
      expect(s.requests[0].packet).toEqual(codec.encodeRequest('page', ['a'], 1));
      expect((await rejection(client.call(s.node, 'empty', [], { raw: true }))).code).toBe('NO_ANSWER');
      expect((await rejection(client.call(s.node, 'reset', [], { raw: true }))).code).toBe('NO_ANSWER');
    });

    it('rpc() and rpcText() conveniences', async () => {
      const s = await serve((req, socket) => {
        socket.write(answer(req.args.map((a) => text(a)).join('+')));
      });
      expect(await client.rpc(s.node, 'f', 'a', 'b')).toEqual(new TextEncoder().encode('a+b'));
      expect(await client.rpcText(s.node, 'f', 'x', 'é')).toBe('x+é');
    });
  });
}
