// A typed function called from a bridge: params already turned into wire args, the result read back by its type;
// args that do not fit (here or where the function runs) are told apart from failures.
import type { RpcTarget } from '../http/rpc-target.js';
import { InvalidArgs } from '../functions/typed-function.js';
import { RpcError } from '../rpc-error.js';
import type { FunctionSig } from '../typed/catalog.js';
import { TypeMismatch } from '../typed/invalid.js';
import { fromWire } from '../typed/wire.js';

/** What became of a typed call from a bridge. */
export type TypedOutcome =
  | { readonly kind: 'result'; readonly value: unknown }
  | { readonly kind: 'invalid'; readonly position: number; readonly reason: string }
  | { readonly kind: 'not-found' }
  | { readonly kind: 'failed'; readonly error: unknown };

const encoder = new TextEncoder();

/**
 * Calls typed function `name` here with `toWire()`'s args (which throws TypeMismatch for a
 * param that does not fit) and reads its result by its type. Args that do not fit are
 * logged once (`bridge` names the bridge), as on the uwsgi socket; the caller is told too.
 */
export async function callTyped(
  target: RpcTarget,
  name: string,
  sig: FunctionSig,
  toWire: () => Uint8Array[],
  bridge: string,
  log: (line: string) => void,
): Promise<TypedOutcome> {
  const invalid = (position: number, reason: string): TypedOutcome => {
    log(`${bridge} bridge: function ${JSON.stringify(name)} not run: invalid arg ${position}: ${reason}`);
    return { kind: 'invalid', position, reason };
  };
  let args: Uint8Array[];
  try {
    args = toWire();
  } catch (err) {
    if (err instanceof TypeMismatch) return invalid(err.position as number, err.reason);
    throw err;
  }
  let result: Uint8Array;
  try {
    result = await target.call(null, encoder.encode(name), args);
  } catch (err) {
    if (err instanceof InvalidArgs) return invalid(err.position, err.reason);
    if (err instanceof RpcError && err.code === 'NOT_FOUND') return { kind: 'not-found' };
    return { kind: 'failed', error: err };
  }
  try {
    return { kind: 'result', value: await fromWire(sig.result, result, 'result') };
  } catch (err) {
    return { kind: 'failed', error: err };
  }
}
