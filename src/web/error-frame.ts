// The gateway's error frame: how a failed call is answered on a WebSocket carrying many.
import { RpcError, type RpcErrorCode } from '../rpc-error.js';

/**
 * How the WebSocket gateway says a call failed. uWSGI's answer to a failure is silence and a
 * closed connection; over one WebSocket carrying many calls that would fail them all, so the
 * gateway answers a failed call with a TEXT message in that call's place (answers keep the
 * order of the requests): `{"error":"<RpcErrorCode>","message":"..."}`. Results are always
 * BINARY messages (uwsgi response packets), so the two never mix.
 */
interface ErrorFrame {
  error: RpcErrorCode;
  message: string;
}

export function errorFrame(code: RpcErrorCode, message: string): string {
  return JSON.stringify({ error: code, message } satisfies ErrorFrame);
}

const CODES = new Set<string>([
  'REFUSED',
  'TIMEOUT',
  'ABORTED',
  'NO_ANSWER',
  'MALFORMED',
  'TOO_LARGE',
  'INVALID',
  'NOT_FOUND',
  'FUNCTION_FAILED',
  'CONNECTION',
  'TLS',
]);

/** The RpcError a text message from the gateway stands for (MALFORMED if it is not an error frame). */
export function parseErrorFrame(text: string, node: string): RpcError {
  let f: Partial<ErrorFrame> | null = null;
  try {
    f = JSON.parse(text) as Partial<ErrorFrame>;
  } catch {
    /* not JSON: malformed below */
  }
  if (f && typeof f.error === 'string' && CODES.has(f.error)) {
    return new RpcError(f.error, typeof f.message === 'string' ? f.message : f.error, node);
  }
  return new RpcError(
    'MALFORMED',
    `the gateway sent a text message that is not an error frame: ${text.slice(0, 100)}`,
    node,
  );
}
