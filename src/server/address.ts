import { RpcError } from '../rpc-error.js';

/** Where a server listens: a TCP host and port, or a unix socket path. */
export type ListenAddress = { kind: 'tcp'; host: string; port: number } | { kind: 'unix'; path: string };

/**
 * Reads a uWSGI-style socket address, as the client reads nodes: `host:port`, `[v6]:port`,
 * `:port` (127.0.0.1: we bind loopback unless told otherwise, where uWSGI would take every
 * interface), a unix socket path (anything with a `/`, or a name ending in `.sock`), or
 * `@name` for a Linux abstract socket.
 */
export function parseAddress(address: string | number): ListenAddress {
  if (typeof address === 'number') address = `:${address}`;
  if (typeof address !== 'string' || address === '') throw new RpcError('INVALID', `bad socket address ${JSON.stringify(address)}`);
  if (address.includes('/')) return { kind: 'unix', path: address };
  // Linux abstract socket, as uWSGI writes it
  if (address.startsWith('@') && address.length > 1) return { kind: 'unix', path: `\0${address.slice(1)}` };
  const colon = address.lastIndexOf(':');
  if (colon < 0) {
    if (address.endsWith('.sock')) return { kind: 'unix', path: address };
    throw new RpcError('INVALID', `bad socket address "${address}": use HOST:PORT, :PORT, a unix socket path or @abstract`);
  }
  let host = address.slice(0, colon);
  const portText = address.slice(colon + 1);
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '127.0.0.1';
  const port = Number(portText);
  if (!/^\d+$/.test(portText) || port > 65535) throw new RpcError('INVALID', `bad port in socket address "${address}"`);
  return { kind: 'tcp', host, port };
}

/** The address as a string again, with the real port (`[::1]:3031` for IPv6). */
export function formatAddress(a: ListenAddress): string {
  if (a.kind === 'unix') return a.path.startsWith('\0') ? `@${a.path.slice(1)}` : a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
