// Caller: the one method fan-out and the splitter need from a client, so they depend on it and not on RpcClient.
import type { Input } from '../codec/bytes.js';
import type { CallOptions } from './options.js';

/** Makes one call (RpcClient.call): resolves with the result's bytes, rejects with an RpcError. */
export interface Caller {
  call(node: string | null, name: Input, args: readonly Input[], options: CallOptions): Promise<Uint8Array>;
}
