// What `serve --ws-socket` starts: one gateway per address over the server's registry.
import type { RpcServer } from '../server/server.js';
import { RpcGateway } from './gateway.js';

export interface GatewayServeOptions {
  /** --ws-socket HOST:PORT, repeatable. */
  sockets: readonly string[];
  /** --ws-forward NODE, repeatable: nodes func@node may name; the first takes unknown names. */
  forward: readonly string[];
  /** --ws-origin ORIGIN, repeatable ('*': any). */
  origins: readonly string[];
}

/**
 * What `serve --ws-socket` starts: one gateway per address over the server's registry.
 * Resolves with a line to print per address and a close() for shutdown.
 */
export async function startGateways(
  server: RpcServer,
  o: GatewayServeOptions,
  log: (line: string) => void,
): Promise<{ lines: string[]; close(): Promise<void> }> {
  const gateways: RpcGateway[] = [];
  const lines: string[] = [];
  const close = async () => {
    await Promise.all(gateways.map((g) => g.close()));
  };
  try {
    for (const socket of o.sockets) {
      const g = new RpcGateway({ registry: server.registry, forward: o.forward, origins: o.origins, log });
      gateways.push(g);
      const address = await g.listen(socket);
      lines.push(`uwsgi-rpc: websocket gateway on ws://${address}/ (demo page: http://${address}/)`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { lines, close };
}
