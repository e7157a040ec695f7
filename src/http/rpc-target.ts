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
}

/** What a local function table offers (src/server's Registry fits). */
export interface LocalFunctions {
  call(name: Uint8Array, ...args: Uint8Array[]): Promise<Uint8Array>;
  names(): string[];
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
  };
}
