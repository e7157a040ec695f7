// A call without a socket (node null): the registry, with the same deadline and abort as a remote call.
import { type Input, isInput } from '../codec/bytes.js';
import { RpcError } from '../rpc-error.js';
import type { Registry } from '../functions/registry.js';
import { DeadlineCallback, Deadlines } from './deadlines.js';

/**
 * A call without any socket (uWSGI's `rpc(None, ...)`), with the same deadline and abort
 * as a remote call. An empty result rejects with NO_ANSWER, as it would on the wire;
 * NOT_FOUND and FUNCTION_FAILED come from the registry. Args are passed as given (no wire,
 * so no wire limits and no dropping of empty args).
 */
export function callLocal(
  registry: Registry,
  name: Input,
  args: readonly Input[],
  timeout: number,
  signal: AbortSignal | undefined,
  deadlines: Deadlines,
): Promise<Uint8Array> {
  if (!isInput(name))
    return Promise.reject(new RpcError('INVALID', 'the function name must be a string or Uint8Array'));
  const bad = args.findIndex((a) => !isInput(a));
  if (bad >= 0) return Promise.reject(new RpcError('INVALID', `args[${bad}] must be a string or Uint8Array`));
  const label = typeof name === 'string' ? name : new TextDecoder().decode(name);
  return new Promise<Uint8Array>((resolve, reject) => {
    const wait = new DeadlineCallback(() => {
      done();
      reject(new RpcError('TIMEOUT', `local call: no result within ${timeout} ms (the function keeps running)`));
    });
    const done = (): void => {
      Deadlines.remove(wait);
      signal?.removeEventListener('abort', onAbort);
    };
    const onAbort = (): void => {
      done();
      reject(new RpcError('ABORTED', 'local call aborted (the function keeps running)', '', { cause: signal?.reason }));
    };
    if (timeout !== Infinity) deadlines.add(wait, timeout);
    signal?.addEventListener('abort', onAbort, { once: true });
    registry.call(name, ...args).then(
      (result) => {
        done();
        if (result.length === 0)
          reject(
            new RpcError(
              'NO_ANSWER',
              `local call: "${label}" returned nothing (an empty result is no answer, as on the wire)`,
            ),
          );
        else resolve(result);
      },
      (err: unknown) => {
        done();
        reject(err instanceof RpcError ? err : new RpcError('FUNCTION_FAILED', String(err), '', { cause: err }));
      },
    );
  });
}
