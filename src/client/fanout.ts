// Fan-out: the same call on every node at once, one outcome per node.
import type { Input } from '../codec/bytes.js';
import { RpcError } from '../rpc-error.js';
import type { Caller } from './caller.js';
import type { CallOptions } from './options.js';

/** One node's outcome of a fan-out: its result or its error, never both. */
export type FanoutResult =
  | { node: string | null; ok: true; value: Uint8Array }
  | { node: string | null; ok: false; error: RpcError };

/** The same call on every node at once; results in node order, each node's failure its own. */
export async function fanout(
  client: Caller,
  nodes: readonly (string | null)[],
  name: Input,
  args: readonly Input[],
  options: CallOptions,
): Promise<FanoutResult[]> {
  if (!Array.isArray(nodes)) throw new RpcError('INVALID', 'nodes must be an array');
  return Promise.all(
    nodes.map((node) =>
      client.call(node, name, args, options).then(
        (value): FanoutResult => ({ node, ok: true, value }),
        (error: RpcError): FanoutResult => ({ node, ok: false, error }),
      ),
    ),
  );
}
