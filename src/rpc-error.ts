/** Stable codes of RPC call failures (client and local calls). */
export type RpcErrorCode =
  /** the node refused the connection (nothing listens there) */
  | 'REFUSED'
  /** no complete answer within the timeout */
  | 'TIMEOUT'
  /** the caller's AbortSignal fired */
  | 'ABORTED'
  /**
   * the node closed without an answer: unknown function, the function failed, or its result was empty (uWSGI's wire
   * behaviour)
   */
  | 'NO_ANSWER'
  /** the answer is not a valid uwsgi response */
  | 'MALFORMED'
  /** the request cannot be encoded (name, arg count or body over the limits); nothing was sent */
  | 'TOO_LARGE'
  /** a bad argument to the client itself (node address, name type ...) */
  | 'INVALID'
  /** typed functions: an arg does not fit the function's spec (nothing was sent, or the function did not run) */
  | 'INVALID_ARGS'
  /** local call: no function of that name is registered */
  | 'NOT_FOUND'
  /** local call: the function threw or rejected */
  | 'FUNCTION_FAILED'
  /** the connection failed otherwise (reset, unreachable ...) */
  | 'CONNECTION'
  /** TLS failed: the handshake (no common protocol, not a TLS socket), or a certificate refused by either side */
  | 'TLS';

export class RpcError extends Error {
  readonly code: RpcErrorCode;
  /** the node called ('' for local) */
  readonly node: string;

  constructor(code: RpcErrorCode, message: string, node = '', options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'RpcError';
    this.code = code;
    this.node = node;
  }
}
