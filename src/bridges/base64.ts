// Base64 for the bridges' binary values (XML-RPC <base64>, JSON-RPC {"base64": ...}), on atob/btoa: any runtime.
import { latin1 } from '../codec/bytes.js';
import { binaryToBytes } from '../http/binary.js';

/** Standard base64 (with padding) of bytes. */
export function toBase64(b: Uint8Array): string {
  return btoa(latin1(b));
}

/** Bytes of standard base64 text (whitespace ignored); null if it is not base64. */
export function fromBase64(text: string): Uint8Array | null {
  const s = text.replace(/[\t\n\r ]+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(s) || s.length % 4 === 1) return null;
  try {
    return binaryToBytes(atob(s));
  } catch {
    return null;
  }
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The text of UTF-8 bytes, or null when they are not valid UTF-8. */
export function strictText(b: Uint8Array): string | null {
  try {
    return strictUtf8.decode(b);
  } catch {
    return null;
  }
}
