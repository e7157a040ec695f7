// What a refusal says: one sentence with the caller's numbers, and the same from both
// engines (the kernels give codes; the Codec words them).
import { beforeAll, describe, expect, it } from 'vitest';
import { type Codec, CodecError } from '../../src/codec/index.js';
import { ENGINES, codecFor } from '../helpers/engines.js';

const bytes = (h: string) => Uint8Array.from(Buffer.from(h.replace(/ /g, ''), 'hex'));

/** [what, operation, code, message] */
const CASES: [string, (c: Codec) => unknown, string, string][] = [
  [
    'a request over 65535 bytes (string arg)',
    (c) => c.encodeRequest('f', ['a'.repeat(70000)]),
    'BODY_TOO_LARGE',
    'the request body would be 70005 bytes; the uwsgi limit is 65535',
  ],
  [
    'a request one byte over (bytes arg)',
    (c) => c.encodeRequest('f', [new Uint8Array(65531)]),
    'BODY_TOO_LARGE',
    'the request body would be 65536 bytes; the uwsgi limit is 65535',
  ],
  [
    'a request counted in UTF-8 bytes',
    (c) => c.encodeRequest('f', ['é'.repeat(40000)]),
    'BODY_TOO_LARGE',
    'the request body would be 80005 bytes; the uwsgi limit is 65535',
  ],
  [
    'a long name',
    (c) => c.encodeRequest('n'.repeat(300)),
    'NAME_TOO_LONG',
    'the function name is 300 bytes; the limit is 255',
  ],
  [
    'too many args',
    (c) =>
      c.encodeRequest(
        'f',
        Array.from({ length: 300 }, () => 'a'),
      ),
    'TOO_MANY_ARGS',
    'the call has 300 arguments; the limit is 254',
  ],
  ['an empty name', (c) => c.encodeRequest(''), 'EMPTY_NAME', 'the function name is empty or missing'],
  [
    'an array over 65535 bytes',
    (c) => c.encodeArray([new Uint8Array(70000)]),
    'BODY_TOO_LARGE',
    'the array body would be 70002 bytes; the uwsgi limit is 65535',
  ],
  [
    'vars over 65535 bytes',
    (c) => c.encodeVars([['K', new Uint8Array(65535)]]),
    'BODY_TOO_LARGE',
    'the vars body would be 65540 bytes; the uwsgi limit is 65535',
  ],
  [
    'an empty vars key',
    (c) =>
      c.encodeVars([
        ['a', 'b'],
        ['', 'x'],
      ]),
    'EMPTY_KEY',
    'the key of pair 1 is empty (a vars key needs at least 1 byte)',
  ],
  [
    'a header with a datasize over the limit',
    (c) => c.encodeHeader(173, 70000, 0),
    'BODY_TOO_LARGE',
    'the body would be 70000 bytes; the uwsgi limit is 65535',
  ],
  [
    'a modifier out of range',
    (c) => c.encodeHeader(300, 1, 0),
    'INVALID_MODIFIER',
    'modifier1 300 is not an integer 0..255',
  ],
  [
    'an answer modifier2 not 0, 1 or 5',
    (c) => c.encodeResponse('x', 7),
    'INVALID_MODIFIER',
    "an answer's modifier2 is 0 (uwsgi), 1 (raw) or 5 (64-bit form), not 7",
  ],
  [
    'an arg of the wrong type',
    (c) => c.encodeRequest('f', [1 as unknown as string]),
    'INVALID_INPUT',
    'args[0] is a number, not a string or a Uint8Array',
  ],
  [
    'an arg that is an object',
    (c) => c.encodeRequest('f', [{} as unknown as string]),
    'INVALID_INPUT',
    'args[0] is an object, not a string or a Uint8Array',
  ],
  [
    'a missing name',
    (c) => c.encodeRequest(undefined as unknown as string),
    'INVALID_INPUT',
    'name is undefined, not a string or a Uint8Array',
  ],
  [
    'a short header',
    (c) => c.decodeHeader(bytes('ad00')),
    'SHORT_HEADER',
    'a packet starts with a 4-byte header; got 2 bytes',
  ],
  [
    'another modifier1',
    (c) => c.decodeRequest(bytes('00020000 0000')),
    'WRONG_MODIFIER1',
    "modifier1 is 0; an RPC request's is 173",
  ],
  [
    'a datasize that does not match',
    (c) => c.decodeRequest(bytes('ad040000 0100 61')),
    'SIZE_MISMATCH',
    "the header's datasize is 4 but 3 bytes follow it",
  ],
  [
    'a body over 65535 bytes',
    (c) => c.decodeArray(new Uint8Array(70000)),
    'BODY_TOO_LARGE',
    'the body is 70000 bytes; the uwsgi limit is 65535',
  ],
  [
    'an answer cut short',
    (c) => c.decodeResponse(bytes('ad050000 6162')),
    'SIZE_MISMATCH',
    'the answer is cut short: its header announces more than the 6 bytes given',
  ],
  [
    'a frame over maxFrame',
    (c) => c.createDecoder({ maxFrame: 10 }).push(bytes('ad640000')),
    'FRAME_TOO_LARGE',
    "a frame's datasize is 100 bytes; this decoder's maxFrame is 10",
  ],
];

function refusal(fn: () => unknown): CodecError {
  try {
    fn();
  } catch (err) {
    if (err instanceof CodecError) return err;
    throw err;
  }
  throw new Error('no CodecError thrown');
}

describe.each(ENGINES)('refusal messages, %s engine', (engine) => {
  let c: Codec;
  beforeAll(async () => {
    c = await codecFor(engine);
  });

  it.each(CASES)('%s', (_what, op, code, message) => {
    const err = refusal(() => op(c));
    expect(err.code).toBe(code);
    expect(err.message).toBe(message);
  });

  it('a decoder that failed says why it refuses more', () => {
    const d = c.createDecoder({ maxFrame: 10 });
    refusal(() => d.push(bytes('ad640000')));
    expect(refusal(() => d.push(bytes('ad000000'))).message).toBe(
      'the stream decoder already failed (FRAME_TOO_LARGE); reset() it or make a new one',
    );
  });
});
