// PendingCall: one call waiting for its answer, with its timeout and abort.
import { RpcError } from '../rpc-error.js';
import { neverSent } from './errors.js';
import { Deadlines, Timed } from './deadlines.js';

/** Whoever holds a call (a node's wait queue, a connection) and must let go of it when it is cancelled. */
export interface CallHolder {
  cancel(call: PendingCall): void;
}

/**
 * One remote call from dispatch to answer: its encoded request, its deadline and abort
 * signal, and whether its bytes were written (after that it may have run).
 */
export class PendingCall extends Timed {
  holder: CallHolder | null = null;
  /** The request was written on a connected socket. */
  sent = false;
  settled = false;
  /** ms it may wait, for the TIMEOUT message. */
  private timeout = Infinity;
  private signal: AbortSignal | undefined;
  private readonly onAbort = (): void => this.expire('ABORTED');

  constructor(
    readonly node: string,
    readonly packet: Uint8Array,
    readonly raw: boolean,
    private readonly res: (value: Uint8Array) => void,
    private readonly rej: (err: RpcError) => void,
  ) {
    super();
  }

  /** Starts the deadline among the client's and listens to the signal (the caller checked it is not aborted yet). */
  arm(timeout: number, signal: AbortSignal | undefined, deadlines: Deadlines): void {
    if (timeout !== Infinity) {
      this.timeout = timeout;
      deadlines.add(this, timeout);
    }
    if (signal) {
      this.signal = signal;
      signal.addEventListener('abort', this.onAbort, { once: true });
    }
  }

  resolve(value: Uint8Array): void {
    if (this.settled) return;
    this.finish();
    this.res(value);
  }

  reject(err: RpcError): void {
    if (this.settled) return;
    this.finish();
    this.rej(err);
  }

  private finish(): void {
    this.settled = true;
    Deadlines.remove(this);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.signal = undefined;
  }

  onDeadline(): void {
    this.expire('TIMEOUT');
  }

  private expire(code: 'TIMEOUT' | 'ABORTED'): void {
    if (this.settled) return;
    const when = this.sent ? 'after the call was sent (it may have run)' : 'before the call was sent';
    const what = code === 'TIMEOUT' ? `no answer within ${this.timeout} ms` : 'aborted';
    const err = new RpcError(
      code,
      `${this.node}: ${what}, ${when}`,
      this.node,
      code === 'ABORTED' ? { cause: this.signal?.reason } : undefined,
    );
    this.reject(this.sent ? err : neverSent(err));
    const holder = this.holder;
    this.holder = null;
    holder?.cancel(this);
  }
}
