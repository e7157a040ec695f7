import { RpcError } from '../rpc-error.js';

/** Where a call goes: a TCP host and port, or a unix socket path. */
export type NodeAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number; readonly key: string }
  | { readonly kind: 'unix'; readonly path: string; readonly key: string };

const PORT = /^[0-9]{1,5}$/;

/**
 * Reads a node the way uWSGI names sockets: 'host:port', ':port' (127.0.0.1),
 * '[v6]:port', a unix socket path (anything with a '/', or a name ending in '.sock'),
 * '@name' for a Linux abstract socket. null, undefined and '' mean a local call: null.
 */
export function parseNode(node: string | null | undefined): NodeAddress | null {
  if (node === null || node === undefined || node === '') return null;
  if (typeof node !== 'string') throw new RpcError('INVALID', `node must be a string or null, got ${typeof node}`);
  if (node.includes('/')) return { kind: 'unix', path: node, key: node };
  if (node.startsWith('@') && node.length > 1) return { kind: 'unix', path: `\0${node.slice(1)}`, key: node };
  const colon = node.lastIndexOf(':');
  if (colon < 0) {
    if (node.endsWith('.sock')) return { kind: 'unix', path: node, key: node };
    throw new RpcError('INVALID', `node "${node}": use host:port, :port, [v6]:port or a unix socket path`, node);
  }
  let host = node.slice(0, colon);
  const portText = node.slice(colon + 1);
  const port = Number(portText);
  if (!PORT.test(portText) || port < 1 || port > 65535) {
    throw new RpcError('INVALID', `node "${node}": the port must be 1..65535`, node);
  }
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '127.0.0.1';
  return { kind: 'tcp', host, port, key: host.includes(':') ? `[${host}]:${port}` : `${host}:${port}` };
}
