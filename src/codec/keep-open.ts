/**
 * The keep-open mark: a request body that begins with an empty item (`00 00`).
 *
 * uWSGI answers one request per connection and closes, so one-shot callers (uWSGI's own
 * `uwsgi.rpc`, nginx, load generators) wait for the server's FIN; a server that instead waits
 * for the caller to close pays for it on every connection. A caller that wants the connection
 * kept open for more calls says so with this mark on its first request. uWSGI's item parser
 * skips an empty item that is followed by more bytes, so a marked request runs unchanged on
 * uWSGI (which still closes); our decoders skip it too. The name follows, so it always is.
 */
import { HEADER_SIZE, MAX_BODY } from './constants.js';

/** The mark's bytes: one zero-length item. */
export const KEEP_OPEN_MARK_SIZE = 2;

/** The request body (item bytes, after the header) starts with the keep-open mark. */
export function hasKeepOpenMark(body: Uint8Array): boolean {
  return body.length > KEEP_OPEN_MARK_SIZE && body[0] === 0 && body[1] === 0;
}

/**
 * `packet` (header + body) with the keep-open mark put before its first item, or null when
 * the body has no room left for 2 more bytes (the caller then sends it unmarked).
 */
export function withKeepOpenMark(packet: Uint8Array): Uint8Array | null {
  const size = packet.length - HEADER_SIZE;
  if (size < 0 || size + KEEP_OPEN_MARK_SIZE > MAX_BODY) return null;
  const out = new Uint8Array(packet.length + KEEP_OPEN_MARK_SIZE);
  const marked = size + KEEP_OPEN_MARK_SIZE;
  out[0] = packet[0];
  out[1] = marked & 0xff;
  out[2] = marked >>> 8;
  out[3] = packet[3];
  // out[4], out[5]: the empty item, already zero
  out.set(packet.subarray(HEADER_SIZE), HEADER_SIZE + KEEP_OPEN_MARK_SIZE);
  return out;
}
