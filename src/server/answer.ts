import type { Socket } from 'node:net';
import type { Codec } from '../codec/index.js';
import { MODIFIER2 } from '../codec/constants.js';
import { showType } from './log.js';

/** A result that can go on the wire: a non-empty string (sent as UTF-8) or bytes. */
export type Answer = string | Uint8Array;

/**
 * Results up to this size are copied behind their header into one buffer (from Node's
 * pool): one stream chunk per answer costs less than two. Larger ones are never copied.
 */
const COPY_MAX = 1024;

/**
 * Why `value` cannot be an answer, or null when it can. An empty result is a failure on
 * the wire (uWSGI's client reads a zero-length answer as one), so it is refused here.
 */
export function refuseResult(value: unknown): string | null {
  if (typeof value === 'string' || value instanceof Uint8Array) {
    return value.length === 0 ? 'returned an empty result' : null;
  }
  return `returned ${showType(value)}, not a string or Uint8Array`;
}

/**
 * Writes one answer for request modifier2 `modifier2` (0: uwsgi packet, the 64-bit form
 * above 65535 bytes; anything else here: the bare result). A big result goes out as its
 * own chunk after the header; the caller corks the socket, so they leave in one writev.
 */
export function writeAnswer(socket: Socket, codec: Codec, modifier2: number, result: Answer): void {
  if (modifier2 !== MODIFIER2.UWSGI) {
    socket.write(result);
    return;
  }
  const text = typeof result === 'string';
  const size = text ? Buffer.byteLength(result, 'utf8') : result.length;
  const header = codec.encodeResponseHeader(size, MODIFIER2.UWSGI);
  if (size <= COPY_MAX) {
    const out = Buffer.allocUnsafe(header.length + size);
    out.set(header);
    if (text) out.write(result, header.length, size, 'utf8');
    else out.set(result, header.length);
    socket.write(out);
    return;
  }
  socket.write(header);
  socket.write(result);
}
