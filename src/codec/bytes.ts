// Bytes and text: the codec's one buffer type, UTF-8 in and out, byte-exact latin1, and the slab answers are
// encoded into.
import { CodecError } from './errors.js';

/** Bytes in, bytes out: the codec's only buffer type (no Buffer, so it runs anywhere). */
export type Bytes = Uint8Array;
/** Accepted wherever bytes are: strings are sent as UTF-8. */
export type Input = string | Uint8Array;

const encoder = new TextEncoder();
const decoder = new TextDecoder();

export function isInput(v: unknown): v is Input {
  return typeof v === 'string' || v instanceof Uint8Array;
}

export function checkInput(v: unknown, what: string): asserts v is Input {
  if (!isInput(v)) throw new CodecError('INVALID_INPUT', `${what} is ${kind(v)}, not a string or a Uint8Array`);
}

/** What a wrong input is, for a message: "null", "an object", "a number". */
function kind(v: unknown): string {
  if (v === null || v === undefined) return String(v);
  if (Array.isArray(v)) return 'an array';
  const t = typeof v;
  return `${/^[aeiou]/.test(t) ? 'an' : 'a'} ${t}`;
}

export function checkInputs(items: unknown, what: string): asserts items is readonly Input[] {
  if (!Array.isArray(items)) throw new CodecError('INVALID_INPUT', `${what} is not an array`);
  for (let i = 0; i < items.length; i++) checkInput(items[i], `${what}[${i}]`);
}

export function toBytes(v: Input): Bytes {
  return typeof v === 'string' ? encoder.encode(v) : v;
}

/**
 * Up to this many bytes, ASCII text is built char by char: TextDecoder's fixed cost per call
 * is most of the time for the short args most functions get (measured: 3-8 byte args ~130 ns
 * against ~245 ns, Node 20).
 */
const ASCII_LOOP = 16;

/** UTF-8 text of bytes; invalid sequences become U+FFFD, as TextDecoder does. */
export function utf8(b: Bytes): string {
  const n = b.length;
  if (n > ASCII_LOOP) return decoder.decode(b);
  let s = '';
  for (let i = 0; i < n; i++) {
    const c = b[i];
    if (c > 0x7f) return decoder.decode(b);
    s += String.fromCharCode(c);
  }
  return s;
}

/** Bytes per String.fromCharCode call: well under every engine's argument limit. */
const LATIN1_CHUNK = 8192;
/** Up to this many bytes a plain loop beats one call with the bytes as its arguments. */
const LATIN1_LOOP = 64;

const fromCharCodes = (codes: Uint8Array): string => Reflect.apply(String.fromCharCode, null, codes);

/**
 * Bytes as a string of one char per byte, U+0000..U+00FF, byte for byte (map keys, and
 * strings a RegExp must match byte-wise). Not TextDecoder('latin1'): the Encoding Standard
 * makes that windows-1252, which turns most of 0x80..0x9F into other characters.
 */
export function latin1(b: Uint8Array): string {
  const n = b.length;
  if (n <= LATIN1_LOOP) {
    let s = '';
    for (let i = 0; i < n; i++) s += String.fromCharCode(b[i]);
    return s;
  }
  if (n <= LATIN1_CHUNK) return fromCharCodes(b);
  let s = '';
  for (let i = 0; i < n; i += LATIN1_CHUNK) s += fromCharCodes(b.subarray(i, i + LATIN1_CHUNK));
  return s;
}

/** Bytes the UTF-8 form of `s` takes, as TextEncoder would write it (lone surrogates: 3). */
export function utf8Length(s: string): number {
  let n = s.length;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) {
      n += 1;
      continue;
    }
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length) {
      const d = s.charCodeAt(i + 1);
      if (d >= 0xdc00 && d <= 0xdfff) {
        n += 2;
        i++;
        continue;
      }
    }
    n += 2;
  }
  return n;
}

/**
 * Writes the UTF-8 form of `s` at `pos`, not past `limit`. Returns the bytes written, or
 * -1 if they would not fit. Short ASCII strings skip TextEncoder (a charCodeAt loop is
 * faster there); anything else goes through encodeInto.
 */
export function writeUtf8(s: string, dst: Uint8Array, pos: number, limit: number): number {
  const n = s.length;
  if (n <= 48 && pos + n <= limit) {
    let i = 0;
    for (; i < n; i++) {
      const c = s.charCodeAt(i);
      if (c >= 0x80) break;
      dst[pos + i] = c;
    }
    if (i === n) return n;
  }
  const r = encoder.encodeInto(s, dst.subarray(pos, limit));
  return r.read === n ? r.written : -1;
}

const SLAB_SIZE = 128 * 1024;

/**
 * Encoded output comes from here: views handed out of a shared ArrayBuffer, never
 * reused once handed out (like Buffer's pool). A fresh small typed array per packet
 * costs far more than a view of a slab (DESIGN §6).
 */
export class Slab {
  /** Where the last reserve() put room: write into it at the offset reserve() returned. */
  target = new Uint8Array(SLAB_SIZE);
  private pooled = this.target;
  private pos = 0;

  /** Room for up to `max` bytes in `target`; returns the offset to write at. */
  reserve(max: number): number {
    if (max > SLAB_SIZE >> 1) {
      this.target = new Uint8Array(max);
      return 0;
    }
    if (this.pos + max > SLAB_SIZE) {
      this.pooled = new Uint8Array(SLAB_SIZE);
      this.pos = 0;
    }
    this.target = this.pooled;
    return this.pos;
  }

  /** The view of the `n` bytes written at `at` by the last reserve(); moves past them. */
  commit(at: number, n: number): Uint8Array {
    const t = this.target;
    if (t === this.pooled) this.pos = (at + n + 7) & ~7;
    return new Uint8Array(t.buffer, at, n);
  }

  /** A fresh n-byte view to fill. */
  alloc(n: number): Uint8Array {
    return this.commit(this.reserve(n), n);
  }
}
