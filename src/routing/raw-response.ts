// rpcraw: a function's result taken as a whole HTTP response.
import { latin1 } from '../codec/bytes.js';
import type { HttpResponse } from '../http/response.js';

const LF = 0x0a;
const CR = 0x0d;

/**
 * Puts a raw HTTP response (a function's result, for rpcraw) into `res`, as uWSGI's
 * uwsgi_blob_to_response does: every head line must end in CRLF; the first is
 * `PROTOCOL STATUS` (status at least 3 chars), the others `Name: value` (exactly one space
 * after the colon); a blank line ends the head; the rest is the body. Returns false at the
 * first line it cannot take; what was taken so far stays (a head prepared by then still goes
 * out when the request ends, as in uWSGI).
 */
export function applyRawResponse(res: HttpResponse, blob: Uint8Array): boolean {
  let lineStart = 0;
  let statusSeen = false;
  let i = 0;
  for (; i < blob.length; i++) {
    if (blob[i] !== LF) {
      if (lineStart < 0) lineStart = i;
      continue;
    }
    const lineLen = lineStart < 0 ? 0 : i - lineStart;
    if (lineLen < 1 || blob[i - 1] !== CR) return false;
    if (lineLen === 1) break;
    const line = latin1(blob.subarray(lineStart, i - 1));
    if (statusSeen) {
      const colon = line.indexOf(':');
      if (colon < 0 || line[colon + 1] !== ' ') return false;
      if (!res.addHeader(line.slice(0, colon), line.slice(colon + 2))) return false;
    } else {
      const space = line.indexOf(' ');
      if (space < 0) return false;
      const status = line.slice(space + 1);
      if (status.length < 3 || !res.prepareHeaders(status)) return false;
      statusSeen = true;
    }
    lineStart = -1;
  }
  if (i + 1 < blob.length) res.writeBody(blob.subarray(i + 1));
  return true;
}
