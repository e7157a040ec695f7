// TLS sockets (uWSGI's --ssl-socket, --https-socket): their certificates loaded, re-loaded on SIGHUP, and refusals
// told in one log line each.
import { readFileSync } from 'node:fs';
import type { Server, Socket } from 'node:net';
import {
  type SecureContextOptions,
  type TLSSocket,
  type TlsOptions,
  Server as TlsServer,
  createSecureContext,
} from 'node:tls';
import { RpcError } from '../rpc-error.js';
import type { LogLine } from './log.js';
import type { ServerTlsOptions } from './options.js';

/** OpenSSL's error when a socket requiring a client certificate got none (it sends the client an alert). */
const NO_CLIENT_CERTIFICATE = 'ERR_SSL_PEER_DID_NOT_RETURN_A_CERTIFICATE';
/** uWSGI's test: a value beginning so is PEM text, anything else a file name. */
const PEM_START = '-----BEGIN ';

/** The PEM of `v` (read from its file when it names one); INVALID when the file cannot be read. */
function pem(v: string | Uint8Array, what: string): string | Buffer {
  if (typeof v !== 'string') return Buffer.from(v);
  if (v.startsWith(PEM_START)) return v;
  try {
    return readFileSync(v);
  } catch (err) {
    throw new RpcError('INVALID', `TLS ${what} ${v}: ${(err as Error).message}`, '', { cause: err });
  }
}

/** The secure context's settings: files read now; bad PEM refused here, not at the first handshake. */
export function loadTls(o: ServerTlsOptions): SecureContextOptions {
  if (typeof o !== 'object' || o === null || o.cert === undefined || o.key === undefined)
    throw new RpcError('INVALID', 'tls needs a cert and a key');
  const ca = typeof o.ca === 'string' && o.ca.startsWith('!') ? o.ca.slice(1) : o.ca;
  const settings: SecureContextOptions = { cert: pem(o.cert, 'certificate'), key: pem(o.key, 'key') };
  if (ca !== undefined && ca !== '') settings.ca = pem(ca, 'CA');
  if (o.ciphers !== undefined && o.ciphers !== '') {
    settings.ciphers = o.ciphers;
    settings.honorCipherOrder = true;
  }
  try {
    // a certificate and key that do not match, bad PEM or an unknown cipher list fail here
    createSecureContext(settings);
  } catch (err) {
    throw new RpcError('INVALID', `TLS: ${(err as Error).message}`, '', { cause: err });
  }
  return settings;
}

/**
 * The options a TLS server (uwsgi or HTTPS) is made with: the certificates, and a client certificate required when a
 * CA is given. Node's rejectUnauthorized then refuses a client without one inside the handshake (a TLS alert tells the
 * client why) and closes right after it on a certificate that does not verify (no alert: the client sees the
 * connection close). The handshake must end within `handshakeTimeout` ms (--socket-timeout; 0: none).
 */
export function tlsServerOptions(settings: SecureContextOptions, handshakeTimeout: number): TlsOptions {
  const requestCert = settings.ca !== undefined;
  return {
    ...settings,
    requestCert,
    rejectUnauthorized: requestCert,
    handshakeTimeout: handshakeTimeout === 0 ? 2 ** 31 - 1 : handshakeTimeout,
  };
}

/** The plain socket under a TLS socket of a server (Node keeps it as `_parent`). */
function rawOf(socket: TLSSocket): Socket | undefined {
  return (socket as TLSSocket & { _parent?: Socket })._parent;
}

/**
 * Refusals on a TLS server, one log line each: a client certificate missing or not verified, a failed or timed-out
 * handshake. A connection that leaves without a byte (a TCP health check) is no refusal. Returns what closes the
 * connections still in their handshake (close(): they have sent no request, and would hold it up to the timeout).
 */
export function guardTls(
  server: TlsServer,
  handshakeTimeout: number,
  listener: () => string,
  log: LogLine,
): () => void {
  // who a failed handshake came from: the TLS socket may have lost its address by the time it fails
  const peers = new WeakMap<object, string>();
  const handshaking = new Set<Socket>();
  server.prependListener('connection', (raw: Socket) => {
    peers.set(raw, `${raw.remoteAddress}:${raw.remotePort}`);
    handshaking.add(raw);
  });
  server.prependListener('secureConnection', (socket: TLSSocket) => {
    const raw = rawOf(socket);
    if (raw !== undefined) handshaking.delete(raw);
  });
  server.on('tlsClientError', (err: NodeJS.ErrnoException & { reason?: string }, socket: TLSSocket) => {
    const raw = rawOf(socket);
    if (raw !== undefined) handshaking.delete(raw);
    const who = (raw === undefined ? undefined : peers.get(raw)) ?? peer(socket);
    let why: string;
    if (err.code === 'ERR_TLS_HANDSHAKE_TIMEOUT')
      why = `no TLS handshake within ${handshakeTimeout} ms (socket-timeout)`;
    else if (err.code === NO_CLIENT_CERTIFICATE) why = 'no client certificate (this socket has a CA: one is required)';
    // set by Node's check of the client's certificate, which then closes the connection
    else if (socket.authorizationError !== undefined && socket.authorizationError !== null)
      why = `client certificate refused: ${socket.authorizationError}`;
    else if (err.code === 'ECONNRESET' && raw?.bytesRead === 0) {
      // connected and left without a byte (a TCP health check, a port probe): as on a plain socket, nothing to tell
      socket.destroy();
      return;
    } else if (err.code === 'ECONNRESET') why = 'the client closed during the TLS handshake';
    else why = `TLS handshake failed: ${err.reason ?? err.message}`;
    refused(log, listener(), who, why);
    // Node leaves a timed-out handshake's socket open
    socket.destroy();
  });
  return () => {
    for (const raw of handshaking) raw.destroy();
    handshaking.clear();
  };
}

/** A TLS server for the uwsgi protocol: its secure connections go to `onSecure`. */
export function createTlsServer(
  settings: SecureContextOptions,
  handshakeTimeout: number,
  listener: () => string,
  log: LogLine,
  onSecure: (socket: TLSSocket) => void,
): { server: TlsServer; dropHandshakes: () => void } {
  const server = new TlsServer(tlsServerOptions(settings, handshakeTimeout));
  const dropHandshakes = guardTls(server, handshakeTimeout, listener, log);
  server.on('secureConnection', (socket: TLSSocket) => {
    // Half-open once secure, as the plain socket: a client that ends its side after its requests still gets the
    // answers. Not before: a client leaving during the handshake must close the connection, not wait for its timeout.
    socket.allowHalfOpen = true;
    onSecure(socket);
  });
  return { server, dropHandshakes };
}

function peer(socket: TLSSocket): string {
  return socket.remoteAddress === undefined ? 'a client' : `${socket.remoteAddress}:${socket.remotePort}`;
}

function refused(log: LogLine, listener: string, who: string, why: string): void {
  log(`${who}: refused on ${listener}: ${why.replace(/\s*\n\s*/g, ' ')}`);
}

/** Re-reads the files of `tls` and gives the server the new context; connections open keep theirs. */
export function reloadTls(server: Server, tls: ServerTlsOptions): void {
  (server as TlsServer).setSecureContext(loadTls(tls));
}
