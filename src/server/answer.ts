import type { Socket } from 'node:net';
import type { Codec } from '../codec/index.js';
import { MODIFIER2 } from '../codec/constants.js';
import { showType } from './log.js';

/** A result that can go on the wire: a non-empty string (sent as UTF-8) or bytes. */
export type Answer = string | Uint8Array;

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
 * above 65535 bytes; 1: the bare result). Header and result go out as two writes so a big
 * result is never copied; the caller corks the socket, which turns them into one writev.
 */
export function writeAnswer(socket: Socket, codec: Codec, modifier2: number, result: Answer): void {
  if (modifier2 !== MODIFIER2.RAW) {
    const size = typeof result === 'string' ? Buffer.byteLength(result, 'utf8') : result.length;
    socket.write(codec.encodeResponseHeader(size, MODIFIER2.UWSGI));
  }
  socket.write(result);
}
