/**
 * "Binary strings": one char per byte (U+0000..U+00FF). Request vars, route subjects and
 * translated args live in this form so RegExp and string operations work byte for byte, as
 * uWSGI's PCRE (built without UTF mode) does. TextDecoder('latin1') is not usable here: the
 * Encoding Standard maps it to windows-1252, which changes bytes 0x80..0x9F.
 */

const CHUNK = 8192;
const utf8Encoder = new TextEncoder();

export function bytesToBinary(b: Uint8Array): string {
  if (b.length <= CHUNK) return String.fromCharCode.apply(null, b as unknown as number[]);
  let s = '';
  for (let i = 0; i < b.length; i += CHUNK) {
    s += String.fromCharCode.apply(null, b.subarray(i, i + CHUNK) as unknown as number[]);
  }
  return s;
}

/** The bytes of a binary string (chars above U+00FF keep their low byte only: never produced here). */
export function binaryToBytes(s: string): Uint8Array {
  const out = new Uint8Array(s.length);
  for (let i = 0; i < s.length; i++) out[i] = s.charCodeAt(i);
  return out;
}

/** The UTF-8 bytes of text as a binary string (config text such as route rules). */
export function textToBinary(s: string): string {
  for (let i = 0; i < s.length; i++) {
    if (s.charCodeAt(i) >= 0x80) return bytesToBinary(utf8Encoder.encode(s));
  }
  return s;
}

/** The text a binary string holds as UTF-8 (for log lines and messages). */
export function binaryToText(s: string): string {
  return new TextDecoder().decode(binaryToBytes(s));
}
