// uWSGI-style socket addresses, read and written in one place: where the server listens
// and where the client calls (host:port, [v6]:port, :port, a unix socket path, @abstract,
// suwsgi://host:port for the uwsgi protocol over TLS).
import { RpcError } from '../rpc-error.js';

/** A socket: a TCP host and port, or a unix socket path (`\0name` for a Linux abstract socket). */
export type SocketAddress =
  | { readonly kind: 'tcp'; readonly host: string; readonly port: number }
  | { readonly kind: 'unix'; readonly path: string };

/**
 * Where a call goes, with the key its connections are pooled under (the address as formatAddress writes it, with
 * `suwsgi://` in front for a TLS node) and whether the uwsgi protocol goes over TLS there.
 */
export type NodeAddress = SocketAddress & { readonly key: string; readonly tls: boolean };

/** The scheme of uwsgi over TLS, as nginx's `uwsgi_pass suwsgi://` names it. */
export const TLS_SCHEME = 'suwsgi://';
/** The plain scheme, accepted for symmetry (`uwsgi://host:port` is host:port). */
const PLAIN_SCHEME = 'uwsgi://';

/** Why a text is no address: not of any form below, or its port is not 0..65535. */
type Fault = 'form' | 'port';

/**
 * The grammar, as uWSGI names sockets: `host:port`, `[v6]:port`, `:port` (127.0.0.1: we
 * use loopback unless told otherwise, where uWSGI would take every interface), a unix
 * socket path (anything with a `/`, or a name ending in `.sock`), or `@name` for a Linux
 * abstract socket. A port is decimal digits, at most 65535.
 */
function read(text: string): SocketAddress | Fault {
  if (text.includes('/')) return { kind: 'unix', path: text };
  if (text.startsWith('@') && text.length > 1) return { kind: 'unix', path: `\0${text.slice(1)}` };
  const colon = text.lastIndexOf(':');
  if (colon < 0) return text.endsWith('.sock') ? { kind: 'unix', path: text } : 'form';
  let host = text.slice(0, colon);
  const portText = text.slice(colon + 1);
  const port = Number(portText);
  if (!/^[0-9]+$/.test(portText) || port > 65535) return 'port';
  if (host.startsWith('[') && host.endsWith(']')) host = host.slice(1, -1);
  if (host === '') host = '127.0.0.1';
  return { kind: 'tcp', host, port };
}

/** Where to listen: an address, or a port number alone (127.0.0.1); port 0 asks for any free port. */
export function parseAddress(address: string | number): SocketAddress {
  if (typeof address === 'number') address = `:${address}`;
  if (typeof address !== 'string' || address === '')
    throw new RpcError('INVALID', `bad socket address ${JSON.stringify(address)}`);
  const a = read(address);
  if (a === 'form')
    throw new RpcError(
      'INVALID',
      `bad socket address "${address}": use HOST:PORT, :PORT, a unix socket path or @abstract`,
    );
  if (a === 'port') throw new RpcError('INVALID', `bad port in socket address "${address}"`);
  return a;
}

/**
 * Where a call goes: null, undefined and '' mean a local call (null); a TCP port must be 1..65535.
 * `suwsgi://host:port` is a TLS node (TCP only, as nginx's suwsgi://); `uwsgi://host:port` is host:port.
 */
export function parseNode(node: string | null | undefined): NodeAddress | null {
  if (node === null || node === undefined || node === '') return null;
  if (typeof node !== 'string') throw new RpcError('INVALID', `node must be a string or null, got ${typeof node}`);
  const tls = node.startsWith(TLS_SCHEME);
  const rest = tls
    ? node.slice(TLS_SCHEME.length)
    : node.startsWith(PLAIN_SCHEME)
      ? node.slice(PLAIN_SCHEME.length)
      : node;
  const a = rest === node ? read(node) : rest.includes('/') ? 'form' : read(rest);
  if (a === 'form')
    throw new RpcError(
      'INVALID',
      `node "${node}": use host:port, :port, [v6]:port, a unix socket path or suwsgi://host:port`,
      node,
    );
  if (a === 'port' || (a.kind === 'tcp' && a.port === 0))
    throw new RpcError('INVALID', `node "${node}": the port must be 1..65535`, node);
  if (tls && a.kind !== 'tcp') throw new RpcError('INVALID', `node "${node}": suwsgi:// takes host:port`, node);
  return { ...a, key: tls ? `${TLS_SCHEME}${formatAddress(a)}` : formatAddress(a), tls };
}

/** The address as text again, with the real port (`[::1]:3031` for IPv6, `@name` for an abstract socket). */
export function formatAddress(a: SocketAddress): string {
  if (a.kind === 'unix') return a.path.startsWith('\0') ? `@${a.path.slice(1)}` : a.path;
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
