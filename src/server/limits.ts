import { MAX_BODY } from '../codec/constants.js';
import { RpcError } from '../rpc-error.js';

/**
 * What one server lets its peers use. Names follow uWSGI's options where it has one
 * (`--listen`, `--socket-timeout`, `--harakiri`, `--buffer-size`); times are in ms here
 * (the CLI takes seconds, as uWSGI does).
 */
export interface ServerLimits {
  /** Listen queue length (uWSGI --listen). 511 as Node's own default: uWSGI's 100 drops connections in a burst of a few hundred. */
  backlog: number;
  /** Open connections at most, over all sockets; newer ones are closed at once (--max-conns). */
  maxConns: number;
  /**
   * A connection that sends nothing, leaves a packet half sent, or reads none of its
   * answer for this long is closed (uWSGI --socket-timeout, 4 s).
   */
  socketTimeout: number;
  /**
   * A kept-open connection idle between requests is closed (quietly, with a FIN) after
   * this long. Longer than any keep-alive client keeps an idle connection (ours: 5 s), so
   * a client never sends a call on a connection the server is closing.
   */
  keepaliveTimeout: number;
  /** A call running longer is abandoned: its connection closes without an answer (uWSGI --harakiri). 0: never. */
  harakiri: number;
  /**
   * Largest request packet body accepted (uWSGI --buffer-size); the u16 header caps it at
   * 65535. On an HTTP socket: the most the request line and headers may take (431 above).
   */
  bufferSize: number;
  /** Calls running or waiting to be answered on one connection before it stops reading. */
  maxInFlight: number;
  /** Bytes of answers waiting to go out on one connection before it stops running calls. */
  maxPendingBytes: number;
}

export const DEFAULT_LIMITS: Readonly<ServerLimits> = Object.freeze({
  backlog: 511,
  maxConns: 10_000,
  socketTimeout: 4_000,
  keepaliveTimeout: 15_000,
  harakiri: 0,
  bufferSize: MAX_BODY,
  maxInFlight: 1024,
  maxPendingBytes: 1 << 20,
});

/** The limits with defaults applied; throws INVALID for a value that is not a count or a time. */
export function resolveLimits(given: Partial<ServerLimits>): ServerLimits {
  const out = { ...DEFAULT_LIMITS };
  for (const key of Object.keys(DEFAULT_LIMITS) as (keyof ServerLimits)[]) {
    const v = given[key];
    if (v === undefined) continue;
    const time = key === 'socketTimeout' || key === 'keepaliveTimeout' || key === 'harakiri';
    const min = time ? 0 : 1;
    if (typeof v !== 'number' || !Number.isInteger(v) || v < min) {
      throw new RpcError('INVALID', `${key} must be an integer >= ${min}${time ? ' (ms; 0: no limit)' : ''}, got ${String(v)}`);
    }
    out[key] = v;
  }
  if (out.bufferSize > MAX_BODY) out.bufferSize = MAX_BODY;
  return out;
}

/** How often the server looks for timed-out connections: a quarter of the shortest timeout, 5 ms..1 s. */
export function sweepInterval(l: ServerLimits): number {
  const times = [l.socketTimeout, l.keepaliveTimeout, l.harakiri].filter((t) => t > 0);
  if (times.length === 0) return 0;
  return Math.min(1000, Math.max(5, Math.floor(Math.min(...times) / 4)));
}
