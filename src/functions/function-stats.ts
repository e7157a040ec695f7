// Per-function call counters, kept on the registry's entry so that counting a call costs a
// field increment (no lookup of its own), and a fixed-bucket latency histogram filled only
// when the server measures time.

/** Why a call got no answer (the `reason` label of uwsgi_rpc_function_failures_total). */
export type FailureReason = 'unknown' | 'threw' | 'empty' | 'bad_args' | 'harakiri';

/** Upper bounds (seconds) of the latency histogram's buckets: 50 µs .. 10 s, then +Inf. */
export const LATENCY_BUCKETS: readonly number[] = [
  0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10,
];

/** The counters of one function (plain numbers: a worker sends them to its primary as JSON). */
export interface FunctionCounts {
  calls: number;
  threw: number;
  empty: number;
  bad_args: number;
  harakiri: number;
  /** Calls per LATENCY_BUCKETS bucket (not cumulative), the last one for above 10 s. */
  latency: number[];
  /** Seconds spent in the calls measured. */
  latencySum: number;
}

export class FunctionStats implements FunctionCounts {
  constructor(
    /** The function's name as registered (for log lines about it). */
    readonly name: string,
  ) {}

  /** Calls received (answered or not). */
  calls = 0;
  /** Threw or rejected. */
  threw = 0;
  /** Returned an empty result or something that is not a string, bytes or a SizedStream. */
  empty = 0;
  /** Threw an RpcError INVALID: refused its arguments. */
  bad_args = 0;
  /** Abandoned by harakiri. */
  harakiri = 0;
  latency: number[] = new Array(LATENCY_BUCKETS.length + 1).fill(0);
  latencySum = 0;

  /** A call took `ms` milliseconds. */
  observe(ms: number): void {
    const s = ms / 1000;
    this.latencySum += s;
    let i = 0;
    while (i < LATENCY_BUCKETS.length && s > LATENCY_BUCKETS[i]) i++;
    this.latency[i]++;
  }
}

/** `counts` of several processes (or functions) added together. */
export function addCounts(into: FunctionCounts, counts: FunctionCounts): void {
  into.calls += counts.calls;
  into.threw += counts.threw;
  into.empty += counts.empty;
  into.bad_args += counts.bad_args;
  into.harakiri += counts.harakiri;
  into.latencySum += counts.latencySum;
  for (let i = 0; i < into.latency.length; i++) into.latency[i] += counts.latency[i] ?? 0;
}

/** A copy with nothing counted yet. */
export function emptyCounts(): FunctionCounts {
  return {
    calls: 0,
    threw: 0,
    empty: 0,
    bad_args: 0,
    harakiri: 0,
    latency: new Array(LATENCY_BUCKETS.length + 1).fill(0),
    latencySum: 0,
  };
}
