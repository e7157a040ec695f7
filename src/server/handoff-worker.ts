// A worker's side of the primary's connection hand-off (handoff-messages.ts): a listener the primary bound is not
// bound again here; its server is fed the connections the primary sends, each one only read once the primary knows
// this worker has it, so a worker killed in between has read nothing and the primary can give it to another.
import { Socket, type Server } from 'node:net';
import { HANDOFF_ENV, type ConnMessage, type FeedMessage, type TakenMessage } from './handoff-messages.js';

/** Node's own accept path keeps these on a server (net.js onconnection); a fed connection is counted the same way. */
interface NodeServer extends Server {
  _connections: number;
  noDelay?: boolean;
  keepAlive?: boolean;
  keepAliveInitialDelay?: number;
  allowHalfOpen?: boolean;
  pauseOnConnect?: boolean;
}

/** The handle a descriptor arrives as (a TCP or Pipe wrap): what `new Socket({ handle })` takes. */
type NativeHandle = object;

const fed = new Map<string, NodeServer>();
let handoff: Record<string, number> | null | undefined;

/** The listeners the primary bound and hands over (`key` → port), or null when this process binds its own. */
function listeners(): Record<string, number> | null {
  if (handoff !== undefined) return handoff;
  const text = process.send === undefined ? undefined : process.env[HANDOFF_ENV];
  handoff = text === undefined ? null : (JSON.parse(text) as Record<string, number>);
  // not for the processes a function of this worker may start
  delete process.env[HANDOFF_ENV];
  if (handoff !== null) process.on('message', onMessage);
  return handoff;
}

/**
 * When the primary hands over `key`'s connections: feeds them to `server` and returns the port the primary bound
 * (0 for a unix socket). Null when this process must bind `key` itself.
 */
export function adoptHandedOver(server: Server, key: string): number | null {
  const port = listeners()?.[key];
  if (port === undefined) return null;
  fed.set(key, server as NodeServer);
  // From close() on it takes no more (the primary gives them to another worker). A server that never listened
  // emits 'close' only once its connections are gone, too late to stop feeding it: close() itself is the mark.
  const close = server.close;
  server.close = function (this: Server, ...args: Parameters<Server['close']>) {
    if (fed.get(key) === server) fed.delete(key);
    return close.apply(this, args);
  };
  const m: FeedMessage = { uwsgiRpcFeed: { key } };
  process.send?.(m);
  return port;
}

function onMessage(m: Partial<ConnMessage>, handle: unknown): void {
  const conn = m?.uwsgiRpcConn;
  if (conn === undefined) return;
  const server = fed.get(conn.key);
  const taken = server !== undefined && handle !== undefined && handle !== null;
  const reply: TakenMessage = { uwsgiRpcTaken: { id: conn.id, taken } };
  if (!taken) {
    // ours no longer: the primary still holds it and gives it to another worker
    (handle as { close?: () => void } | undefined)?.close?.();
    process.send?.(reply);
    return;
  }
  // Only once the answer is written: from then on the primary would not give it to anyone else.
  process.send?.(reply, undefined, {}, (err) => {
    if (err) {
      (handle as { close?: () => void }).close?.();
      return;
    }
    accept(server as NodeServer, handle as NativeHandle);
  });
}

/** What net.Server does with a connection it accepted itself (net.js onconnection), for one that was handed over. */
function accept(server: NodeServer, handle: NativeHandle): void {
  if (
    server.maxConnections !== undefined &&
    server.maxConnections > 0 &&
    server._connections >= server.maxConnections
  ) {
    (handle as { close?: () => void }).close?.();
    return;
  }
  const socket = new Socket({
    handle,
    allowHalfOpen: server.allowHalfOpen,
    pauseOnCreate: server.pauseOnConnect,
    readable: true,
    writable: true,
  } as ConstructorParameters<typeof Socket>[0]);
  if (server.noDelay) socket.setNoDelay(true);
  if (server.keepAlive) socket.setKeepAlive(true, server.keepAliveInitialDelay);
  server._connections++;
  // net.Socket counts itself off its server as it closes (and the server's close() waits for that)
  (socket as unknown as { server: Server; _server: Server }).server = server;
  (socket as unknown as { _server: Server })._server = server;
  server.emit('connection', socket);
}
