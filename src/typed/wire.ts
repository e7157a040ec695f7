// The wire conventions: each typed arg and result is one binary string that a caller with plain strings can
// write and read (README, "Typed functions").
import type { StandardIssue, StandardResult, StandardSchemaV1 } from './standard-schema.js';
import { TypeMismatch, shown } from './invalid.js';
import { type ArgType, type Type, isOptional } from './types.js';

const strictUtf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const encoder = new TextEncoder();

const INT = /^[+-]?[0-9]+$/;
const DECIMAL = /^[+-]?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
// With the u flag a pair is one code point: this matches lone surrogates only.
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;
const INT64_MIN = -(2n ** 63n);
const INT64_MAX = 2n ** 63n - 1n;

/**
 * Booleans as callers make them: Python str(True) 'True', Lua tostring(true) 'true', Perl's
 * true 1, and 1/0 as we answer. (Perl's false, the empty string, never arrives: uWSGI drops
 * empty items from a request, so a Perl caller sends `$b ? 1 : 0`.)
 */
const TRUE = new Set(['1', 'true', 'True', 'TRUE']);
const FALSE = new Set(['0', 'false', 'False', 'FALSE']);

/** A value or a promise of one: Standard Schemas may validate asynchronously. */
export type Maybe<T> = T | Promise<T>;

function text(b: Uint8Array, at: number | 'result'): string {
  try {
    return strictUtf8.decode(b);
  } catch {
    throw new TypeMismatch(at, 'not valid UTF-8');
  }
}

/** A decimal integer's text as a bigint, or why not. */
function integer(s: string, at: number | 'result'): bigint {
  if (!INT.test(s)) throw new TypeMismatch(at, `${shown(s)} is not a decimal integer`);
  return BigInt(s);
}

/** Reads one binary string as a value of `type` (schemas of t.json may answer later). */
export function fromWire(type: Type, b: Uint8Array, at: number | 'result'): Maybe<unknown> {
  switch (type.kind) {
    case 'bytes':
      return b;
    case 'string':
      return text(b, at);
    case 'enum': {
      const s = text(b, at);
      if (!type.values!.includes(s))
        throw new TypeMismatch(
          at,
          `${shown(s)} is not one of ${type.values!.map((v) => JSON.stringify(v)).join(', ')}`,
        );
      return s;
    }
    case 'int': {
      const n = integer(text(b, at), at);
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER))
        throw new TypeMismatch(at, `${n} is not a safe integer (use t.bigint() for 64-bit values)`);
      return Number(n);
    }
    case 'bigint': {
      const n = integer(text(b, at), at);
      if (n > INT64_MAX || n < INT64_MIN) throw new TypeMismatch(at, `${n} does not fit in 64 bits`);
      return n;
    }
    case 'number': {
      const s = text(b, at);
      if (!DECIMAL.test(s)) throw new TypeMismatch(at, `${shown(s)} is not a decimal number`);
      const n = Number(s);
      if (!Number.isFinite(n)) throw new TypeMismatch(at, `${shown(s)} is not a finite number`);
      return n;
    }
    case 'bool': {
      const s = text(b, at);
      if (TRUE.has(s)) return true;
      if (FALSE.has(s)) return false;
      throw new TypeMismatch(at, `${shown(s)} is not a boolean (1/0, true/false, True/False)`);
    }
    case 'json': {
      const s = text(b, at);
      let value: unknown;
      try {
        value = JSON.parse(s);
      } catch (err) {
        throw new TypeMismatch(at, `not JSON text: ${(err as Error).message}`);
      }
      return type.schema === undefined ? value : validate(type.schema, value, at);
    }
  }
}

/** A value of `type` as its binary string; throws TypeMismatch when the value is not of the type. */
export function toWire(type: Type, value: unknown, at: number | 'result'): Maybe<Uint8Array> {
  checkValue(type, value, at);
  if (type.kind === 'json') {
    if (type.schema === undefined) return jsonBytes(value, at);
    const checked = validate(type.schema, value, at);
    return checked instanceof Promise ? checked.then((v) => jsonBytes(v, at)) : jsonBytes(checked, at);
  }
  if (type.kind === 'bytes') return value as Uint8Array;
  if (type.kind === 'bool') return encoder.encode(value ? '1' : '0');
  return encoder.encode(String(value));
}

/** Throws TypeMismatch when `value` is not a value of `type` (t.json: any JSON value; its schema is checked apart). */
function checkValue(type: Type, value: unknown, at: number | 'result'): void {
  const bad = (what: string) => new TypeMismatch(at, `${describe(value)} is not ${what}`);
  switch (type.kind) {
    case 'bytes':
      if (!(value instanceof Uint8Array)) throw bad('a Uint8Array');
      return;
    case 'string':
      if (typeof value !== 'string') throw bad('a string');
      if (LONE_SURROGATE.test(value)) throw new TypeMismatch(at, 'the string has a lone surrogate (not valid UTF-8)');
      return;
    case 'enum':
      if (typeof value !== 'string' || !type.values!.includes(value))
        throw bad(`one of ${type.values!.map((v) => JSON.stringify(v)).join(', ')}`);
      return;
    case 'int':
      if (!Number.isSafeInteger(value)) throw bad('a safe integer');
      return;
    case 'bigint':
      if (typeof value !== 'bigint') throw bad('a bigint');
      if (value > INT64_MAX || value < INT64_MIN) throw new TypeMismatch(at, `${value} does not fit in 64 bits`);
      return;
    case 'number':
      if (typeof value !== 'number' || !Number.isFinite(value)) throw bad('a finite number');
      return;
    case 'bool':
      if (typeof value !== 'boolean') throw bad('a boolean');
      return;
    case 'json':
      return;
  }
}

function jsonBytes(value: unknown, at: number | 'result'): Uint8Array {
  let s: string | undefined;
  try {
    s = JSON.stringify(value);
  } catch (err) {
    throw new TypeMismatch(at, `cannot be JSON: ${(err as Error).message}`);
  }
  if (s === undefined) throw new TypeMismatch(at, `${describe(value)} cannot be JSON`);
  return encoder.encode(s);
}

/** Runs a Standard Schema; the value it gives (schemas may transform), or TypeMismatch with its issues. */
function validate(schema: StandardSchemaV1, value: unknown, at: number | 'result'): Maybe<unknown> {
  const result = schema['~standard'].validate(value);
  return result instanceof Promise ? result.then((r) => outcome(r, at)) : outcome(result, at);
}

function outcome(r: StandardResult<unknown>, at: number | 'result'): unknown {
  if (r.issues !== undefined) throw new TypeMismatch(at, r.issues.map(issueText).join('; ') || 'the schema refused it');
  // (bench/ checks through these sources without strictNullChecks, where the check above does not narrow)
  return (r as { readonly value: unknown }).value;
}

function issueText(issue: StandardIssue): string {
  const path = (issue.path ?? []).map((p) => String(typeof p === 'object' ? p.key : p)).join('.');
  return path === '' ? issue.message : `${path}: ${issue.message}`;
}

/** A value's kind for a reason (never its content: it may be big or secret). */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (value === undefined) return 'undefined';
  if (Array.isArray(value)) return 'an array';
  if (value instanceof Uint8Array) return 'a Uint8Array';
  if (typeof value === 'object') return 'an object';
  if (typeof value === 'string') return `the string ${shown(value)}`;
  if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean')
    return `${typeof value} ${String(value)}`;
  return typeof value;
}

/** The arg count a spec takes: at least its required args, at most all. */
function arity(args: readonly ArgType[]): { min: number; max: number } {
  const min = args.findIndex(isOptional);
  return { min: min < 0 ? args.length : min, max: args.length };
}

/** Parses every wire arg by its spec (all of them: the first problem wins); a promise only when a schema is async. */
export function argsFromWire(spec: readonly ArgType[], wire: readonly Uint8Array[]): Maybe<unknown[]> {
  checkCount(spec, wire.length);
  const values = wire.map((b, i) => fromWire(argType(spec[i]), b, i));
  return values.some((v) => v instanceof Promise) ? Promise.all(values) : values;
}

/** Encodes typed args for the wire (the typed client's side); a promise only when a schema is async. */
export function argsToWire(spec: readonly ArgType[], values: readonly unknown[]): Maybe<Uint8Array[]> {
  // trailing undefined optional args are left out
  let n = values.length;
  while (n > 0 && values[n - 1] === undefined && n - 1 < spec.length && isOptional(spec[n - 1])) n--;
  checkCount(spec, n);
  const out = values.slice(0, n).map((v, i) => {
    if (v === undefined) throw new TypeMismatch(i, 'undefined (only trailing optional args can be left out)');
    const b = toWire(argType(spec[i]), v, i);
    return b instanceof Promise ? b.then((x) => nonEmpty(x, i)) : nonEmpty(b, i);
  });
  return out.some((v) => v instanceof Promise) ? Promise.all(out) : (out as Uint8Array[]);
}

/** An empty arg never arrives (uWSGI, and our server, drop empty items from a request). */
function nonEmpty(b: Uint8Array, at: number): Uint8Array {
  if (b.length === 0)
    throw new TypeMismatch(at, 'empty: uWSGI drops empty items from a request, so it would not arrive');
  return b;
}

function checkCount(spec: readonly ArgType[], n: number): void {
  const { min, max } = arity(spec);
  if (n < min || n > max) {
    const want = min === max ? `${min}` : `${min} to ${max}`;
    throw new TypeMismatch(Math.min(n, max), `takes ${want} arg${max === 1 ? '' : 's'}, got ${n}`);
  }
}

const argType = (a: ArgType): Type => (isOptional(a) ? a.type : a);
