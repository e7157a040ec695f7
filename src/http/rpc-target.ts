// RpcTarget: how routes and bridges call a function, here or on another node (function names and args cross it as
// bytes).

import type { FunctionSig } from '../typed/catalog.js';

/** Function names and args cross this boundary as bytes; results come back as bytes. */
export interface RpcTarget {
  /**
   * Calls `name` here (`node` null) or on a remote uwsgi node (`host:port`, a socket path).
   * Resolves with the result (possibly empty); rejects when there is none (unknown function,
   * failure, connection problem), with an RpcError where the reason is known.
   */
  call(node: string | null, name: Uint8Array, args: Uint8Array[]): Promise<Uint8Array>;
  /** The names of the functions registered here (XML-RPC's system.listMethods). */
  names(): string[];
  /** The spec of a typed function registered here; undefined for an untyped or unknown one (or no such support). */
  spec?(name: string): FunctionSig | undefined;
  /** Whether typed functions are registered here (then the bridges offer introspection). */
  typed?(): boolean;
}
