// TLS for suwsgi:// nodes: one secure context per node, sessions kept for resumption, and which failures are TLS's.
import { type Socket, connect as connectTcp } from 'node:net';
import { type ConnectionOptions, type SecureContext, connect as connectTls, createSecureContext } from 'node:tls';
import type { NodeAddress } from '../address/address.js';
import type { ClientTlsOptions, Pem } from './options.js';

/** How the client opens TLS connections to one node; built once per node and reused by its connections. */
export class TlsDialer {
  private readonly context: SecureContext;
  /** The last session the node gave: the next connection resumes it (a shorter handshake). */
  private session: Buffer | undefined;

  constructor(private readonly options: ClientTlsOptions) {
    const ca =
      options.ca === undefined
        ? undefined
        : Array.isArray(options.ca)
          ? options.ca.map(text)
          : [text(options.ca as Pem)];
    this.context = createSecureContext({
      ca,
      cert: options.cert === undefined ? undefined : text(options.cert),
      key: options.key === undefined ? undefined : text(options.key),
    });
  }

  connect(host: string, port: number): Socket {
    const o: ConnectionOptions = {
      host,
      port,
      secureContext: this.context,
      rejectUnauthorized: this.options.rejectUnauthorized !== false,
      session: this.session,
    };
    // SNI takes a host name, never an IP address (RFC 6066)
    const servername = this.options.servername ?? (isIp(host) ? undefined : host);
    if (servername !== undefined) o.servername = servername;
    const socket = connectTls(o);
    socket.setNoDelay(true);
    socket.on('session', (session: Buffer) => {
      this.session = session;
    });
    return socket;
  }
}

/**
 * A socket to `address`, and the event after which calls may be written: 'secureConnect' over
 * TLS (the handshake is done), 'connect' otherwise.
 */
export function dial(address: NodeAddress, tls: TlsDialer | null): { socket: Socket; ready: string } {
  if (address.kind === 'unix') return { socket: connectTcp({ path: address.path }), ready: 'connect' };
  if (tls === null)
    return { socket: connectTcp({ host: address.host, port: address.port, noDelay: true }), ready: 'connect' };
  return { socket: tls.connect(address.host, address.port), ready: 'secureConnect' };
}

const pemDecoder = new TextDecoder();

function text(pem: Pem): string {
  return typeof pem === 'string' ? pem : pemDecoder.decode(pem);
}

function isIp(host: string): boolean {
  return host.includes(':') || /^[0-9.]+$/.test(host);
}

/**
 * An error of TLS itself: OpenSSL's (an alert from the peer, a bad record: `library` is set),
 * or the node's certificate refused by this side (Node's verification codes).
 */
export function isTlsError(err: unknown): boolean {
  if (!(err instanceof Error)) return false;
  const e = err as NodeJS.ErrnoException & { library?: string };
  if (e.library !== undefined) return true;
  const code = e.code ?? '';
  return (
    code.startsWith('ERR_SSL_') ||
    code.startsWith('ERR_TLS_') ||
    /^(CERT_|UNABLE_TO_|DEPTH_ZERO_|SELF_SIGNED_|HOSTNAME_|INVALID_CA|PATH_LENGTH_|ERR_OSSL_)/.test(code)
  );
}
