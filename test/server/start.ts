// The server suites' test server: an RpcServer on 127.0.0.1:0 with its log lines collected.
import { Registry, type RpcFunction } from '../../src/functions/registry.js';
import type { RpcServerOptions } from '../../src/server/options.js';
import { RpcServer } from '../../src/server/server.js';

export interface Started {
  server: RpcServer;
  address: string;
  /** The server's log lines, as they come. */
  logs: string[];
  registry: Registry;
}

/**
 * Registers `functions` in options.registry (default: a fresh one, so a test sees only its
 * own functions), then listens with the TS engine unless options say otherwise.
 */
export async function startServer(
  functions: Record<string, RpcFunction>,
  options: RpcServerOptions = {},
): Promise<Started> {
  const logs: string[] = [];
  const registry = options.registry ?? new Registry();
  for (const [name, fn] of Object.entries(functions)) registry.register(name, fn);
  const server = new RpcServer({ engine: 'ts', log: (l) => logs.push(l), ...options, registry });
  const address = await server.listen('127.0.0.1:0');
  return { server, address, logs, registry };
}
