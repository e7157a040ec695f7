// Binding a listener: TCP (SO_REUSEPORT where asked) or a unix socket, replacing a stale socket file.
import { lstatSync, unlinkSync } from 'node:fs';
import { type ListenOptions, type Server, connect } from 'node:net';
import { formatAddress, type SocketAddress } from '../address/address.js';
import { adoptHandedOver } from './handoff-worker.js';

/** How a socket is bound. */
export interface BindOptions {
  /** listen()'s backlog (--listen). */
  backlog?: number;
  /**
   * A TCP socket of this process's own with SO_REUSEPORT (see runtimeFeatures()): in a
   * --processes worker, the kernel then spreads connections over the workers, instead of the
   * primary accepting each one and handing it over.
   */
  reusePort?: boolean;
}

/**
 * Binds `server` to `address`; resolves with the port actually bound (0 for unix sockets). In a --processes worker
 * whose primary bound `address` itself, nothing is bound here: the server is fed the connections the primary hands
 * over (handoff-worker.ts), and the port is the primary's.
 */
export async function bind(
  server: Server,
  address: SocketAddress,
  { backlog, reusePort = false }: BindOptions = {},
): Promise<number> {
  if (!reusePort) {
    const port = adoptHandedOver(server, formatAddress(address));
    if (port !== null) return port;
  }
  if (address.kind === 'unix') await removeStaleSocket(address.path);
  await new Promise<void>((resolve, reject) => {
    const onError = (err: Error) => reject(err);
    server.once('error', onError);
    const done = () => {
      server.off('error', onError);
      resolve();
    };
    if (address.kind === 'unix') server.listen({ path: address.path, backlog }, done);
    else if (reusePort)
      server.listen(
        { port: address.port, host: address.host, backlog, exclusive: true, reusePort } as ListenOptions,
        done,
      );
    else server.listen({ port: address.port, host: address.host, backlog }, done);
  });
  const bound = server.address();
  return typeof bound === 'object' && bound !== null ? bound.port : 0;
}

/**
 * A socket file left by a process that died would make listen() fail with EADDRINUSE.
 * Remove it only when nothing answers on it: never steal a live server's socket, and never
 * delete a file that is not a socket.
 */
async function removeStaleSocket(path: string): Promise<void> {
  let isSocket: boolean;
  try {
    isSocket = lstatSync(path).isSocket();
  } catch {
    return;
  }
  if (!isSocket) return;
  const alive = await new Promise<boolean>((resolve) => {
    const probe = connect(path);
    probe.once('connect', () => {
      probe.destroy();
      resolve(true);
    });
    probe.once('error', (err: NodeJS.ErrnoException) => resolve(err.code !== 'ECONNREFUSED' && err.code !== 'ENOENT'));
  });
  if (!alive) {
    try {
      unlinkSync(path);
    } catch {
      // someone else removed it: listen() will tell if the path is still unusable
    }
  }
}
