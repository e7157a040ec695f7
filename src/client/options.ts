// Every RpcClient option: declared, defaulted (DEFAULT_*) and checked in resolveConfig().
import type { Codec } from '../codec/codec.js';
import type { EngineChoice } from '../codec/create.js';
import { DEFAULT_MAX_RESPONSE } from '../codec/constants.js';
import type { Registry } from '../functions/registry.js';
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
  };
}
