// Why the codec refused an input, as one sentence with the caller's numbers (both engines say the same).
import { type Input, utf8Length } from './bytes.js';
import { type CodecErrorCode, CODES, MESSAGES, codeName } from './codes.js';
import { MAX_ARGS, MAX_BODY, MAX_NAME } from './constants.js';
import { CodecError } from './errors.js';

/*
 * The sentences a refusal reads as, with the caller's own numbers. The kernels give bare
 * codes (WASM cannot give more); the Codec words them here, so both engines say the same.
 */

function byteLength(v: Input): number {
  return typeof v === 'string' ? utf8Length(v) : v.length;
}

/** Bytes `items` take in a uwsgi array: a 2-byte length before each. */
function arraySize(items: readonly Input[]): number {
  let n = 0;
  for (const it of items) n += 2 + byteLength(it);
  return n;
}

function tooLarge(what: string, size: number, would: boolean): string {
  return `${what} ${would ? 'would be' : 'is'} ${size} bytes; the uwsgi limit is ${MAX_BODY}`;
}

/** `err` (thrown by a kernel's encodeRequest) with the request's numbers. */
export function refusedRequest(err: unknown, name: Input, args: readonly Input[]): unknown {
  if (!(err instanceof CodecError)) return err;
  switch (err.code) {
    case 'NAME_TOO_LONG':
      return new CodecError(err.code, `the function name is ${byteLength(name)} bytes; the limit is ${MAX_NAME}`);
    case 'TOO_MANY_ARGS':
      return new CodecError(err.code, `the call has ${args.length} arguments; the limit is ${MAX_ARGS}`);
    case 'BODY_TOO_LARGE':
      return new CodecError(err.code, tooLarge('the request body', 2 + byteLength(name) + arraySize(args), true));
    default:
      return err;
  }
}

/** `err` (thrown by a kernel's encodeArray) with the array's size. */
export function refusedArray(err: unknown, items: readonly Input[]): unknown {
  if (err instanceof CodecError && err.code === 'BODY_TOO_LARGE')
    return new CodecError(err.code, tooLarge('the array body', arraySize(items), true));
  return err;
}

/** `err` (thrown by a kernel's encodeVars) with the dict's size or the empty key's place. */
export function refusedVars(err: unknown, pairs: readonly (readonly [Input, Input])[]): unknown {
  if (!(err instanceof CodecError)) return err;
  if (err.code === 'BODY_TOO_LARGE')
    return new CodecError(err.code, tooLarge('the vars body', arraySize(pairs.flat()), true));
  if (err.code === 'EMPTY_KEY') {
    const i = pairs.findIndex((p) => byteLength(p[0]) === 0);
    return new CodecError(err.code, `the key of pair ${i} is empty (a vars key needs at least 1 byte)`);
  }
  return err;
}

/** `err` (thrown by a kernel's encodeHeader) with the datasize asked for. */
export function refusedHeader(err: unknown, datasize: number): unknown {
  if (err instanceof CodecError && err.code === 'BODY_TOO_LARGE')
    return new CodecError(err.code, tooLarge('the body', datasize, true));
  return err;
}

/** `err` (thrown by a kernel's encodeResponse/encodeResponseHeader) naming the modifier2 refused. */
export function refusedResponse(err: unknown, modifier2: number): unknown {
  if (err instanceof CodecError && err.code === 'INVALID_MODIFIER') {
    return new CodecError(err.code, `an answer's modifier2 is 0 (uwsgi), 1 (raw) or 5 (64-bit form), not ${modifier2}`);
  }
  return err;
}

/** A packet shorter than its header. */
export function shortHeader(length: number): CodecError {
  return new CodecError(
    'SHORT_HEADER',
    `a packet starts with a 4-byte header; got ${length} byte${length === 1 ? '' : 's'}`,
  );
}

/**
 * A kernel's decode refusal `n` of `b`: a whole packet (header first) when `packet`,
 * else an array or vars body.
 */
export function refusedDecode(n: number, b: Uint8Array, packet: boolean): CodecError {
  const code: CodecErrorCode = codeName(n);
  switch (n) {
    case CODES.SHORT_HEADER:
      return shortHeader(b.length);
    case CODES.WRONG_MODIFIER1:
      return new CodecError(code, `modifier1 is ${b[0]}; an RPC request's is 173`);
    case CODES.SIZE_MISMATCH:
      return new CodecError(code, `the header's datasize is ${b[1] | (b[2] << 8)} but ${b.length - 4} bytes follow it`);
    case CODES.NAME_TOO_LONG:
      return new CodecError(code, `the function name is ${b[4] | (b[5] << 8)} bytes; the limit is ${MAX_NAME}`);
    case CODES.BODY_TOO_LARGE:
      return new CodecError(code, tooLarge('the body', packet ? b.length - 4 : b.length, false));
    default:
      return new CodecError(code, `${MESSAGES[code]} (in ${packet ? 'a packet' : 'a body'} of ${b.length} bytes)`);
  }
}
