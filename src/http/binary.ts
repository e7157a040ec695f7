/**
 * "Binary strings": one char per byte (U+0000..U+00FF). Request vars, route subjects and
 * translated args live in this form so RegExp and string operations work byte for byte, as
 * uWSGI's PCRE (built without UTF mode) does. Bytes become one with the codec's latin1().
 */
import { latin1 } from '../codec/bytes.js';

const utf8Encoder = new TextEncoder();

/** The bytes of a binary string (chars above U+00FF keep their low byte only: never produced here). */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The UTF-8 bytes of text as a binary string (config text such as route rules). */
export function textToBinary(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return latin1(utf8Encoder.encode(s));
  }
  return s;
}

/** The text a binary string holds as UTF-8 (for log lines and messages). */
export function binaryToText(s: string): string {
  return new TextDecoder().decode(binaryToBytes(s));
}
