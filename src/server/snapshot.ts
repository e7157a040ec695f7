// RpcServer.snapshot()'s shape: the counters as plain numbers, which a --processes worker
// sends to its primary as they are.
import type { FunctionCounts } from '../functions/function-stats.js';

/** One listening socket. */
export interface ListenerSnapshot {
  address: string;
  proto: 'uwsgi' | 'http';
  /** The listen queue asked for. */
  backlog: number;
  accepted: number;
  /** Closed at once, maxConns connections being open and every one busy. */
  refused: number;
  /** Open ones closed to make room at maxConns (idle, or a request not whole). */
  evicted: number;
  /** Closed at once, the peer not being in the allow list. */
  denied: number;
  open: number;
  /** Bytes read and written on its connections. */
  rx: number;
  tx: number;
}

export interface ServerSnapshot {
  /** RPC requests read on uwsgi sockets, unknown names included (uWSGI's requests). */
  requests: number;
  /** Requests for a name nothing is registered under. */
  unknown: number;
  /** Calls that failed: threw, returned an empty or bad result, refused their arguments (uWSGI's exceptions). */
  exceptions: number;
  /** Calls abandoned by harakiri. */
  harakiri: number;
  /** Calls whose time was measured, and their total time in ms (see RpcServer.measureTime()). */
  timed: number;
  timeSum: number;
  /** Calls running or waiting for an earlier answer now. */
  running: number;
  /** Open uwsgi-protocol connections (what maxConns bounds on the uwsgi sockets, and a subscription's load). */
  connections: number;
  listeners: ListenerSnapshot[];
  /** Per registered function, by name. */
  functions: Record<string, FunctionCounts>;
}
