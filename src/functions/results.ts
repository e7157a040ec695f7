// What a function may return: the checks that turn a result into an answer or a refusal,
// shared by the server (before writing it) and local calls (which need its bytes).
import { type Bytes, toBytes } from '../codec/bytes.js';
import { RpcError } from '../rpc-error.js';

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

/** A function's result as bytes; anything but string/Uint8Array is a failure. */
export function resultBytes(result: unknown): Bytes {
  if (typeof result === 'string' || result instanceof Uint8Array) return toBytes(result);
  throw new RpcError(
    'FUNCTION_FAILED',
    `an RPC function returned ${result === null ? 'null' : typeof result}, not a string or Uint8Array`,
  );
}

/** What a function returned when that was neither a string nor bytes. */
export function showType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return `an object (${value.constructor?.name ?? 'no prototype'})`;
  return typeof value;
}
