// closeAfterAnswer: who closes a connection after its answer. 'lone' (default): a connection
// whose first request comes alone and unmarked is ended with its answer, as uWSGI ends every
// connection; the keep-open mark (a leading empty item) or more requests in the first chunk keep
// it open. 'never': connections stay open until the peer closes them.
import { afterEach, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { createCodecSync } from '../../src/codec/index.js';
import { hasKeepOpenMark, withKeepOpenMark } from '../../src/codec/keep-open.js';
import { MAX_BODY } from '../../src/codec/constants.js';
import type { RpcServer } from '../../src/server/server.js';
import { ENGINES } from '../helpers/engines.js';
import { type Started, startServer } from './start.js';
import { Wire, answers, exchange, keepOpen, req } from './wire.js';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const codec = createCodecSync();

describe('the keep-open mark', () => {
  it('is a leading empty item: the header counts its 2 bytes, the items follow unchanged', () => {
    const plain = codec.encodeRequest('echo', ['a', 'bc']);
    const marked = withKeepOpenMark(plain);
    expect(marked).not.toBeNull();
    const m = marked as Uint8Array;
    expect(Buffer.from(m.subarray(0, 6)).toString('hex')).toBe(
      Buffer.from([173, plain.length - 4 + 2, 0, 0, 0, 0]).toString('hex'),
    );
    expect(Buffer.from(m.subarray(6)).equals(Buffer.from(plain.subarray(4)))).toBe(true);
    expect(hasKeepOpenMark(m.subarray(4))).toBe(true);
    expect(hasKeepOpenMark(plain.subarray(4))).toBe(false);
    // both engines' decoders skip it: the request is the same call
    expect(codec.decodeRequest(m)).toEqual(codec.decodeRequest(plain));
  });

  it('is left off when the body has no room for 2 more bytes', () => {
    const full = codec.encodeRequest('f', ['x'.repeat(MAX_BODY - 2 - 1 - 2)]);
    expect(full.length - 4).toBe(MAX_BODY);
    expect(withKeepOpenMark(full)).toBeNull();
  });
});

describe.each(ENGINES)('closeAfterAnswer, %s engine', (engine) => {
  let s: Started;
  let calls: string[];
  afterEach(async () => {
    await s?.server.close();
  });

  async function start(mode?: 'lone' | 'never'): Promise<RpcServer> {
    calls = [];
    s = await startServer(
      {
        echo: (...args) => {
          calls.push(args.map(String).join('|'));
          return args.map(String).join('|');
        },
        later: async (a) => {
          await sleep(20);
          calls.push(`later ${a}`);
          return `later ${a}`;
        },
      },
      mode === undefined ? { engine } : { engine, closeAfterAnswer: mode },
    );
    return s.server;
  }

  it('lone (default): a request alone is answered, then the server closes without waiting for the peer', async () => {
    await start();
    const cases: [Uint8Array, string][] = [
      [req('echo', ['a', 'b']), 'a|b'],
      [req('later', ['x']), 'later x'],
    ];
    for (const [packet, answer] of cases) {
      const w = await Wire.open(s.address);
      w.write(packet);
      // untilClosed resolves only on the server's FIN: this side never closes
      expect(answers(await w.untilClosed())).toEqual([answer]);
    }
    expect(calls).toEqual(['a|b', 'later x']);
    expect(s.logs).toEqual([]);
  });

  it('lone: the first request split over several chunks still counts as alone', async () => {
    await start();
    const w = await Wire.open(s.address);
    const p = req('echo', ['split']);
    w.write(p.subarray(0, 3));
    await sleep(20);
    w.write(p.subarray(3));
    expect(answers(await w.untilClosed())).toEqual(['split']);
  });

  it('lone: a request sent after the answer is not run (a one-shot caller sends none)', async () => {
    await start();
    const w = await Wire.open(s.address);
    w.write(req('later', ['first']));
    await sleep(5); // the call is running: this one comes in a later chunk
    w.write(req('echo', ['second']));
    expect(answers(await w.untilClosed())).toEqual(['later first']);
    await sleep(20);
    expect(calls).toEqual(['later first']);
  });

  it('lone: requests that come together are all answered and the connection stays open', async () => {
    await start();
    const w = await Wire.open(s.address);
    w.write(Buffer.concat([req('echo', ['1']), req('echo', ['2'])]));
    expect(answers(await w.bytes(2 * 5))).toEqual(['1', '2']);
    await sleep(30);
    expect(w.isClosed).toBe(false);
    w.write(req('echo', ['3']));
    expect(answers(await w.bytes(3 * 5))).toEqual(['1', '2', '3']);
    w.end();
  });

  it('lone: a first request with the keep-open mark keeps the connection, and the mark is no argument', async () => {
    await start();
    const w = await Wire.open(s.address);
    w.write(keepOpen(req('echo', ['a', 'b'])));
    expect(answers(await w.bytes(7))).toEqual(['a|b']);
    await sleep(30);
    expect(w.isClosed).toBe(false);
    w.write(req('echo', ['c']));
    expect(answers(await w.bytes(12))).toEqual(['a|b', 'c']);
    expect(calls).toEqual(['a|b', 'c']);
    w.end();
  });

  it('never: a request alone is answered and the connection stays open for more', async () => {
    await start('never');
    const w = await Wire.open(s.address);
    w.write(req('echo', ['a']));
    expect(answers(await w.bytes(5))).toEqual(['a']);
    await sleep(30);
    expect(w.isClosed).toBe(false);
    w.write(req('echo', ['b']));
    expect(answers(await w.bytes(10))).toEqual(['a', 'b']);
    w.end();
  });

  it('our keep-alive client marks its first call: one connection carries every call', async () => {
    const server = await start();
    const client = new RpcClient({ keepAlive: true, probation: 20, engine });
    try {
      expect(await client.rpcText(s.address, 'echo', 'first')).toBe('first');
      // the client reuses a connection once it has seen it stay open for `probation` ms
      await sleep(80);
      expect(client.nodeBehaviour(s.address)).toBe('keeps');
      for (let i = 0; i < 5; i++) expect(await client.rpcText(s.address, 'echo', String(i))).toBe(String(i));
      expect(server.snapshot().listeners[0].accepted).toBe(1);
    } finally {
      await client.close();
    }
  });

  it('our client without keepAlive: the server closes first, a connection per call', async () => {
    const server = await start();
    const client = new RpcClient({ engine });
    try {
      for (let i = 0; i < 3; i++) expect(await client.rpcText(s.address, 'echo', String(i))).toBe(String(i));
      expect(server.snapshot().listeners[0].accepted).toBe(3);
    } finally {
      await client.close();
    }
  });

  it('modifier2 1 (raw) closes after its answer in either mode, as before', async () => {
    await start('never');
    expect((await exchange(s.address, codec.encodeRequest('echo', ['r'], 1))).toString()).toBe('r');
  });
});

it('closeAfterAnswer: anything but lone or never is refused with INVALID', async () => {
  await expect(startServer({}, { closeAfterAnswer: 'always' as 'lone' })).rejects.toMatchObject({
    code: 'INVALID',
    message: expect.stringMatching(/closeAfterAnswer always: use 'lone' or 'never'/),
  });
});
