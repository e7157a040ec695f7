// A connection's write side: functions' results become answers, written in request order
// (pipelining), SizedStream answers streamed as the socket takes them, and reading paused
// while too many calls run or too many answer bytes wait (resumed when they drain).
import type { Socket } from 'node:net';
import type { Codec } from '../codec/codec.js';
import { MODIFIER2 } from '../codec/constants.js';
import type { TextBytes } from '../functions/text-bytes.js';
import { type Answer, refuseResult } from '../functions/results.js';
import { isSized, refuseSized, type SizedStream } from '../functions/sized.js';
import { AnswerBatch, COPY_MAX, answerSize, writeAnswer, writeStream } from './answer.js';
import type { ServerLimits } from './options.js';
import { showFailure, showName } from './log.js';
import type { FailureReason, FunctionStats } from '../functions/function-stats.js';
import { type ServerCounters, thrownReason } from './counters.js';

/** What a Sender uses of its server. */
export interface SenderHost {
  readonly codec: Codec;
  readonly limits: ServerLimits;
  /** A coarse clock (ms), moved on by the server's sweep. */
  readonly now: number;
  readonly counters: ServerCounters;
}

/** What a Sender asks of the connection it writes for. */
export interface SenderOwner {
  /** Our FIN is on its way: nothing more is written. */
  readonly ended: boolean;
  /** close() or the peer's FIN asked to end and no request read waits to run: end once all is answered. */
  readonly finishing: boolean;
  /** Sends FIN after what is written. */
  end(): void;
  /** Closes now, without an answer, saying why. */
  abandon(reason: string): void;
  /** Closes without answering this request: now, or after the answers queued before it. */
  refuse(reason: string): void;
  /** A queued request will not be answered (its slot ends the connection): read no more, say why. */
  failing(reason: string): void;
  /** There is room again: runs requests read but not run yet; true when the socket may read again. */
  resumeReading(): boolean;
  /** A line for the operator, the peer named. */
  log(text: string): void;
}

/** A request whose answer is not written yet: waiting for its function, or for the requests before it. */
export interface Slot {
  modifier2: number;
  done: boolean;
  answer: Answer | SizedStream | null;
  /** Set when the connection must close here instead of answering (already logged). */
  failure: string | null;
  /** When it started running (host.now), for harakiri. */
  started: number;
  /** The function's counters (null: a slot that only closes the connection), and its precise start (0: not timed). */
  fn: FunctionStats | null;
  t0: number;
}

/**
 * Answers a connection's requests in their order. A result ready while nothing is queued
 * goes out at once; otherwise it waits in `queue` behind the answers still running. A slot
 * marked failed, or an answer that closes the connection (modifier2 other than 0), ends it
 * after the answers before it.
 */
export class Sender {
  private readonly queue: Slot[] = [];
  private readonly codec: Codec;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private corkedForTick = false;
  /** While the connection runs one read's requests (see batch()): their small answers, written as one. */
  private batchOn = false;
  private readonly batch = new AnswerBatch();
  private readonly uncorkTick = () => {
    this.corkedForTick = false;
    this.socket.uncork();
  };
  /** An answer has been written (keepalive-timeout applies from then on, socket-timeout before). */
  private wrote = false;
  /** The socket closed: late settling functions are ignored. */
  private gone = false;
  /** The in-flight / pending-bytes pause was logged (once per connection). */
  private pauseLogged = false;
  /** A SizedStream answer is being written (it stays at the queue's head until done), and when it last moved. */
  private streaming = false;
  private streamMoved = 0;

  constructor(
    private readonly socket: Socket,
    private readonly host: SenderHost,
    private readonly owner: SenderOwner,
  ) {
    this.codec = host.codec;
    this.maxInFlight = host.limits.maxInFlight;
    this.maxPending = host.limits.maxPendingBytes;
    socket.on('drain', () => this.resumeIfRoom());
  }

  /** Answers owed (running, or ready behind one that runs). */
  get queued(): number {
    return this.queue.length;
  }

  /** Whether an answer has been written on this connection. */
  get answered(): boolean {
    return this.wrote;
  }

  /** Enough runs or waits to be sent: run no more requests for now. */
  get full(): boolean {
    return this.socket.writableLength + this.batch.bytes >= this.maxPending || this.queue.length >= this.maxInFlight;
  }

  /**
   * The connection starts running one read's requests (true) or is done with them (false):
   * small answers ready meanwhile are gathered and written as one buffer at the end.
   */
  batching(on: boolean): void {
    this.batchOn = on;
    if (!on) this.batch.write(this.socket);
  }

  /** Writes the gathered answers now: anything written after them must go behind them. */
  flushBatch(): void {
    this.batch.write(this.socket);
  }

  /** Reading must wait: the socket's buffer is over its mark, or the calls in flight at their limit. */
  get blocked(): boolean {
    return this.socket.writableNeedDrain || this.queue.length >= this.maxInFlight;
  }

  /** When the oldest call still running started (host.now), or -1 if none runs. */
  runningSince(): number {
    for (const slot of this.queue) if (!slot.done) return slot.started;
    return -1;
  }

  /** When a streamed answer last made progress, or -1 if none is being written. */
  streamingSince(): number {
    return this.streaming ? this.streamMoved : -1;
  }

  /** The socket closed: forget what is owed. */
  closed(): void {
    this.gone = true;
    this.queue.length = 0;
  }

  /**
   * The result of function `name` for a request of modifier2 `m2`: a value, a SizedStream
   * or a promise of either. One that cannot be an answer refuses the request.
   */
  answer(result: unknown, name: TextBytes, m2: number, fn: FunctionStats, t0: number): void {
    if (
      typeof result === 'object' &&
      result !== null &&
      !(result instanceof Uint8Array) &&
      typeof (result as PromiseLike<unknown>).then === 'function'
    ) {
      return this.await(result as PromiseLike<unknown>, name, m2, fn, t0);
    }
    const counters = this.host.counters;
    if (isSized(result)) {
      const bad = refuseSized(result);
      if (bad !== null) {
        counters.failed(fn, 'empty', t0);
        return this.owner.refuse(`function ${showName(name)} ${bad}`);
      }
      counters.answered(fn, t0);
      this.queue.push({ modifier2: m2, done: true, answer: result, failure: null, started: 0, fn: null, t0: 0 });
      if (this.queue.length === 1) this.flush();
      return;
    }
    const why = refuseResult(result);
    if (why !== null) {
      counters.failed(fn, 'empty', t0);
      return this.owner.refuse(`function ${showName(name)} ${why}`);
    }
    counters.answered(fn, t0);
    if (this.queue.length === 0) {
      this.wrote = true;
      let size = -1;
      if (this.batchOn && m2 === MODIFIER2.UWSGI) {
        size = answerSize(result as Answer);
        if (size <= COPY_MAX) return this.batch.add(result as Answer, size);
      }
      this.batch.write(this.socket);
      writeAnswer(this.socket, this.codec, m2, result as Answer, size);
      if (m2 !== MODIFIER2.UWSGI) this.owner.end();
    } else {
      this.queue.push({
        modifier2: m2,
        done: true,
        answer: result as Answer,
        failure: null,
        started: 0,
        fn: null,
        t0: 0,
      });
    }
  }

  /**
   * A place in the queue for an answer that comes later (see settle()); its time runs from now.
   * `fn`: the counters of the function it waits for (counted by settle()).
   */
  expect(modifier2: number, fn: FunctionStats | null = null, t0 = 0): Slot {
    const slot: Slot = { modifier2, done: false, answer: null, failure: null, started: this.host.now, fn, t0 };
    this.queue.push(slot);
    return slot;
  }

  /** `slot` has its answer, or (`failure` set, logged here) will close the connection instead. */
  settle(
    slot: Slot,
    answer: Answer | SizedStream | null,
    failure: string | null,
    reason: FailureReason = 'threw',
  ): void {
    // the peer left, or harakiri gave up on it: nobody is waiting
    if (this.gone) return;
    if (slot.fn !== null) {
      if (failure === null) this.host.counters.answered(slot.fn, slot.t0);
      else this.host.counters.failed(slot.fn, reason, slot.t0);
    }
    slot.done = true;
    if (failure === null) {
      slot.answer = answer;
    } else {
      slot.failure = failure;
      this.owner.failing(failure);
    }
    if (this.queue[0] === slot) this.flush();
  }

  /** Closes the connection once the answers queued now are written; `reason` is already logged. */
  failAfterQueued(reason: string): void {
    this.queue.push({ modifier2: 0, done: true, answer: null, failure: reason, started: 0, fn: null, t0: 0 });
  }

  /**
   * Harakiri gave up on the call running (or the answer streaming) at the head: counts it
   * against its function, whose name it returns (null when not known).
   */
  harakiri(): string | null {
    const slot = this.queue.find((s) => !s.done) ?? this.queue[0];
    const fn = slot?.fn;
    if (fn == null) return null;
    this.host.counters.failed(fn, 'harakiri', slot.t0);
    // settle() after the socket closed counts nothing more
    slot.fn = null;
    return fn.name;
  }

  private await(
    pending: PromiseLike<unknown>,
    name: TextBytes,
    modifier2: number,
    fn: FunctionStats,
    t0: number,
  ): void {
    const slot = this.expect(modifier2, fn, t0);
    const settled = (value: unknown, err: unknown, failed: boolean) => {
      const why = failed ? showFailure(err) : isSized(value) ? refuseSized(value) : refuseResult(value);
      this.settle(
        slot,
        why === null ? (value as Answer | SizedStream) : null,
        why === null ? null : `function ${showName(name)} ${why}`,
        failed ? thrownReason(err) : 'empty',
      );
    };
    try {
      pending.then(
        (v) => settled(v, undefined, false),
        (e) => settled(undefined, e, true),
      );
    } catch (err) {
      settled(undefined, err, true);
    }
  }

  /** Writes the answers that are ready, in request order, up to the first still running. */
  private flush(): void {
    const s = this.socket;
    const q = this.queue;
    if (this.owner.ended || s.destroyed || this.streaming) return;
    this.batch.write(s);
    if (!this.corkedForTick) {
      // Answers settled in the same tick share one writev.
      this.corkedForTick = true;
      s.cork();
      process.nextTick(this.uncorkTick);
    }
    let n = 0;
    while (n < q.length && q[n].done) {
      const slot = q[n];
      if (slot.failure === null && isSized(slot.answer)) {
        q.splice(0, n);
        return this.stream(slot, slot.answer);
      }
      n++;
      if (slot.failure !== null || slot.modifier2 !== MODIFIER2.UWSGI) {
        if (slot.failure === null) writeAnswer(s, this.codec, slot.modifier2, slot.answer as Answer);
        q.length = 0;
        return this.owner.end();
      }
      writeAnswer(s, this.codec, slot.modifier2, slot.answer as Answer);
      this.wrote = true;
    }
    q.splice(0, n);
    if (q.length === 0 && this.owner.finishing) this.owner.end();
    else this.resumeIfRoom();
  }

  /**
   * Writes a SizedStream answer (at the queue's head, where it stays meanwhile: the answers
   * after it wait), then goes on with the queue. A stream that breaks its promise (size,
   * bytes, or throws) cannot be answered correctly any more: the connection is dropped.
   */
  private stream(slot: Slot, body: SizedStream): void {
    this.streaming = true;
    this.streamMoved = this.host.now;
    const moved = () => {
      this.streamMoved = this.host.now;
    };
    writeStream(this.socket, this.codec, slot.modifier2, body, moved).then((why) => {
      this.streaming = false;
      if (this.gone || this.socket.destroyed) return;
      if (why !== null) return this.owner.abandon(`a streamed answer ${why}`);
      this.queue.shift();
      this.wrote = true;
      if (slot.modifier2 !== MODIFIER2.UWSGI) {
        this.queue.length = 0;
        return this.owner.end();
      }
      this.flush();
    });
  }

  /** Stops reading until answers drain or calls finish (flow control, not a fault: logged once). */
  pause(): void {
    const s = this.socket;
    const calls = this.queue.length >= this.maxInFlight;
    if (!this.pauseLogged && (calls || s.writableLength >= this.maxPending)) {
      this.pauseLogged = true;
      const why = calls
        ? `${this.queue.length} calls in flight (max ${this.maxInFlight})`
        : `${s.writableLength} answer bytes unsent (max ${this.maxPending})`;
      this.owner.log(`${why}: reading paused until the peer catches up`);
    }
    s.pause();
  }

  /** Output drained or calls finished: run what waits, then read again if there is room. */
  private resumeIfRoom(): void {
    const s = this.socket;
    if (this.owner.ended || !s.isPaused() || this.blocked) return;
    if (this.owner.resumeReading()) s.resume();
  }
}
