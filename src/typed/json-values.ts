// Typed values as JSON-RPC carries them: each param's JSON value to the binary string the function reads,
// and a result's typed value to JSON (README, "Typed functions").
import { TypeMismatch } from './invalid.js';
import { type Type, isOptional, type ArgType } from './types.js';
import { describe } from './wire.js';

const encoder = new TextEncoder();

/** Bytes as JSON-RPC carries them (the bridge's convention for binary strings). */
interface Base64 {
  base64: string;
}

/**
 * A JSON param as the binary string of its type: numbers as decimal text, booleans 1/0,
 * `t.bytes()` from `{"base64": ...}` (or a string, as its UTF-8), `t.bigint()` from an
 * integer or a decimal string, `t.json()` as JSON text (its schema is checked where the
 * function runs). `fromBase64` decodes (null: not base64).
 */
function jsonParamToWire(
  type: Type,
  value: unknown,
  at: number,
  fromBase64: (text: string) => Uint8Array | null,
): Uint8Array {
  const bad = (what: string) => new TypeMismatch(at, `${describe(value)} is not ${what}`);
  switch (type.kind) {
    case 'string':
    case 'enum':
      if (typeof value !== 'string') throw bad('a string');
      return encoder.encode(value);
    case 'int':
      if (!Number.isSafeInteger(value)) throw bad('a safe integer');
      return encoder.encode(String(value));
    case 'bigint':
      if (Number.isSafeInteger(value) || (typeof value === 'string' && /^[+-]?[0-9]+$/.test(value)))
        return encoder.encode(String(value));
      throw bad('an integer (a decimal string past 2^53)');
    case 'number':
      if (typeof value !== 'number') throw bad('a number');
      return encoder.encode(String(value));
    case 'bool':
      if (typeof value !== 'boolean') throw bad('a boolean');
      return encoder.encode(value ? '1' : '0');
    case 'bytes': {
      if (typeof value === 'string') return encoder.encode(value);
      const b64 = (value as Partial<Base64> | null)?.base64;
      const bytes = typeof b64 === 'string' && Object.keys(value as object).length === 1 ? fromBase64(b64) : null;
      if (bytes === null) throw bad('{"base64": "..."} or a string');
      return bytes;
    }
    case 'json':
      return encoder.encode(JSON.stringify(value));
  }
}

/** JSON-RPC params of a typed function as its wire args; throws TypeMismatch (count, or a param's type). */
export function jsonParamsToWire(
  args: readonly ArgType[],
  params: readonly unknown[],
  fromBase64: (text: string) => Uint8Array | null,
): Uint8Array[] {
  const min = args.findIndex(isOptional);
  const least = min < 0 ? args.length : min;
  if (params.length < least || params.length > args.length) {
    const want = least === args.length ? `${least}` : `${least} to ${args.length}`;
    throw new TypeMismatch(
      Math.min(params.length, args.length),
      `takes ${want} param${args.length === 1 ? '' : 's'}, got ${params.length}`,
    );
  }
  return params.map((p, i) => {
    const a = args[i];
    return jsonParamToWire(isOptional(a) ? a.type : a, p, i, fromBase64);
  });
}

/** A typed result as JSON: bigint as a decimal string, bytes as `{"base64": ...}`, the rest as they are. */
export function jsonResult(type: Type, value: unknown, toBase64: (b: Uint8Array) => string): unknown {
  if (type.kind === 'bigint') return String(value);
  if (type.kind === 'bytes') return { base64: toBase64(value as Uint8Array) };
  return value;
}
