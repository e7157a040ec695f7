// defineFunctions: a catalog of typed functions (specs, docs and handlers), checked once where it is defined.
import { type ArgType, type ArgsOf, type Type, type ValueOf, isOptional, isType } from './types.js';

/** What a typed function is: its arg and result types, and (where it is served) the handler. */
export interface FunctionSig {
  readonly args: readonly ArgType[];
  readonly result: Type;
  readonly doc?: string;
}

/** A typed function as defined: its types, its doc, and its handler (absent in a catalog only for calling). */
export interface FunctionDef<A extends readonly ArgType[] = readonly ArgType[], R extends Type = Type>
  extends FunctionSig {
  readonly args: A;
  readonly result: R;
  // biome-ignore lint/suspicious/noExplicitAny: a handler of any catalog (its own parameters are checked where it is defined)
  readonly run?: (...args: any[]) => ValueOf<R> | Promise<ValueOf<R>>;
}

const CATALOG: unique symbol = Symbol.for('uwsgi-rpc.catalog');

/** Typed functions by name, from defineFunctions: for `register(catalog)` and `client.bind(node, catalog)`. */
export type Catalog<D extends Record<string, FunctionSig> = Record<string, FunctionSig>> = {
  readonly [K in keyof D]: D[K];
} & { readonly [CATALOG]: true };

/**
 * Defines typed functions: each has `args` (t.* types), a `result` type, an optional `doc`
 * and its handler `run`, whose parameter and return types are inferred from the specs. A
 * catalog without handlers is still good for `client.bind` (what `uwsgi-rpc stubs` writes).
 */
// Two type parameters, each inferred from its own property (args, result): one for the whole
// definition would also take in `run`, and then could not give `run` its parameter types.
export function defineFunctions<
  const A extends Record<string, readonly ArgType[]>,
  const R extends Record<string, Type>,
>(
  defs: {
    [K in keyof A]: {
      readonly args: A[K];
      readonly doc?: string;
      readonly run?: (...args: ArgsOf<A[K]>) => ValueOf<R[K & keyof R]> | Promise<ValueOf<R[K & keyof R]>>;
    };
  } & { [K in keyof R]: { readonly result: R[K] } },
): Catalog<{ [K in keyof A & keyof R]: { readonly args: A[K]; readonly result: R[K]; readonly doc?: string } }> {
  if (typeof defs !== 'object' || defs === null) throw new TypeError('defineFunctions(defs): defs is not an object');
  for (const [name, def] of Object.entries(defs)) checkDef(name, def as FunctionDef);
  return Object.freeze(Object.assign(Object.create(null), defs, { [CATALOG]: true }));
}

export function isCatalog(x: unknown): x is Catalog {
  return typeof x === 'object' && x !== null && (x as Catalog)[CATALOG] === true;
}

/** The functions of a catalog, by name. */
export function entries(catalog: Catalog): [string, FunctionDef][] {
  return Object.entries(catalog) as [string, FunctionDef][];
}

function checkDef(name: string, def: FunctionDef): void {
  const where = `defineFunctions: ${JSON.stringify(name)}`;
  if (typeof def !== 'object' || def === null) throw new TypeError(`${where} is not an object`);
  if (name.length === 0) throw new TypeError('defineFunctions: a function name is empty');
  if (!Array.isArray(def.args)) throw new TypeError(`${where}: args must be an array of t.* types`);
  let optionalAt = -1;
  def.args.forEach((a, i) => {
    if (isOptional(a)) {
      if (optionalAt < 0) optionalAt = i;
    } else if (!isType(a)) {
      throw new TypeError(`${where}: args[${i}] is not a t.* type`);
    } else if (optionalAt >= 0) {
      throw new TypeError(
        `${where}: args[${i}] is required after the optional args[${optionalAt}] (only trailing args can be left out)`,
      );
    }
  });
  if (!isType(def.result))
    throw new TypeError(`${where}: result must be a t.* type (not optional: an empty answer is no answer on the wire)`);
  if (def.doc !== undefined && typeof def.doc !== 'string') throw new TypeError(`${where}: doc must be a string`);
  if (def.run !== undefined && typeof def.run !== 'function') throw new TypeError(`${where}: run must be a function`);
}
