// A server's counters, as uWSGI's stats server and the Prometheus metrics read them: plain
// numbers bumped where a connection already does its work, read (and added up) on demand.
import type { FailureReason, FunctionStats } from '../functions/function-stats.js';
import { RpcError } from '../rpc-error.js';

/** One listening socket's connections. */
export class ListenerCounters {
  /** Connections taken. */
  accepted = 0;
  /** Closed at once: maxConns connections were open (uwsgi or HTTP ones, as this socket's), every one busy. */
  refused = 0;
  /** Open ones closed to make room for a new one at maxConns (idle, or a request not whole). */
  evicted = 0;
  /** Closed at once: the peer is not in the allow list. */
  denied = 0;
  /** Open now. */
  open = 0;
  /** Bytes read and written by the connections that have closed (open ones are added on reading). */
  closedRx = 0;
  closedTx = 0;

  constructor(
    /** As listen() resolved it (the address asked for until then). */
    public address: string,
    /** 'uwsgi', or 'http' for listenHttp() sockets (uWSGI's `proto`). */
    readonly proto: 'uwsgi' | 'http',
    /** The listen queue asked for (uWSGI's max_queue). */
    readonly backlog: number,
  ) {}
}

/** The counters of one RpcServer. */
export class ServerCounters {
  /** RPC requests read on uwsgi sockets (unknown names included, as uWSGI counts them). */
  requests = 0;
  /** Requests for a name nothing is registered under. */
  unknown = 0;
  /** Calls that failed (threw, empty or bad result, refused their arguments): uWSGI's exceptions. */
  exceptions = 0;
  /** Calls abandoned by harakiri. */
  harakiri = 0;
  /** Calls whose time was measured, and their total time (ms). */
  timed = 0;
  timeSum = 0;
  /**
   * Measure each call's time (two performance.now() per call): on when something reads it
   * (a stats server, metrics); off, counting is plain integer increments.
   */
  timing = false;

  /** A call of `fn` that started at `t0` (0: not timed) was answered. */
  answered(fn: FunctionStats, t0: number): void {
    if (t0 !== 0) this.time(fn, t0);
  }

  /** A call of `fn` failed for `reason`. */
  failed(fn: FunctionStats, reason: FailureReason, t0: number): void {
    if (reason === 'harakiri') {
      this.harakiri++;
      fn.harakiri++;
    } else {
      this.exceptions++;
      if (reason === 'threw') fn.threw++;
      else if (reason === 'bad_args') fn.bad_args++;
      else fn.empty++;
    }
    if (t0 !== 0) this.time(fn, t0);
  }

  private time(fn: FunctionStats, t0: number): void {
    const ms = performance.now() - t0;
    this.timed++;
    this.timeSum += ms;
    fn.observe(ms);
  }
}

/**
 * Why a thrown value failed a call: a typed function's args that did not fit (INVALID_ARGS), or
 * an RpcError INVALID, is the function refusing its arguments.
 */
export function thrownReason(err: unknown): FailureReason {
  return err instanceof RpcError && (err.code === 'INVALID' || err.code === 'INVALID_ARGS') ? 'bad_args' : 'threw';
}
