// Every RpcClient option: declared, defaulted (DEFAULT_*) and checked in resolveConfig().
import type { Codec } from '../codec/codec.js';
import type { EngineChoice } from '../codec/create.js';
import { DEFAULT_MAX_RESPONSE } from '../codec/constants.js';
import type { Registry } from '../functions/registry.js';
import { TLS_SCHEME, parseNode } from '../address/address.js';
import { RpcError } from '../rpc-error.js';

/**
 * Whole-call deadline: connecting, sending, the function's run time and reading the answer.
 * 4 s is uWSGI's own default socket-timeout, which bounds each step of its `uwsgi.rpc()`.
 */
export const DEFAULT_TIMEOUT = 4_000;
/** keepAlive: a pooled connection left idle this long is closed. */
const DEFAULT_IDLE_TIMEOUT = 5_000;
/**
 * keepAlive: how long a connection must stay open after its first answer before the client
 * trusts that node to keep connections (uWSGI closes at once after answering).
 */
const DEFAULT_PROBATION = 100;

/** PEM text (a string or its bytes). */
export type Pem = string | Uint8Array;

/** How the client speaks TLS to a node (suwsgi://host:port, or a node given in nodeTls). */
export interface ClientTlsOptions {
  /** The CA(s) the node's certificate must chain to. Default: Node's bundled public CAs. */
  ca?: Pem | readonly Pem[];
  /** A client certificate (chain) for nodes that ask for one (uWSGI's CA field, nginx's uwsgi_ssl_certificate). */
  cert?: Pem;
  /** The client certificate's private key. */
  key?: Pem;
  /** The name the node's certificate must carry and SNI sends. Default: the node's host when it is a name. */
  servername?: string;
  /** Refuse a node whose certificate does not verify. Default true; false only for tests against throwaway certs. */
  rejectUnauthorized?: boolean;
}

export interface ClientOptions {
  /** ms for a whole call; 0 or Infinity: none. Default DEFAULT_TIMEOUT. */
  timeout?: number;
  /** Reuse connections with nodes that keep them open (ours); default false: one connection per call. */
  keepAlive?: boolean;
  /** Most connections open to one node at once; further calls wait. Default Infinity. */
  maxSockets?: number;
  /** keepAlive: most calls in flight on one connection (answers come in order). Default 1: no pipelining. */
  pipelining?: number;
  /** keepAlive: ms before an idle pooled connection is closed. Default DEFAULT_IDLE_TIMEOUT. */
  idleTimeout?: number;
  /** keepAlive: ms a first answered connection must stay open to prove its node keeps connections. */
  probation?: number;
  /** Largest result accepted (bytes), checked before it is buffered. Default the codec's DEFAULT_MAX_RESPONSE. */
  maxResponse?: number;
  /** Codec engine when no `codec` is given. Default 'auto'. */
  engine?: EngineChoice;
  /** A codec to use (else one is made from `engine`). */
  codec?: Codec;
  /** Where local calls (node null or '') go. Default the process's defaultRegistry. */
  registry?: Registry;
  /** TLS settings for every `suwsgi://` node. Default {}: the node's certificate verified against public CAs. */
  tls?: ClientTlsOptions;
  /**
   * TLS per node, by address (`host:port` or `suwsgi://host:port`): that node is called over TLS with these
   * settings (over `tls`'s).
   */
  nodeTls?: Readonly<Record<string, ClientTlsOptions>>;
}

export interface CallOptions {
  /** Send modifier2 1: the answer is the result's raw bytes up to EOF (no uwsgi header). */
  raw?: boolean;
  signal?: AbortSignal;
  /** ms for this call, overriding the client's timeout; 0 or Infinity: none. */
  timeout?: number;
}

/** The client's settings with defaults applied and checked. */
export interface ClientConfig {
  timeout: number;
  keepAlive: boolean;
  maxSockets: number;
  pipelining: number;
  idleTimeout: number;
  probation: number;
  maxResponse: number;
  tls: ClientTlsOptions;
  /** nodeTls by pooling key (`suwsgi://host:port`), merged over `tls`. */
  nodeTls: ReadonlyMap<string, ClientTlsOptions>;
}

function invalid(what: string, want: string, v: unknown): never {
  throw new RpcError('INVALID', `${what} must be ${want}, got ${String(v)}`);
}

function ms(v: unknown, what: string): number {
  if (typeof v !== 'number' || Number.isNaN(v) || v < 0) invalid(what, 'a number of ms >= 0', v);
  return v;
}

/** A timeout in ms; 0 and Infinity both mean none (Infinity). */
export function checkTimeout(v: unknown, what: string): number {
  const t = ms(v, what);
  return t === 0 ? Infinity : t;
}

function count(v: unknown, what: string, dflt: number): number {
  if (v === undefined) return dflt;
  if (typeof v !== 'number' || !(v >= 1) || (v !== Infinity && !Number.isInteger(v))) {
    invalid(what, 'an integer >= 1 (or Infinity)', v);
  }
  return v;
}

export function resolveConfig(o: ClientOptions): ClientConfig {
  const maxResponse = o.maxResponse ?? DEFAULT_MAX_RESPONSE;
  if (!Number.isSafeInteger(maxResponse) || maxResponse < 0) invalid('maxResponse', 'a safe integer >= 0', maxResponse);
  return {
    timeout: checkTimeout(o.timeout ?? DEFAULT_TIMEOUT, 'timeout'),
    keepAlive: o.keepAlive === true,
    maxSockets: count(o.maxSockets, 'maxSockets', Infinity),
    pipelining: count(o.pipelining, 'pipelining', 1),
    idleTimeout: checkTimeout(o.idleTimeout ?? DEFAULT_IDLE_TIMEOUT, 'idleTimeout'),
    probation: Math.min(ms(o.probation ?? DEFAULT_PROBATION, 'probation'), 2 ** 31 - 1),
    maxResponse,
    tls: checkTls(o.tls ?? {}, 'tls'),
    nodeTls: resolveNodeTls(o.nodeTls ?? {}, o.tls ?? {}),
  };
}

function isPem(v: unknown): boolean {
  return typeof v === 'string' || v instanceof Uint8Array;
}

function checkTls(t: ClientTlsOptions, what: string): ClientTlsOptions {
  if (typeof t !== 'object' || t === null) invalid(what, 'an object', t);
  const ca = t.ca;
  if (ca !== undefined && !isPem(ca) && !(Array.isArray(ca) && ca.every(isPem)))
    invalid(`${what}.ca`, 'PEM text (string or bytes) or a list of them', ca);
  if (t.cert !== undefined && !isPem(t.cert)) invalid(`${what}.cert`, 'PEM text (string or bytes)', t.cert);
  if (t.key !== undefined && !isPem(t.key)) invalid(`${what}.key`, 'PEM text (string or bytes)', t.key);
  if ((t.cert === undefined) !== (t.key === undefined)) invalid(what, 'cert and key together', 'one of them');
  if (t.servername !== undefined && typeof t.servername !== 'string')
    invalid(`${what}.servername`, 'a string', t.servername);
  if (t.rejectUnauthorized !== undefined && typeof t.rejectUnauthorized !== 'boolean')
    invalid(`${what}.rejectUnauthorized`, 'a boolean', t.rejectUnauthorized);
  return t;
}

function resolveNodeTls(
  nodes: Readonly<Record<string, ClientTlsOptions>>,
  base: ClientTlsOptions,
): Map<string, ClientTlsOptions> {
  const out = new Map<string, ClientTlsOptions>();
  for (const [node, t] of Object.entries(nodes)) {
    const a = parseNode(node);
    if (a === null || a.kind !== 'tcp') invalid(`nodeTls key "${node}"`, 'a TCP node (host:port)', node);
    const key = a.tls ? a.key : `${TLS_SCHEME}${a.key}`;
    out.set(key, { ...base, ...checkTls(t, `nodeTls["${node}"]`) });
  }
  return out;
}
