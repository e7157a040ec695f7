import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Codec, MAX_ARGS, MAX_BODY } from '../../src/codec/index.js';
import { sized } from '../../src/functions/sized.js';
import type { TextBytes } from '../../src/functions/text-bytes.js';
import { RpcError } from '../../src/rpc-error.js';
import { formatAddress, parseAddress } from '../../src/address/address.js';
import { Registry } from '../../src/functions/registry.js';
import { RpcServer } from '../../src/server/server.js';
import { ENGINES, codecFor } from '../helpers/engines.js';
import { removeDir, tempDir } from '../helpers/processes.js';
import { Wire, exchange, hex, keepOpen } from './wire.js';

const VECTORS = join(__dirname, '..', 'vectors');
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Polls `cond` until it holds (at most 5 s). */
async function until(cond: () => boolean): Promise<boolean> {
  for (const end = Date.now() + 5_000; !cond(); await sleep(5)) if (Date.now() > end) return false;
  return true;
}

/** A promise with its resolve, to finish a slow function when the test says so. */
function gate<T = string>() {
  let open!: (v: T) => void;
  const p = new Promise<T>((r) => {
    open = r;
  });
  return { p, open };
}

function join_(args: Uint8Array[], sep = '|'): Uint8Array {
  return Buffer.concat(args.flatMap((a, i) => (i === 0 ? [a] : [Buffer.from(sep), a])));
}

describe.each(ENGINES)('RpcServer, %s engine', (engine) => {
  let codec: Codec;
  let server: RpcServer;
  let registry: Registry;
  let logs: string[];
  let tcp: string;
  let unix: string;
  let dir: string;

  beforeAll(async () => {
    codec = await codecFor(engine);
    dir = tempDir();
  });
  afterAll(() => removeDir(dir));

  afterEach(async () => {
    await server?.close();
  });

  /** A fresh server and registry per test, so a test sees only its own functions and logs. */
  async function start(options: { closeTimeout?: number } = {}) {
    logs = [];
    registry = new Registry();
    server = new RpcServer({ registry, engine, log: (l) => logs.push(l), ...options });
    registry.register('hello', () => 'Hello World');
    registry.register('echo', (...args) => join_(args));
    registry.register('count', (...args) => String(args.length));
    tcp = await server.listen('127.0.0.1:0');
    unix = await server.listen(join(dir, `rpc-${Math.random().toString(36).slice(2)}.sock`));
    expect(server.engine).toBe(engine);
  }

  const req = (name: string | Uint8Array, args: (string | Uint8Array)[] = [], m2 = 0) =>
    codec.encodeRequest(name, args, m2);
  const result = (bytes: Uint8Array) => Buffer.from(codec.decodeResponse(bytes).result);

  describe('answers', () => {
    it('modifier2 0: a uwsgi packet (173, len, 0) + result, on TCP and unix sockets, byte-equal to uWSGI', async () => {
      await start();
      const golden = readFileSync(join(VECTORS, 'rpc-response.bin'));
      for (const address of [tcp, unix]) {
        // a request alone, as uWSGI's client sends it: the answer, then the server closes (as uWSGI)
        expect(hex(await exchange(address, req('hello')))).toBe(hex(golden));
        // with the keep-open mark (a keep-alive client's first request): the same answer, kept open for more
        const w = await Wire.open(address);
        w.write(keepOpen(req('hello')));
        expect(hex(await w.bytes(golden.length))).toBe(hex(golden));
        await sleep(20);
        expect(w.isClosed).toBe(false);
        w.write(req('hello'));
        expect(hex(await w.bytes(2 * golden.length))).toBe(hex(golden) + hex(golden));
        w.end();
      }
    });

    it('modifier2 1: the bare result, then the server closes (as uWSGI)', async () => {
      await start();
      const golden = readFileSync(join(VECTORS, 'rpc-response-raw.bin'));
      for (const address of [tcp, unix]) {
        expect(hex(await exchange(address, req('hello', ['foo'], 1)))).toBe(hex(golden));
      }
    });

    it("answers uWSGI's own request bytes like uWSGI does (golden vectors)", async () => {
      await start();
      const request = readFileSync(join(VECTORS, 'rpc-request.bin'));
      const w = await Wire.open(tcp);
      w.write(request);
      expect(result(await w.bytes(4 + 11)).toString()).toBe('Hello World');
      w.end();
      // echo(a, "", b): the empty item is dropped, as uWSGI's server does
      const echoed = readFileSync(join(VECTORS, 'rpc-response-echo-empty-arg.bin'));
      const w2 = await Wire.open(tcp);
      w2.write(readFileSync(join(VECTORS, 'rpc-request-empty-arg.bin')));
      expect(hex(await w2.bytes(echoed.length))).toBe(hex(echoed));
      w2.end();
    });

    it('binary args (NUL, 0xFF, UTF-8) arrive as bytes with a text view; binary results go back untouched', async () => {
      await start();
      const seen: string[] = [];
      registry.register('look', (a, b) => {
        seen.push(a.text, `${b}`, String(a instanceof Uint8Array));
        return join_([a, b]);
      });
      const a = new Uint8Array([0, 0xff, 1]);
      const w = await Wire.open(tcp);
      w.write(req('look', [a, 'é€']));
      const answer = result(await w.bytes(4 + 3 + 1 + 5));
      expect(hex(answer)).toBe(hex(Buffer.concat([Buffer.from(a), Buffer.from('|é€')])));
      expect(seen.slice(1)).toEqual(['é€', 'true']);
      w.end();
    });

    it('a string result is sent as UTF-8', async () => {
      await start();
      registry.register('utf', () => 'é€😀');
      const w = await Wire.open(tcp);
      w.write(req('utf'));
      const golden = Buffer.from('é€😀');
      expect(hex(result(await w.bytes(4 + golden.length)))).toBe(hex(golden));
      w.end();
    });

    it('string and byte results of every size around the small-answer copy limit come out whole', async () => {
      await start();
      // 'é' is 2 bytes: strings of n chars are 2n bytes
      registry.register('text', (n) => 'é'.repeat(Number(n.text)));
      registry.register('bin', (n) => Uint8Array.from({ length: Number(n.text) }, (_, i) => i & 255));
      const sizes = [1, 511, 512, 513, 1019, 1020, 1021, 1024, 1025, 4096];
      const w = await Wire.open(tcp);
      const want: Buffer[] = [];
      for (const n of sizes) {
        w.write(req('text', [String(n)]), req('bin', [String(n)]));
        want.push(Buffer.from('é'.repeat(n)), Buffer.from(Uint8Array.from({ length: n }, (_, i) => i & 255)));
      }
      const got = await w.bytes(want.reduce((s, b) => s + 4 + b.length, 0));
      const frames = codec.createDecoder({ response: true }).push(got);
      expect(frames.map((f) => hex(f.body))).toEqual(want.map(hex));
      w.end();
    });

    it('254 args are all passed; items past the 255th are ignored, as uWSGI does', async () => {
      await start();
      const args = Array.from({ length: MAX_ARGS }, (_, i) => `a${i}`);
      const w = await Wire.open(tcp);
      w.write(req('count', args));
      expect(result(await w.bytes(4 + 3)).toString()).toBe('254');
      w.end();
      // an over-long array built by hand (the codec refuses to encode one)
      const body = codec.encodeArray(['count', ...args, 'x', 'y']);
      const packet = Buffer.concat([Buffer.from([173, body.length & 255, body.length >> 8, 0]), body]);
      const w2 = await Wire.open(tcp);
      w2.write(packet);
      expect(result(await w2.bytes(4 + 3)).toString()).toBe('254');
      w2.end();
    });

    it('accepts a request body of exactly 65535 bytes', async () => {
      await start();
      registry.register('size', (...args) => String(args.reduce((n, a) => n + a.length, 0)));
      // name "size" (2+4) + one arg (2 + n) = 65535
      const arg = new Uint8Array(MAX_BODY - 6 - 2).fill(0x61);
      const packet = req('size', [arg]);
      expect(packet.length).toBe(4 + MAX_BODY);
      const w = await Wire.open(tcp);
      w.write(packet);
      expect(result(await w.bytes(4 + 5)).toString()).toBe(String(arg.length));
      w.end();
    });

    it('results of 65535 bytes use the plain form; 65536 bytes and 1 MB the 64-bit form (modifier2 5 + CONTENT_LENGTH)', async () => {
      await start();
      const pattern = (n: number) => Uint8Array.from({ length: n }, (_, i) => i % 251);
      registry.register('bytes', (n) => pattern(Number(n.text)));
      for (const n of [MAX_BODY, MAX_BODY + 1, 1 << 20]) {
        const w = await Wire.open(tcp);
        w.write(req('bytes', [String(n)]));
        const head = n <= MAX_BODY ? 4 : 4 + 2 + 14 + 2 + String(n).length;
        const got = await w.bytes(head + n);
        expect(got.length).toBe(head + n);
        expect(got[3]).toBe(n <= MAX_BODY ? 0 : 5);
        const decoded = codec.decodeResponse(got);
        expect(decoded.modifier2).toBe(n <= MAX_BODY ? 0 : 5);
        expect(Buffer.compare(Buffer.from(decoded.result), Buffer.from(pattern(n)))).toBe(0);
        w.end();
      }
      // byte-equal to uWSGI's own 64-bit answer of 70000 bytes
      const golden = readFileSync(join(VECTORS, 'rpc-response-64bit.bin'));
      const w = await Wire.open(tcp);
      w.write(req('bytes', ['70000']));
      expect(Buffer.compare(await w.bytes(golden.length), golden)).toBe(0);
      w.end();
    });

    it("accepts nginx's packet with a trailing empty item (uWSGI rejects it)", async () => {
      await start();
      const seen: string[][] = [];
      registry.register('hello', (...args) => {
        seen.push(args.map(String));
        return 'HTTP/1.0 200 OK\r\n\r\nhi';
      });
      const got = await exchange(tcp, readFileSync(join(VECTORS, 'nginx-rpc.bin')));
      expect(got.toString()).toBe('HTTP/1.0 200 OK\r\n\r\nhi');
      expect(seen).toEqual([['foo', 'bar']]);
    });

    it('a request split into single bytes is still one request', async () => {
      await start();
      const w = await Wire.open(tcp);
      for (const b of req('echo', ['ab', 'cd'])) {
        w.write(new Uint8Array([b]));
        await sleep(1);
      }
      expect(result(await w.bytes(4 + 5)).toString()).toBe('ab|cd');
      w.end();
    });
  });

  describe('names', () => {
    it('any 1..255 bytes, __proto__, constructor and toString included', async () => {
      await start();
      const names = ['__proto__', 'constructor', 'toString', 'hasOwnProperty', 'x'.repeat(255)];
      for (const n of names) registry.register(n, () => `called ${n.slice(0, 20)}`);
      const binary = new Uint8Array([0xff, 0, 0x80]);
      registry.register(binary, () => 'binary name');
      for (const n of names) {
        const w = await Wire.open(tcp);
        w.write(req(n));
        const want = `called ${n.slice(0, 20)}`;
        expect(result(await w.bytes(4 + want.length)).toString()).toBe(want);
        w.end();
      }
      const w = await Wire.open(tcp);
      w.write(req(binary));
      expect(result(await w.bytes(4 + 11)).toString()).toBe('binary name');
      w.end();
      // names that only exist on Object.prototype are unknown here
      expect(await exchange(tcp, req('valueOf'))).toHaveLength(0);
    });
  });

  describe('failures: the connection closes without a byte (as uWSGI), one log line, the server keeps serving', () => {
    const failing: [string, (...a: TextBytes[]) => unknown, RegExp][] = [
      [
        'throws',
        () => {
          throw new Error('boom');
        },
        /"f" failed: Error: boom/,
      ],
      [
        'rejects',
        async () => {
          await sleep(5);
          throw new TypeError('late boom');
        },
        /"f" failed: TypeError: late boom/,
      ],
      ['returns an empty string', () => '', /"f" returned an empty result/],
      ['returns empty bytes', () => new Uint8Array(0), /"f" returned an empty result/],
      ['resolves to an empty string', async () => '', /"f" returned an empty result/],
      ['returns a number', () => 42, /"f" returned number, not a string or Uint8Array/],
      ['returns null', () => null, /"f" returned null/],
      ['returns undefined', () => undefined, /"f" returned undefined/],
      ['returns an object', () => ({ a: 1 }), /"f" returned an object \(Object\)/],
      ['resolves to an array', async () => ['x'], /"f" returned an array/],
    ];
    it.each(failing)('a function that %s', async (_what, fn, logged) => {
      await start();
      registry.register('f', fn as never);
      for (const m2 of [0, 1]) {
        const before = logs.length;
        expect(await exchange(tcp, req('f', ['x'], m2))).toHaveLength(0);
        expect(logs.length).toBe(before + 1);
        expect(logs[before]).toMatch(logged);
        expect(logs[before]).toMatch(/^127\.0\.0\.1:\d+: .*: connection closed without an answer$/);
      }
      expect(result(await (await Wire.open(tcp)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
    });

    it('an unknown function (byte-equal to uWSGI: nothing)', async () => {
      await start();
      expect(await exchange(unix, req('nosuchfunction', ['x']))).toHaveLength(0);
      expect(logs).toEqual([
        expect.stringMatching(/peer: unknown function "nosuchfunction": connection closed without an answer$/),
      ]);
      expect(result(await (await Wire.open(unix)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
    });

    it('malformed requests: neither modifier1 173 nor 0, a bridge request that is not a vars dict, a broken array, no name', async () => {
      await start();
      const bad: [Uint8Array, RegExp][] = [
        [new Uint8Array([5, 0, 0, 0]), /modifier1 5 is neither an RPC request/],
        [req('hello', [], 2), /malformed HTTP request: the packet is not a vars dict/],
        [req('hello', [], 4), /malformed HTTP request: the packet is not a vars dict/],
        [new Uint8Array([173, 3, 0, 0, 5, 0, 0x61]), /malformed request: .*TRUNCATED|malformed request: an item/],
        [new Uint8Array([173, 4, 0, 0, 0, 0, 0, 0]), /no function name/],
        [new Uint8Array([173, 0, 0, 0]), /no function name/],
      ];
      for (const [packet, logged] of bad) {
        const before = logs.length;
        expect(await exchange(tcp, packet)).toHaveLength(0);
        expect(logs.slice(before)).toEqual([expect.stringMatching(logged)]);
      }
      expect(result(await (await Wire.open(tcp)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
    });
  });

  describe('pipelining (beyond uWSGI)', () => {
    it('answers in request order even when later calls finish first; calls run concurrently', async () => {
      await start();
      const g1 = gate();
      const g2 = gate();
      const started: string[] = [];
      registry.register('slow', async (x) => {
        started.push(`slow ${x}`);
        return `${await g1.p}:${x}`;
      });
      registry.register('slower', async (x) => {
        started.push(`slower ${x}`);
        return `${await g2.p}:${x}`;
      });
      const w = await Wire.open(tcp);
      w.write(Buffer.concat([req('slow', ['1']), req('echo', ['2']), req('slower', ['3']), req('hello')]));
      expect(await until(() => started.length === 2)).toBe(true);
      expect(started).toEqual(['slow 1', 'slower 3']); // both started before either finished
      // nothing may arrive: a short wait is the only way to see it
      await sleep(20);
      expect(w.data).toHaveLength(0); // the fast answers wait for the slow first one
      g2.open('B');
      await sleep(20);
      expect(w.data).toHaveLength(0);
      g1.open('A');
      const want = ['A:1', '2', 'B:3', 'Hello World'];
      const total = want.reduce((n, s) => n + 4 + s.length, 0);
      const got = await w.bytes(total);
      const d = codec.createDecoder({ response: true });
      expect(d.push(got).map((f) => Buffer.from(f.body).toString())).toEqual(want);
      await sleep(20);
      expect(w.isClosed).toBe(false);
      // and the connection still takes requests
      w.write(req('hello'));
      expect((await w.bytes(total + 15)).subarray(total + 4).toString()).toBe('Hello World');
      w.end();
    });

    it('many pipelined requests in one write', async () => {
      await start();
      const n = 500;
      const packets = Array.from({ length: n }, (_, i) => req('echo', [String(i)]));
      const w = await Wire.open(tcp);
      w.write(Buffer.concat(packets));
      const total = packets.reduce((s, _, i) => s + 4 + String(i).length, 0);
      const d = codec.createDecoder({ response: true });
      const frames = d.push(await w.bytes(total));
      expect(frames.map((f) => Buffer.from(f.body).toString())).toEqual(packets.map((_, i) => String(i)));
      w.end();
    });

    it('one read of small, big (> 1 KB, written uncopied), 64-bit, async and streamed answers: all in request order', async () => {
      await start();
      const fill = (n: number) => new Uint8Array(n).fill(0x61 + (n % 26));
      registry.register('size', (n) => fill(Number(String(n))));
      registry.register('later', async (a) => {
        await sleep(5);
        return a;
      });
      registry.register('streamed', (n) => sized(Number(String(n)), [fill(Number(String(n)))]));
      const calls: [string, string, Uint8Array][] = [
        ['echo', 's1', Buffer.from('s1')],
        ['size', '1025', fill(1025)],
        ['echo', 's2', Buffer.from('s2')],
        ['size', '70000', fill(70000)],
        ['later', 'a1', Buffer.from('a1')],
        ['echo', 's3', Buffer.from('s3')],
        ['streamed', '3000', fill(3000)],
        ['echo', 's4', Buffer.from('s4')],
        ['size', '10', fill(10)],
      ];
      const w = await Wire.open(tcp);
      // more than one request in the first read: the connection stays open (no mark needed)
      w.write(Buffer.concat(calls.map(([name, arg]) => req(name, [arg]))));
      const want = calls.map(([, , answer]) => hex(answer));
      const framed = calls.map(([, , a]) => hex(codec.encodeResponse(a)));
      const bytes = framed.reduce((n, f) => n + f.length / 2, 0);
      const got = codec.createDecoder({ response: true }).push(await w.bytes(bytes));
      expect(got.map((f) => hex(f.body))).toEqual(want);
      expect(hex(w.data)).toBe(framed.join(''));
      w.end();
    });

    it('a slow reader of many big answers gets them all, in order (the server waits for room instead of buffering them)', async () => {
      await start();
      registry.register('big', (i) => Buffer.alloc(60_000, Number(i.text) & 255));
      registry.register('later', async (i) => {
        await sleep(1);
        return Buffer.alloc(30_000, Number(i.text) & 255);
      });
      const n = 300;
      const w = await Wire.open(tcp);
      w.socket.pause();
      w.write(Buffer.concat(Array.from({ length: n }, (_, i) => req(i % 3 ? 'big' : 'later', [String(i)]))));
      await sleep(100);
      w.socket.resume();
      const sizes = Array.from({ length: n }, (_, i) => (i % 3 ? 60_000 : 30_000));
      const got = await w.bytes(sizes.reduce((s, x) => s + 4 + x, 0));
      const frames = codec.createDecoder({ response: true }).push(got);
      expect(frames.map((f) => [f.body.length, f.body[0]])).toEqual(sizes.map((x, i) => [x, i & 255]));
      w.end();
    });

    it('a failure mid-pipeline: earlier answers are written in order, then the close; later requests are not run', async () => {
      await start();
      const g = gate();
      const ran: string[] = [];
      registry.register('slow', async () => g.p);
      registry.register('mark', (x) => {
        ran.push(x.text);
        return x.text;
      });
      const w = await Wire.open(tcp);
      w.write(Buffer.concat([req('slow'), req('mark', ['a']), req('nope'), req('mark', ['b'])]));
      // 'nope' refused: after it, nothing more of this connection runs
      expect(await until(() => logs.length === 1)).toBe(true);
      expect(ran).toEqual(['a']);
      g.open('S');
      const got = await w.untilClosed();
      expect(
        codec
          .createDecoder({ response: true })
          .push(got)
          .map((f) => Buffer.from(f.body).toString()),
      ).toEqual(['S', 'a']);
      expect(ran).toEqual(['a']);
      expect(logs).toEqual([expect.stringMatching(/unknown function "nope"/)]);
    });

    it('an async failure mid-pipeline closes after the answers before it', async () => {
      await start();
      const g = gate();
      registry.register('slow', async () => g.p);
      let failed = false;
      registry.register('bad', async () => {
        failed = true;
        throw new Error('no');
      });
      const w = await Wire.open(tcp);
      w.write(Buffer.concat([req('echo', ['first']), req('slow'), req('bad'), req('echo', ['never'])]));
      // 'bad' has failed while 'slow' still runs
      expect(await until(() => failed)).toBe(true);
      g.open('S');
      const got = await w.untilClosed();
      expect(
        codec
          .createDecoder({ response: true })
          .push(got)
          .map((f) => Buffer.from(f.body).toString()),
      ).toEqual(['first', 'S']);
    });

    it('a raw (modifier2 1) request ends the pipeline after its answer', async () => {
      await start();
      const w = await Wire.open(tcp);
      w.write(Buffer.concat([req('echo', ['one']), req('echo', ['raw'], 1), req('echo', ['never'])]));
      const got = await w.untilClosed();
      expect(hex(got)).toBe(hex(Buffer.concat([codec.encodeResponse('one'), Buffer.from('raw')])));
    });

    it('args stay valid across awaits while more data arrives on the connection', async () => {
      await start();
      const g = gate();
      let waiting = false;
      registry.register('keep', async (a, b) => {
        waiting = true;
        await g.p;
        return join_([a, b]);
      });
      const w = await Wire.open(tcp);
      w.write(keepOpen(req('keep', ['first-arg', new Uint8Array([1, 2, 3])])));
      expect(await until(() => waiting)).toBe(true);
      for (let i = 0; i < 50; i++) w.write(req('echo', ['x'.repeat(1000)]));
      await sleep(20);
      g.open('');
      const want = Buffer.concat([Buffer.from('first-arg|'), Buffer.from([1, 2, 3])]);
      const got = await w.bytes(4 + want.length + 50 * 1004);
      expect(hex(codec.createDecoder({ response: true }).push(got)[0].body)).toBe(hex(want));
      w.end();
    });

    it('one slow function never delays other connections', async () => {
      await start();
      const g = gate();
      registry.register('slow', async () => g.p);
      const slow = await Wire.open(tcp);
      slow.write(req('slow'));
      for (let i = 0; i < 5; i++) {
        const w = await Wire.open(i % 2 ? unix : tcp);
        w.write(req('hello'));
        expect(result(await w.bytes(15)).toString()).toBe('Hello World');
        w.end();
      }
      expect(slow.data).toHaveLength(0);
      g.open('done');
      expect(result(await slow.bytes(8)).toString()).toBe('done');
      slow.end();
    });
  });

  describe('local call()', () => {
    it('calls a registered function without a socket', async () => {
      await start();
      expect(Buffer.from(await server.call('echo', 'a', new Uint8Array([0, 255]))).toString('hex')).toBe('617c00ff');
      expect(Buffer.from(await server.call('hello')).toString()).toBe('Hello World');
      await expect(server.call('nope')).rejects.toMatchObject({ code: 'NOT_FOUND' });
      registry.register('bad', () => {
        throw new Error('x');
      });
      await expect(server.call('bad')).rejects.toBeInstanceOf(RpcError);
    });
    it('register() on the server fills its registry', async () => {
      await start();
      server.register('added', (a) => `got ${a}`);
      expect(registry.has('added')).toBe(true);
      const w = await Wire.open(tcp);
      w.write(req('added', ['z']));
      expect(result(await w.bytes(4 + 5)).toString()).toBe('got z');
      w.end();
    });
  });

  describe('listening', () => {
    it('several sockets at once; addresses lists them with real ports; ":PORT" means 127.0.0.1', async () => {
      await start();
      const third = await server.listen(':0');
      expect(third).toMatch(/^127\.0\.0\.1:\d+$/);
      expect(third).not.toBe('127.0.0.1:0');
      expect(server.addresses).toEqual([tcp, unix, third]);
      for (const a of server.addresses) {
        expect(result(await (await Wire.open(a)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
      }
    });

    it('replaces a stale unix socket file, but never one a live server holds, nor a plain file', async () => {
      await start();
      // a socket file left behind by a process killed while listening
      const made = spawnSync(process.execPath, [
        '-e',
        `require('net').createServer().listen(${JSON.stringify(join(dir, 'left.sock'))}, () => process.kill(process.pid, 'SIGKILL'))`,
      ]);
      expect(made.signal).toBe('SIGKILL');
      expect(existsSync(join(dir, 'left.sock'))).toBe(true);
      const bound = await server.listen(join(dir, 'left.sock'));
      expect(result(await (await Wire.open(bound)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
      // a live server's socket: refused, and it keeps serving
      const live = join(dir, 'live.sock');
      const other = createServer((s) => {
        s.on('error', () => {});
        s.end('still mine');
      }); // our probe connects and resets
      await new Promise<void>((r) => other.listen(live, r));
      await expect(server.listen(live)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect((await exchange(live)).toString()).toBe('still mine');
      await new Promise<void>((r) => other.close(() => r()));
      // a plain file is not removed
      const plain = join(dir, 'plain.sock');
      writeFileSync(plain, 'keep me');
      await expect(server.listen(plain)).rejects.toMatchObject({ code: 'EADDRINUSE' });
      expect(readFileSync(plain, 'utf8')).toBe('keep me');
    });

    it('a Linux abstract socket (@name)', async () => {
      await start();
      const name = `@uwsgi-rpc-test-${process.pid}-${engine}`;
      expect(await server.listen(name)).toBe(name);
      expect(result(await (await Wire.open(name)).write(req('hello')).bytes(15)).toString()).toBe('Hello World');
    });

    it('reads addresses as uWSGI names sockets (and as the client reads nodes)', () => {
      expect(parseAddress('10.0.0.1:3031')).toEqual({ kind: 'tcp', host: '10.0.0.1', port: 3031 });
      expect(parseAddress(':3031')).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3031 });
      expect(parseAddress(3031)).toEqual({ kind: 'tcp', host: '127.0.0.1', port: 3031 });
      expect(parseAddress('[::1]:0')).toEqual({ kind: 'tcp', host: '::1', port: 0 });
      expect(formatAddress({ kind: 'tcp', host: '::1', port: 5 })).toBe('[::1]:5');
      expect(parseAddress('/run/x.sock')).toEqual({ kind: 'unix', path: '/run/x.sock' });
      expect(parseAddress('./x')).toEqual({ kind: 'unix', path: './x' });
      expect(parseAddress('rpc.sock')).toEqual({ kind: 'unix', path: 'rpc.sock' });
      expect(parseAddress('@abstract')).toEqual({ kind: 'unix', path: '\0abstract' });
      expect(formatAddress(parseAddress('@abstract'))).toBe('@abstract');
      for (const bad of ['', 'nonsense', 'host:', 'host:port', ':-1', ':65536'])
        expect(() => parseAddress(bad)).toThrow(RpcError);
    });

    it('rejects bad addresses', async () => {
      await start();
      await expect(server.listen('nonsense')).rejects.toMatchObject({ code: 'INVALID' });
      await expect(server.listen('127.0.0.1:99999')).rejects.toMatchObject({ code: 'INVALID' });
    });
  });

  describe('close()', () => {
    it('lets an in-flight call finish and answer, closes idle connections at once, refuses new ones', async () => {
      await start();
      const g = gate();
      let running = false;
      registry.register('slow', async () => {
        running = true;
        return g.p;
      });
      const busy = await Wire.open(tcp);
      busy.write(req('slow'));
      const idle = await Wire.open(unix);
      idle.write(req('hello'));
      await idle.bytes(15);
      expect(await until(() => running)).toBe(true);
      let closed = false;
      const closing = server.close().then(() => {
        closed = true;
      });
      await idle.untilClosed();
      expect(idle.data).toHaveLength(15);
      await expect(Wire.open(tcp)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
      await expect(Wire.open(unix)).rejects.toBeTruthy();
      await sleep(20);
      expect(closed).toBe(false);
      // a request sent while draining is not run
      busy.write(req('hello'));
      g.open('finished');
      const got = await busy.untilClosed();
      expect(hex(got)).toBe(hex(codec.encodeResponse('finished')));
      await closing;
      expect(closed).toBe(true);
      expect(existsSync(unix)).toBe(false);
    });

    it('drops what is still running after closeTimeout', async () => {
      await start({ closeTimeout: 100 });
      let running = false;
      registry.register('never', () => {
        running = true;
        return new Promise(() => {});
      });
      const w = await Wire.open(tcp);
      w.write(req('never'));
      expect(await until(() => running)).toBe(true);
      await server.close();
      expect(await w.untilClosed()).toHaveLength(0);
    });

    it('listen() after close() is refused; close() twice is fine', async () => {
      await start();
      await server.close();
      await server.close();
      await expect(server.listen(':0')).rejects.toBeInstanceOf(RpcError);
    });
  });
});

describe('RpcServer defaults', () => {
  it('serves the package-wide registry that register() fills', async () => {
    const { register, RpcServer: FromEntry, defaultRegistry } = await import('../../src/index.js');
    register('defaults-test', () => 'from the default registry');
    const server = new FromEntry({ log: () => {} });
    try {
      expect(server.registry).toBe(defaultRegistry);
      const address = await server.listen('127.0.0.1:0');
      const w = await Wire.open(address);
      w.write((await codecFor('ts')).encodeRequest('defaults-test'));
      expect((await w.bytes(4 + 25)).subarray(4).toString()).toBe('from the default registry');
      w.end();
    } finally {
      defaultRegistry.unregister('defaults-test');
      await server.close();
    }
  });
});
