// Splitter: spreads a list of calls over nodes, with per-node concurrency and failover for calls that never left.
import type { Input } from '../codec/bytes.js';
import { RpcError, type RpcErrorCode } from '../rpc-error.js';
import type { Caller } from './caller.js';
import { wasNeverSent } from './errors.js';

/** One call of a split: `name(...args)` on whichever node takes it. */
export interface SplitCall {
  name: Input;
  args?: readonly Input[];
  raw?: boolean;
}

export interface SplitOptions {
  /** Most calls in flight on one node at once. Default DEFAULT_SPLIT_CONCURRENCY. */
  concurrency?: number;
  /**
   * Also move a call to another node after it may have reached one (TIMEOUT, NO_ANSWER,
   * MALFORMED, CONNECTION after sending). Only for calls that are safe to run twice.
   */
  retryIdempotent?: boolean;
  /** ms per attempt (the client's timeout if not given). */
  timeout?: number;
  /** Cancels the calls in flight and those not started yet. */
  signal?: AbortSignal;
}

/** A call's outcome, with the node that gave it (the last one tried) and how many nodes were tried. */
export type SplitResult =
  | { ok: true; node: string | null; value: Uint8Array; attempts: number }
  | { ok: false; node: string | null; error: RpcError; attempts: number };

const DEFAULT_SPLIT_CONCURRENCY = 4;

/** Failures after which a call may have run: retried elsewhere only with retryIdempotent. */
const IDEMPOTENT_RETRY: ReadonlySet<RpcErrorCode> = new Set<RpcErrorCode>([
  'TIMEOUT',
  'NO_ANSWER',
  'MALFORMED',
  'CONNECTION',
]);

/** One run(): its calls, what is queued, and which nodes each call has tried. */
class Run {
  readonly results: (SplitResult | undefined)[];
  readonly queue: number[];
  readonly tried: Set<number>[];
  readonly lastError: (RpcError | undefined)[];
  readonly lastNode: (string | null)[];
  readonly attempts: number[];
  /** Nodes that refused a connection in this run: not tried again by it. */
  readonly down = new Set<number>();
  private remaining: number;

  constructor(
    readonly calls: readonly SplitCall[],
    private readonly done: (run: Run) => void,
  ) {
    const n = calls.length;
    this.results = new Array(n);
    this.queue = Array.from({ length: n }, (_, i) => i);
    this.tried = Array.from({ length: n }, () => new Set<number>());
    this.lastError = new Array(n);
    this.lastNode = new Array(n).fill(null);
    this.attempts = new Array(n).fill(0);
    this.remaining = n;
  }

  finish(i: number, result: SplitResult): void {
    if (this.results[i] !== undefined) return;
    this.results[i] = result;
    if (--this.remaining === 0) this.done(this);
  }

  fail(i: number, error: RpcError): void {
    this.finish(i, { ok: false, node: this.lastNode[i], error, attempts: this.attempts[i] });
  }

  /** The first queued call that has not tried node `n`. */
  takeFor(n: number): number | undefined {
    for (let k = 0; k < this.queue.length; k++) {
      const i = this.queue[k];
      if (!this.tried[i].has(n)) {
        this.queue.splice(k, 1);
        return i;
      }
    }
    return undefined;
  }
}

/**
 * Spreads a list of calls over nodes (the seed's "split the load of a request to multiple
 * servers"): each node runs at most `concurrency` of them at once, results come back in
 * input order. A node that refuses a connection is left out and its call goes to another
 * node: a refused call never reached anyone. A call that may have reached a node
 * (timeout, no answer...) is reported, not sent again, unless `retryIdempotent`.
 * The per-node limit holds across concurrent run()s of one Splitter.
 */
export class Splitter {
  private readonly nodes: readonly (string | null)[];
  private readonly active: number[];
  private readonly concurrency: number;
  private readonly runs = new Set<Run>();
  private next = 0;

  constructor(
    private readonly client: Caller,
    nodes: readonly (string | null)[],
    private readonly options: SplitOptions = {},
  ) {
    if (!Array.isArray(nodes) || nodes.length === 0) throw new RpcError('INVALID', 'a split needs at least one node');
    const c = options.concurrency ?? DEFAULT_SPLIT_CONCURRENCY;
    if (!(c >= 1) || (c !== Infinity && !Number.isInteger(c)))
      throw new RpcError('INVALID', `concurrency must be an integer >= 1, got ${c}`);
    this.nodes = [...nodes];
    this.active = new Array(nodes.length).fill(0);
    this.concurrency = c;
  }

  run(calls: readonly SplitCall[]): Promise<SplitResult[]> {
    if (!Array.isArray(calls)) return Promise.reject(new RpcError('INVALID', 'calls must be an array'));
    if (calls.length === 0) return Promise.resolve([]);
    const signal = this.options.signal;
    return new Promise<SplitResult[]>((resolve) => {
      const onAbort = (): void => this.abortQueued(run);
      const run = new Run(calls, (r) => {
        this.runs.delete(r);
        signal?.removeEventListener('abort', onAbort);
        resolve(r.results as SplitResult[]);
      });
      for (let i = 0; i < calls.length; i++) {
        const c = calls[i];
        if (c === null || typeof c !== 'object') {
          run.queue.splice(run.queue.indexOf(i), 1);
          run.fail(i, new RpcError('INVALID', `calls[${i}] must be an object { name, args }`));
        }
      }
      if (run.queue.length === 0) return;
      this.runs.add(run);
      if (signal?.aborted) return this.abortQueued(run);
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pump();
    });
  }

  private pump(): void {
    const n = this.nodes.length;
    for (let progress = true; progress; ) {
      progress = false;
      for (let k = 0; k < n; k++) {
        const node = (this.next + k) % n;
        if (this.active[node] >= this.concurrency) continue;
        for (const run of this.runs) {
          if (run.down.has(node)) continue;
          const i = run.takeFor(node);
          if (i === undefined) continue;
          this.start(run, i, node);
          progress = true;
          break;
        }
      }
      this.next = (this.next + 1) % n;
    }
  }

  /** Every node tried by this call or refusing in this run: nowhere left to send it. */
  private exhausted(run: Run, i: number): boolean {
    return this.nodes.every((_, node) => run.tried[i].has(node) || run.down.has(node));
  }

  /** The abort ends every call not started; in-flight ones end through their own signal. */
  private abortQueued(run: Run): void {
    const reason = this.options.signal?.reason;
    for (const i of run.queue.splice(0))
      run.fail(i, new RpcError('ABORTED', 'the split was aborted before this call started', '', { cause: reason }));
  }

  /** A node went down for this run: queued calls that had only it left end with their last error. */
  private dropExhausted(run: Run): void {
    for (let k = run.queue.length - 1; k >= 0; k--) {
      const i = run.queue[k];
      if (this.exhausted(run, i)) {
        run.queue.splice(k, 1);
        run.fail(i, run.lastError[i] ?? new RpcError('REFUSED', 'every node refused'));
      }
    }
  }

  private start(run: Run, i: number, node: number): void {
    const call = run.calls[i];
    const target = this.nodes[node];
    this.active[node]++;
    run.attempts[i]++;
    run.tried[i].add(node);
    run.lastNode[i] = target;
    const { timeout, signal, retryIdempotent } = this.options;
    this.client
      .call(target, call.name, call.args ?? [], { raw: call.raw, timeout, signal })
      .then(
        (value) => run.finish(i, { ok: true, node: target, value, attempts: run.attempts[i] }),
        (err: RpcError) => {
          run.lastError[i] = err;
          const unsent = wasNeverSent(err) && err.code !== 'ABORTED';
          const again = unsent || (retryIdempotent === true && IDEMPOTENT_RETRY.has(err.code));
          if (unsent && (err.code === 'REFUSED' || err.code === 'CONNECTION') && !run.down.has(node)) {
            run.down.add(node);
            this.dropExhausted(run);
          }
          if (again && !this.exhausted(run, i) && !this.options.signal?.aborted) run.queue.unshift(i);
          else run.fail(i, err);
        },
      )
      .finally(() => {
        this.active[node]--;
        this.pump();
      });
  }
}
