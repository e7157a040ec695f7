// The RpcTarget routes and bridges call through: local names to a function table, name@node to a remote call.
import type { RpcTarget } from '../http/rpc-target.js';
import type { FunctionSig } from '../typed/catalog.js';

/** What a local function table offers (the Registry fits). */
export interface LocalFunctions {
  call(name: Uint8Array, ...args: Uint8Array[]): Promise<Uint8Array>;
  names(): string[];
  /** Typed functions' specs (the Registry has them). */
  spec?(name: string): FunctionSig | undefined;
  readonly typed?: boolean;
}

/** A call to a remote node (the client's job). */
export type RemoteCall = (node: string, name: Uint8Array, args: Uint8Array[]) => Promise<Uint8Array>;

/** Local calls go to `local`; `name@node` calls go to `remote`, or fail when there is none. */
export function rpcTarget(local: LocalFunctions, remote?: RemoteCall): RpcTarget {
  return {
    call(node, name, args) {
      if (node === null || node === '') return local.call(name, ...args);
      if (remote === undefined) return Promise.reject(new Error(`no client for remote calls (to ${node})`));
      return remote(node, name, args);
    },
    names: () => local.names(),
    spec: (name) => local.spec?.(name),
    typed: () => local.typed === true,
  };
}
