// The module-level rpc() and rpcText(), over one shared default RpcClient.
import type { Input } from '../codec/bytes.js';
import { RpcClient } from './client.js';

let shared: RpcClient | undefined;

/** The client behind the module-level helpers: default options (one connection per call, 4 s timeout). */
function defaultClient(): RpcClient {
  return (shared ??= new RpcClient());
}

/** `rpc(node, name, ...args)` with the default client: the result's bytes; node null or '' calls locally. */
export function rpc(node: string | null, name: Input, ...args: Input[]): Promise<Uint8Array> {
  return defaultClient().call(node, name, args);
}

/** `rpc(...)` with the result as UTF-8 text. */
export function rpcText(node: string | null, name: Input, ...args: Input[]): Promise<string> {
  return defaultClient().rpcText(node, name, ...args);
}
