// A typed function on the wire: its binary-string args parsed by its spec before it runs, its result written back.
import type { FunctionDef } from '../typed/catalog.js';
import { TypeMismatch } from '../typed/invalid.js';
import { argsFromWire, toWire } from '../typed/wire.js';
import { RpcError } from '../rpc-error.js';
import type { TextBytes } from './text-bytes.js';

/** Args that do not fit a typed function's spec: it did not run. */
export class InvalidArgs extends RpcError {
  readonly position: number;
  readonly reason: string;

  constructor(name: string, mismatch: TypeMismatch, node = '') {
    super('INVALID_ARGS', `${name}: ${mismatch.message}`, node, { cause: mismatch });
    this.position = mismatch.position as number;
    this.reason = mismatch.reason;
  }
}

/**
 * The RpcFunction serving a typed definition: args are parsed and validated first (any
 * problem: InvalidArgs, and the handler does not run); the result is written by its type
 * (a handler's result that does not fit is the handler's failure).
 */
export function wireFunction(
  name: string,
  def: FunctionDef,
): (...args: TextBytes[]) => Uint8Array | Promise<Uint8Array> {
  const run = def.run!;
  const answer = (value: unknown) => toWire(def.result, value, 'result');
  const call = (values: unknown[]) => {
    const result = run(...values);
    return result instanceof Promise ? result.then(answer) : answer(result);
  };
  return (...args) => {
    let values: unknown[] | Promise<unknown[]>;
    try {
      values = argsFromWire(def.args, args);
    } catch (err) {
      throw invalid(name, err);
    }
    if (values instanceof Promise)
      return values.then(call, (err) => {
        throw invalid(name, err);
      });
    return call(values);
  };
}

function invalid(name: string, err: unknown): unknown {
  return err instanceof TypeMismatch ? new InvalidArgs(name, err) : err;
}
