// client.bind(node, catalog): typed methods over RpcClient.call, args checked before anything is sent.
import { InvalidArgs } from '../functions/typed-function.js';
import { RpcError } from '../rpc-error.js';
import type { Catalog, FunctionSig } from '../typed/catalog.js';
import { TypeMismatch } from '../typed/invalid.js';
import type { ArgsOf, ValueOf } from '../typed/types.js';
import { argsToWire, fromWire } from '../typed/wire.js';
import type { CallOptions } from './options.js';

/** The typed methods of a catalog on one node: each takes and resolves with the values of its types. */
export type Bound<C> = {
  readonly [K in keyof C as K extends string ? (C[K] extends FunctionSig ? K : never) : never]: C[K] extends FunctionSig
    ? (...args: ArgsOf<C[K]['args']>) => Promise<ValueOf<C[K]['result']>>
    : never;
};

/** What bind needs of a client. */
type Call = (node: string | null, name: string, args: Uint8Array[], options: CallOptions) => Promise<Uint8Array>;

/**
 * Typed methods for every function of `catalog` on `node`: args are checked and written by
 * their types before anything is sent (RpcError INVALID_ARGS, with `position` and `reason`);
 * the result is read and validated by its type (MALFORMED with the reason when it does not fit).
 */
export function bindCatalog<C extends Catalog>(
  call: Call,
  node: string | null,
  catalog: C,
  options: CallOptions,
): Bound<C> {
  const label = node ?? '';
  const out: Record<string, (...args: unknown[]) => Promise<unknown>> = {};
  for (const [name, sig] of Object.entries(catalog) as [string, FunctionSig][]) {
    out[name] = async (...args: unknown[]) => {
      let wire: Uint8Array[];
      try {
        wire = await argsToWire(sig.args, args);
      } catch (err) {
        if (err instanceof TypeMismatch) throw new InvalidArgs(name, err, label);
        throw err;
      }
      const result = await call(node, name, wire, options);
      try {
        return await fromWire(sig.result, result, 'result');
      } catch (err) {
        if (err instanceof TypeMismatch)
          throw new RpcError('MALFORMED', `${label || 'local call'}: ${name}: ${err.message}`, label, { cause: err });
        throw err;
      }
    };
  }
  return Object.freeze(out) as unknown as Bound<C>;
}
