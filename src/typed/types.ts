// The type specs of typed functions (`t.int()` ...) and what TypeScript infers from them.
import type { SchemaOutput, StandardSchemaV1 } from './standard-schema.js';

/** JSON values: what `t.json()` carries without a schema. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** The kinds of value a typed function takes or returns (each one binary string on the wire). */
export type Kind = 'string' | 'int' | 'bigint' | 'number' | 'bool' | 'bytes' | 'json' | 'enum';

/** One arg's or result's type; `T` is the value a handler sees. */
export interface Type<T = unknown> {
  readonly kind: Kind;
  /** t.enum: the allowed values. */
  readonly values?: readonly string[];
  /** t.json: the Standard Schema values are validated against. */
  readonly schema?: StandardSchemaV1;
  /** Type-level only: the value type. */
  readonly '~value'?: T;
}

/** t.optional(x): the arg may be left out (only trailing args can be). */
export interface Optional<T = unknown> {
  readonly kind: 'optional';
  readonly type: Type<T>;
  readonly '~value'?: T;
}

export type ArgType = Type | Optional;

/** The value of a type spec. */
export type ValueOf<S> = S extends Optional<infer T> ? T : S extends Type<infer T> ? T : never;

/** A handler's parameters from its arg specs: t.optional ones become optional parameters. */
export type ArgsOf<A extends readonly ArgType[]> = A extends readonly [infer H, ...infer R extends readonly ArgType[]]
  ? H extends Optional<infer T>
    ? [T?, ...ArgsOf<R>]
    : [ValueOf<H>, ...ArgsOf<R>]
  : A extends readonly []
    ? []
    : ValueOf<A[number]>[];

const make = <T>(kind: Kind, extra: Partial<Type<T>> = {}): Type<T> => Object.freeze({ kind, ...extra });

/** The type builders: each arg and result of a typed function is one of these. */
export const t = {
  /** Text; valid UTF-8 on the wire. */
  string: (): Type<string> => make('string'),
  /** A safe integer (|n| < 2^53), decimal text on the wire. */
  int: (): Type<number> => make('int'),
  /** A 64-bit signed integer, decimal text on the wire. */
  bigint: (): Type<bigint> => make('bigint'),
  /** A finite number, decimal text on the wire. */
  number: (): Type<number> => make('number'),
  /** true/false: 1/0 on the wire (true/True/TRUE and false/False/FALSE are read too). */
  bool: (): Type<boolean> => make('bool'),
  /** Raw bytes. */
  bytes: (): Type<Uint8Array> => make('bytes'),
  /** A JSON value (JSON text on the wire), validated by `schema` (any Standard Schema) when given. */
  json: <S extends StandardSchemaV1 | undefined = undefined>(
    schema?: S,
  ): Type<S extends StandardSchemaV1 ? SchemaOutput<S> : Json> => {
    if (schema !== undefined && typeof schema?.['~standard']?.validate !== 'function')
      throw new TypeError('t.json(schema): schema is not a Standard Schema (no ~standard.validate)');
    return make('json', schema === undefined ? {} : { schema });
  },
  /** An arg that may be left out (trailing args only); the handler gets undefined. */
  optional: <T>(type: Type<T>): Optional<T> => {
    if (!isType(type)) throw new TypeError('t.optional(type): type is not a t.* type');
    return Object.freeze({ kind: 'optional', type });
  },
  /** One of the given strings. */
  enum: <const V extends readonly [string, ...string[]]>(values: V): Type<V[number]> => {
    if (!Array.isArray(values) || values.length === 0 || values.some((v) => typeof v !== 'string'))
      throw new TypeError('t.enum(values): values must be a non-empty array of strings');
    return make('enum', { values: Object.freeze([...values]) });
  },
};

const KINDS: readonly string[] = ['string', 'int', 'bigint', 'number', 'bool', 'bytes', 'json', 'enum'];

export function isType(x: unknown): x is Type {
  return typeof x === 'object' && x !== null && KINDS.includes((x as Type).kind);
}

export function isOptional(x: unknown): x is Optional {
  return typeof x === 'object' && x !== null && (x as Optional).kind === 'optional' && isType((x as Optional).type);
}
