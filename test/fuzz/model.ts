// What the codec must answer for the cases of edges.ts, from the protocol's rules alone
// (src/codec/constants.ts, the error order of the codec's docs): engines that agree with each
// other but not with this are wrong together. Errors are thrown as CodecError, like the codec.
import {
  type CodecErrorCode,
  CodecError,
  type Input,
  MAX_BODY,
  MAX_ITEMS,
  MAX_NAME,
  RPC_MODIFIER1,
  toBytes,
} from '../../src/codec/index.js';
import { show } from './outcome.js';
import {
  type DictAnswerCase,
  type ItemsCase,
  type StreamCase,
  type VarsCase,
  lengthPrefixed,
  packet,
} from './edges.js';

function no(code: CodecErrorCode): never {
  throw new CodecError(code);
}

const validModifier = (m: number) => Number.isInteger(m) && m >= 0 && m <= 255;
const size = (items: Uint8Array[]) => items.reduce((n, it) => n + 2 + it.length, 0);
const CL = new TextEncoder().encode('CONTENT_LENGTH');
const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

/** encodeRequest(name, args) of the case's items (none: an empty name). */
export function encodeRequest(c: ItemsCase): Uint8Array {
  if (!validModifier(c.m2)) no('INVALID_MODIFIER');
  const items = c.bytes.length > 0 ? c.bytes : [new Uint8Array(0)];
  if (items[0].length === 0) no('EMPTY_NAME');
  if (items[0].length > MAX_NAME) no('NAME_TOO_LONG');
  if (items.length > MAX_ITEMS) no('TOO_MANY_ARGS');
  if (size(items) > MAX_BODY) no('BODY_TOO_LARGE');
  return packet(RPC_MODIFIER1, size(items), c.m2, lengthPrefixed(items));
}

export function encodeArray(c: ItemsCase): Uint8Array {
  if (size(c.bytes) > MAX_BODY) no('BODY_TOO_LARGE');
  return lengthPrefixed(c.bytes);
}

/** The case's items as a raw packet, whatever their number and size (the header may lie). */
export function rawRequest(c: ItemsCase): Uint8Array {
  const body = lengthPrefixed(c.bytes);
  return packet(c.m1, body.length + c.sizeDelta, c.m2 & 0xff, body);
}

/** decodeRequest(rawRequest(c)): empty items are skipped, then name and count are checked. */
export function decodeRequest(c: ItemsCase) {
  const body = size(c.bytes);
  if (c.m1 !== RPC_MODIFIER1) no('WRONG_MODIFIER1');
  if (((body + c.sizeDelta) & 0xffff) !== body) no('SIZE_MISMATCH');
  const [name, ...args] = c.bytes.filter((it) => it.length > 0);
  if (name === undefined) no('EMPTY_NAME');
  if (name.length > MAX_NAME) no('NAME_TOO_LONG');
  if (args.length + 1 > MAX_ITEMS) no('TOO_MANY_ARGS');
  return { modifier1: c.m1, modifier2: c.m2 & 0xff, name, args };
}

/** decodeArray of the case's array body: any number of items, up to 65535 bytes. */
export function decodeArray(c: ItemsCase): Uint8Array[] {
  if (size(c.bytes) > MAX_BODY) no('BODY_TOO_LARGE');
  return c.bytes.filter((it) => it.length > 0);
}

/** Size first, then keys (so the error does not depend on how far an engine got). */
export function encodeVars(c: VarsCase): Uint8Array {
  const flat = c.bytes.flat();
  if (size(flat) > MAX_BODY) no('BODY_TOO_LARGE');
  if (flat.some((it, i) => i % 2 === 0 && it.length === 0)) no('EMPTY_KEY');
  return lengthPrefixed(flat);
}

/** decodeVars of the case's vars body. */
export function decodeVars(c: VarsCase): [Uint8Array, Uint8Array][] {
  if (size(c.bytes.flat()) > MAX_BODY) no('BODY_TOO_LARGE');
  if (c.bytes.some(([k]) => k.length === 0)) no('EMPTY_KEY');
  return c.bytes;
}

export function encodeHeader(m1: number, n: number, m2: number): Uint8Array {
  if (!validModifier(m1) || !validModifier(m2)) no('INVALID_MODIFIER');
  if (!Number.isInteger(n) || n < 0) no('INVALID_INPUT');
  if (n > MAX_BODY) no('BODY_TOO_LARGE');
  return packet(m1, n, m2, new Uint8Array(0));
}

/** modifier2 0: plain up to 65535 bytes, 64-bit form above; 5: always the 64-bit form. */
function responseHeader(n: number, m2: number): Uint8Array {
  if (m2 === 0 && n <= MAX_BODY) return packet(RPC_MODIFIER1, n, 0, new Uint8Array(0));
  const dict = lengthPrefixed([CL, new TextEncoder().encode(String(n))]);
  return packet(RPC_MODIFIER1, dict.length, 5, dict);
}

export function encodeResponseHeader(n: number, m2: number): Uint8Array {
  if (!Number.isSafeInteger(n) || n < 0) no('INVALID_INPUT');
  if (!validModifier(m2)) no('INVALID_MODIFIER');
  if (m2 === 1) return new Uint8Array(0);
  if (m2 !== 0 && m2 !== 5) no('INVALID_MODIFIER');
  return responseHeader(n, m2);
}

export function encodeResponse(result: Input, m2: number): Uint8Array {
  if (!validModifier(m2)) no('INVALID_MODIFIER');
  const bytes = toBytes(result);
  if (m2 === 1) return bytes;
  if (m2 !== 0 && m2 !== 5) no('INVALID_MODIFIER');
  const head = responseHeader(bytes.length, m2);
  const out = new Uint8Array(head.length + bytes.length);
  out.set(head);
  out.set(bytes, head.length);
  return out;
}

/**
 * decodeResponse of a 64-bit-form answer: the first CONTENT_LENGTH key counts; its value is
 * 1..16 decimal digits and a safe integer; the result must be exactly that long.
 */
export function decodeDictAnswer(c: DictAnswerCase) {
  const first = c.dict.find(([k]) => equal(k, CL));
  if (first === undefined) no('BAD_CONTENT_LENGTH');
  const value = first[1];
  if (value.length === 0 || value.length > 16 || !value.every((d) => d >= 48 && d <= 57)) no('BAD_CONTENT_LENGTH');
  const n = Number(new TextDecoder().decode(value));
  if (!Number.isSafeInteger(n)) no('BAD_CONTENT_LENGTH');
  if (n > Math.max(c.wire.length, MAX_BODY)) no('FRAME_TOO_LARGE');
  if (c.result.length !== n) no('SIZE_MISMATCH');
  return { modifier1: RPC_MODIFIER1, modifier2: 5, result: c.result };
}

/**
 * Frames as text, for comparison: modifiers, body, and with `items` the items or that the
 * body is not an array (tens of thousands of frames: one string, not an object each).
 */
export function framesText(
  frames: readonly { m1: number; m2: number; body: Uint8Array; items?: Uint8Array[] }[],
  items: boolean,
  buffered: number,
): string {
  let s = '';
  for (const f of frames) {
    s += `${f.m1} ${f.m2} ${show(f.body)}`;
    if (items) s += f.items ? ` [${f.items.map(show).join(',')}]` : ' not an array';
    s += ';';
  }
  return `${s} buffered ${buffered}`;
}

/** Every frame, in order, unless one is larger than maxFrame (the result, for a 64-bit answer). */
export function stream(c: StreamCase): string {
  if (c.frames.some((f) => f.body.length > c.maxFrame)) no('FRAME_TOO_LARGE');
  return framesText(c.frames, c.items, 0);
}
