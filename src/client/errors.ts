// The client's errors: codec refusals and socket failures as RpcError, and which calls never left.
import { CodecError } from '../codec/errors.js';
import { RpcError } from '../rpc-error.js';
import { isTlsError } from './tls.js';

/**
 * Errors of calls that certainly never reached a node: the connection was never made, or
 * the call was still waiting for one. Only these may be sent elsewhere without the
 * caller's consent (see Splitter).
 */
const unsent = new WeakSet<RpcError>();

export function neverSent(err: RpcError): RpcError {
  unsent.add(err);
  return err;
}

export function wasNeverSent(err: unknown): boolean {
  return err instanceof RpcError && unsent.has(err);
}

/**
 * What NO_ANSWER says: the node closed without a byte of answer, which is all uWSGI tells of an
 * unknown function, a failed one or an empty result — and of a uWSGI node started without its
 * rpc plugin (`unavailable modifier requested: 173` in its log).
 */
export const NO_ANSWER_MESSAGE =
  'closed without an answer (unknown function, the function failed or returned nothing; ' +
  'a uWSGI node without its rpc plugin also answers so)';

/** A codec refusal of a request: over a limit → TOO_LARGE, a bad input type → INVALID. */
export function requestError(err: unknown, node: string): RpcError {
  if (err instanceof RpcError) return err;
  if (err instanceof CodecError) {
    const code = err.code === 'INVALID_INPUT' || err.code === 'INVALID_MODIFIER' ? 'INVALID' : 'TOO_LARGE';
    return new RpcError(code, `cannot send the call: ${err.message}`, node, { cause: err });
  }
  return asRpcError(err, node);
}

/** Anything thrown inside the client, as an RpcError (the client rejects with nothing else). */
export function asRpcError(err: unknown, node: string): RpcError {
  if (err instanceof RpcError) return err;
  const message = err instanceof Error ? err.message : String(err);
  return new RpcError('CONNECTION', message, node, { cause: err });
}

/**
 * A failure to connect: nothing listening → REFUSED; the TLS handshake failed (`handshaking`: the TCP connection
 * was made) or a TLS error → TLS, with OpenSSL's or the verifier's reason; anything else → CONNECTION. Never sent.
 */
export function connectError(err: Error | null, node: string, handshaking = false): RpcError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  if (code === 'ECONNREFUSED' || code === 'ENOENT') {
    return neverSent(new RpcError('REFUSED', `${node}: connection refused (${code})`, node, { cause: err }));
  }
  if (handshaking || isTlsError(err)) return neverSent(tlsError(err, node));
  const why = err ? err.message : 'closed while connecting';
  return neverSent(new RpcError('CONNECTION', `${node}: cannot connect: ${why}`, node, { cause: err ?? undefined }));
}

/** The TLS handshake failed, or the peer refused this side's certificate after it (a TLS 1.3 alert). */
export function tlsError(err: Error | null, node: string): RpcError {
  const verify = (err as NodeJS.ErrnoException | null)?.code;
  let why: string;
  if (err === null || (verify === 'ECONNRESET' && !isTlsError(err)))
    why = 'the node closed during the handshake (is it a TLS socket? does it want a client certificate?)';
  else {
    // OpenSSL's reason alone ('tlsv13 alert certificate required'), not its error-stack text
    const reason = (err as Error & { reason?: string }).reason ?? err.message;
    why = isTlsError(err) && verify !== undefined && !reason.includes(verify) ? `${reason} (${verify})` : reason;
  }
  return new RpcError('TLS', `${node}: TLS: ${why}`, node, { cause: err ?? undefined });
}
