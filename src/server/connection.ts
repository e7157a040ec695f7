import type { Socket } from 'node:net';
import type { Codec, Decoded, FrameDecoder, Frame } from '../codec/index.js';
import { MAX_ITEMS, MODIFIER2, RPC_MODIFIER1, VARS_MODIFIER1 } from '../codec/constants.js';
import { CodecError } from '../codec/errors.js';
import { TextBytes } from '../codec/text-bytes.js';
import type { Bridge } from '../http/dispatcher.js';
import { type Answer, refuseResult, writeAnswer, writeStream } from './answer.js';
import { BodyReader } from './body-reader.js';
import type { HttpService } from './http-service.js';
import type { ServerLimits } from './limits.js';
import { type LogLine, showError, showName } from './log.js';
import type { Registry, RpcFunction } from './registry.js';
import { isSized, refuseSized, type SizedStream } from './sized.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly codec: Codec;
  readonly registry: Registry;
  readonly log: LogLine;
  /** Routes and bridges for HTTP requests (modifier1 0, and 173 with modifier2 2..4). */
  readonly http: HttpService;
  readonly limits: ServerLimits;
  /** A coarse clock (ms), moved on by the server's sweep: cheap to read per chunk. */
  readonly now: number;
  /** The socket has closed: forget the connection. */
  closed(connection: Connection): void;
}

/** A request whose answer is not written yet: waiting for its function, or for the requests before it. */
interface Slot {
  modifier2: number;
  done: boolean;
  answer: Answer | SizedStream | null;
  /** Set when the connection must close here instead of answering (already logged). */
  failure: string | null;
  /** When it started running (host.now), for harakiri. */
  started: number;
}

/** After our FIN has gone out, how long to wait for the peer's before dropping the socket. */
const LINGER_MS = 2000;

const NEVER_ANSWERED = 'connection closed without an answer';

/**
 * One client connection: frames in, functions run, answers out in request order.
 *
 * A request is answered as uWSGI would, and the connection then stays open for more
 * (pipelining). Requests run as soon as they are read, so slow async functions overlap;
 * answers wait in `queue` only while an earlier one is still running. Anything uWSGI
 * answers with silence (unknown function, failure, empty result, a bad frame) ends the
 * connection without a byte for that request, after the answers of the requests before it.
 */
export class Connection {
  private readonly decoder: FrameDecoder<TextBytes>;
  private readonly queue: Slot[] = [];
  /** Frames are read and run (false once the connection is ending, or draining for close()). */
  private accepting = true;
  /** close() asked: end once the queue is empty. */
  private draining = false;
  private ended = false;
  private corkedForTick = false;
  private linger: NodeJS.Timeout | null = null;
  /** Requests read but not yet run while the connection waits for room (see run()). */
  private backlog: Frame<TextBytes>[] | null = null;
  private backlogBad: CodecError | null = null;
  /** The last chunk read and what the decoder found in it: where an HTTP request's body starts (see http()). */
  private lastChunk: Uint8Array | null = null;
  private lastDecoded: Decoded<TextBytes> | null = null;
  /** Timeouts (see check()): when bytes last came in, how much had left when it last moved, and when. */
  private lastRead: number;
  private sentMark = 0;
  private queuedMark = 0;
  private lastSent: number;
  private answered = false;
  /** The socket closed: late settling functions are ignored. */
  private gone = false;
  /** The in-flight / pending-bytes pause was logged (once per connection). */
  private pauseLogged = false;
  /** A SizedStream answer is being written (it stays at the queue's head until done), and when it last moved. */
  private streaming = false;
  private streamMoved = 0;
  private readonly maxInFlight: number;
  private readonly maxPending: number;
  private readonly uncorkTick = () => {
    this.corkedForTick = false;
    this.socket.uncork();
  };

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
    /** The listening address, named in log lines for unix-socket peers (they have none). */
    private readonly listener: string,
  ) {
    // Items are parsed in the scan itself (WASM for big pipelined chunks, auto engine).
    this.decoder = host.codec.createDecoder({ items: true, itemClass: TextBytes, maxFrame: host.limits.bufferSize });
    this.lastRead = this.lastSent = host.now;
    this.maxInFlight = host.limits.maxInFlight;
    this.maxPending = host.limits.maxPendingBytes;
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('drain', () => this.resumeIfRoom());
    // Resets are ordinary here: uWSGI's client closes as soon as it has its answer. One
    // that leaves with answers still owed is worth a line.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const owed = this.queue.length;
      const unsent = socket.writableLength;
      if (this.ended || (owed === 0 && unsent === 0)) return;
      this.host.log(`${this.peer()}: the peer went away (${err.code ?? err.message}) with ${owed} call${owed === 1 ? '' : 's'} unanswered and ${unsent} answer bytes unsent`);
    });
    // The server socket allows half-open connections: a peer that sends its requests and
    // then shuts its side still gets every answer.
    socket.on('end', () => this.peerEnded());
    socket.on('close', () => {
      this.gone = true;
      if (this.linger !== null) clearTimeout(this.linger);
      this.queue.length = 0;
      host.closed(this);
    });
  }

  /** close(): run no new requests, write the pending answers, then end. */
  drain(): void {
    this.draining = true;
    this.accepting = false;
    if (this.queue.length === 0) this.end();
  }

  /** The peer sent FIN: answer what it sent, then end. A packet left half sent is logged. */
  private peerEnded(): void {
    if (this.ended) return;
    if (this.accepting && this.decoder.buffered > 0) {
      this.accepting = false;
      this.logClose(`the peer closed its side in the middle of a packet (${this.decoder.buffered} bytes)`);
    }
    this.draining = true;
    if (this.queue.length === 0 && (this.backlog === null || !this.accepting)) this.end();
  }

  /** Drops the connection now (close() ran out of time). */
  destroy(): void {
    this.socket.destroy();
  }

  /**
   * Called by the server's sweep: closes a connection past a limit, with one log line.
   * A peer that reads none of its answers for socketTimeout; a call running longer than
   * harakiri; with nothing running, a peer silent (or mid-packet) for socketTimeout, or
   * idle between requests for keepaliveTimeout (quietly: that is housekeeping, not a fault).
   */
  check(now: number): void {
    const s = this.socket;
    const l = this.host.limits;
    if (s.destroyed) return;
    const pending = s.writableLength;
    // The kernel takes a big chunk bit by bit: libuv's queue size moves when the chunk does not.
    const queued = (s as unknown as { _handle?: { writeQueueSize?: number } })._handle?.writeQueueSize ?? 0;
    if (pending === 0 || pending !== this.sentMark || queued !== this.queuedMark) {
      this.sentMark = pending;
      this.queuedMark = queued;
      this.lastSent = now;
    } else if (l.socketTimeout > 0 && now - this.lastSent >= l.socketTimeout) {
      return this.abandon(`socket-timeout: the peer read nothing of ${pending} pending answer bytes for ${l.socketTimeout} ms`);
    }
    if (this.ended) return;
    // A streamed answer whose iterable stops producing (the socket taking it is socket-timeout's job).
    if (this.streaming && l.harakiri > 0 && pending === 0 && now - this.streamMoved >= l.harakiri) {
      return this.abandon(`harakiri: a streamed answer produced nothing for ${l.harakiri} ms`);
    }
    if (this.queue.length > 0) {
      if (l.harakiri > 0) {
        for (const slot of this.queue) {
          if (slot.done) continue;
          if (now - slot.started >= l.harakiri) return this.abandon(`harakiri: a call ran longer than ${l.harakiri} ms`);
          break;
        }
      }
      return;
    }
    if (pending > 0 || this.backlog !== null) return;
    const partial = this.decoder.buffered > 0;
    if (!this.answered || partial) {
      if (l.socketTimeout > 0 && now - this.lastRead >= l.socketTimeout) {
        this.abandon(`socket-timeout: ${partial ? `a partial packet (${this.decoder.buffered} bytes)` : 'no request'} for ${l.socketTimeout} ms`);
      }
    } else if (l.keepaliveTimeout > 0 && now - this.lastRead >= l.keepaliveTimeout) {
      this.end();
    }
  }

  /** Closes now, without an answer, saying why in one line. */
  private abandon(reason: string): void {
    this.logClose(reason);
    this.accepting = false;
    this.socket.destroy();
  }

  private onData(chunk: Buffer): void {
    this.lastRead = this.host.now;
    if (!this.accepting) return;
    const decoded = this.decoder.decode(chunk);
    const frames = decoded.frames;
    const bad = decoded.error;
    this.lastChunk = chunk;
    this.lastDecoded = decoded;
    if (this.backlog !== null) {
      // still paused on earlier requests: these wait behind them
      for (const f of frames) this.backlog.push(f);
      this.backlogBad ??= bad;
      return;
    }
    this.run(frames, bad);
  }

  /**
   * Runs the requests of one chunk; their answers leave in one writev. Stops early, keeping
   * the rest in `backlog` and pausing the socket, once too much output waits to be sent or
   * too many calls run: tiny requests for big answers must not fill the memory.
   */
  private run(frames: Frame<TextBytes>[], bad: CodecError | null): void {
    const s = this.socket;
    s.cork();
    let i = 0;
    while (i < frames.length && this.accepting) {
      this.request(frames[i++]);
      if (s.writableLength >= this.maxPending || this.queue.length >= this.maxInFlight) break;
    }
    if (i < frames.length && this.accepting) {
      this.backlog = frames.slice(i);
      this.backlogBad = bad;
    } else if (bad !== null && this.accepting) {
      this.refuse(bad.code === 'FRAME_TOO_LARGE'
        ? `buffer-size: a request packet larger than ${this.host.limits.bufferSize} bytes`
        : `malformed request: ${bad.message}`);
    }
    s.uncork();
    if (this.accepting && (this.backlog !== null || s.writableNeedDrain || this.queue.length >= this.maxInFlight)) this.pause();
  }

  /** Stops reading until answers drain or calls finish (flow control, not a fault: logged once). */
  private pause(): void {
    const s = this.socket;
    const calls = this.queue.length >= this.maxInFlight;
    if (!this.pauseLogged && (calls || s.writableLength >= this.maxPending)) {
      this.pauseLogged = true;
      const why = calls ? `${this.queue.length} calls in flight (max ${this.maxInFlight})`
        : `${s.writableLength} answer bytes unsent (max ${this.maxPending})`;
      this.host.log(`${this.peer()}: ${why}: reading paused until the peer catches up`);
    }
    s.pause();
  }

  private request(frame: Frame<TextBytes>): void {
    const m2 = frame.modifier2;
    if (frame.modifier1 !== RPC_MODIFIER1) {
      if (frame.modifier1 === VARS_MODIFIER1) return this.http(frame, 0);
      return this.refuse(`modifier1 ${frame.modifier1} is neither an RPC request (173) nor an HTTP request (0)`);
    }
    if (m2 >= MODIFIER2.PATH_INFO && m2 <= MODIFIER2.JSONRPC) return this.http(frame, m2 as Bridge);
    let items = frame.items;
    if (items === undefined) return this.refuse(`malformed request: ${new CodecError(frame.itemsError ?? 'INVALID_INPUT').message}`);
    if (items.length === 0) return this.refuse('malformed request: no function name');
    // uWSGI reads at most the function and 254 args and ignores the rest.
    if (items.length > MAX_ITEMS) items.length = MAX_ITEMS;
    const name = items[0];
    const fn = this.host.registry.lookup(name);
    if (fn === undefined) return this.refuse(`unknown function ${showName(name)}`);
    // uWSGI writes the bare result for every modifier2 but 0 (and the bridges 2..4), then closes.
    if (m2 !== MODIFIER2.UWSGI) this.accepting = false;

    let result: unknown;
    try {
      result = invoke(fn, items);
    } catch (err) {
      return this.refuse(`function ${showName(name)} failed: ${showError(err)}`);
    }
    if (typeof result === 'object' && result !== null && !(result instanceof Uint8Array)
      && typeof (result as PromiseLike<unknown>).then === 'function') {
      return this.await(result as PromiseLike<unknown>, name, m2);
    }
    if (isSized(result)) {
      const bad = refuseSized(result);
      if (bad !== null) return this.refuse(`function ${showName(name)} ${bad}`);
      this.queue.push({ modifier2: m2, done: true, answer: result, failure: null, started: 0 });
      if (this.queue.length === 1) this.flush();
      return;
    }
    const why = refuseResult(result);
    if (why !== null) return this.refuse(`function ${showName(name)} ${why}`);
    if (this.queue.length === 0) {
      writeAnswer(this.socket, this.host.codec, m2, result as Answer);
      this.answered = true;
      if (m2 !== MODIFIER2.UWSGI) this.end();
    } else {
      this.queue.push({ modifier2: m2, done: true, answer: result as Answer, failure: null, started: 0 });
    }
  }

  /**
   * An HTTP request (a vars packet, as nginx's uwsgi_pass sends): routes, then the bridge
   * of its modifier2. As in uWSGI it is the connection's last request: the raw HTTP
   * answer goes out after the answers queued before it, then the connection ends. The body
   * the bridges 3 and 4 read follows the packet on the stream.
   */
  private http(frame: Frame<TextBytes>, bridge: Bridge): void {
    this.accepting = false;
    const s = this.socket;
    const slot: Slot = { modifier2: MODIFIER2.RAW, done: false, answer: null, failure: null, started: this.host.now };
    this.queue.push(slot);
    const host = this.host;
    let reader: BodyReader | null = null;
    if (host.http.dispatcher.needsBody(bridge)) {
      reader = new BodyReader(s, this.bytesAfter(frame));
    } else {
      // What follows (a body no one reads) is dropped until the peer closes.
      s.removeAllListeners('data');
      s.on('data', () => {});
    }
    if (s.isPaused()) s.resume();
    const settle = (answer: Uint8Array | null, why: string | null) => {
      if (this.gone) return;
      slot.done = true;
      if (answer !== null && answer.length > 0) slot.answer = answer;
      else this.logClose((slot.failure = why ?? 'the HTTP request got no answer'));
      if (this.queue[0] === slot) this.flush();
    };
    host.http.answerPacket(host.codec, frame.body, bridge, (n) => reader!.read(n, host.http.bodyTimeout)).then(
      (answer) => settle(answer, answer === null ? 'malformed HTTP request: the packet is not a vars dict' : null),
      (err) => settle(null, `HTTP request failed: ${showError(err)}`),
    );
  }

  /** The bytes read past `frame` (the start of an HTTP request's body), or null if unknown. */
  private bytesAfter(frame: Frame<TextBytes>): Uint8Array | null {
    const decoded = this.lastDecoded;
    const chunk = this.lastChunk;
    const k = decoded === null ? -1 : decoded.frames.indexOf(frame);
    if (k < 0 || chunk === null) return null;
    // What the decoder holds past the packet is body, not a frame.
    this.decoder.reset();
    return chunk.subarray(decoded!.ends[k]);
  }

  private await(pending: PromiseLike<unknown>, name: TextBytes, modifier2: number): void {
    const slot: Slot = { modifier2, done: false, answer: null, failure: null, started: this.host.now };
    this.queue.push(slot);
    const settle = (value: unknown, err: unknown, failed: boolean) => {
      // the peer left, or harakiri gave up on it: nobody is waiting
      if (this.gone) return;
      const why = failed ? `failed: ${showError(err)}` : isSized(value) ? refuseSized(value) : refuseResult(value);
      slot.done = true;
      if (why === null) {
        slot.answer = value as Answer | SizedStream;
      } else {
        slot.failure = why;
        this.accepting = false;
        this.logClose(`function ${showName(name)} ${why}`);
      }
      if (this.queue[0] === slot) this.flush();
    };
    try {
      pending.then((v) => settle(v, undefined, false), (e) => settle(undefined, e, true));
    } catch (err) {
      settle(undefined, err, true);
    }
  }

  /** Writes the answers that are ready, in request order, up to the first still running. */
  private flush(): void {
    const s = this.socket;
    const q = this.queue;
    if (this.ended || s.destroyed || this.streaming) return;
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
        if (slot.failure === null) writeAnswer(s, this.host.codec, slot.modifier2, slot.answer as Answer);
        q.length = 0;
        return this.end();
      }
      writeAnswer(s, this.host.codec, slot.modifier2, slot.answer as Answer);
      this.answered = true;
    }
    q.splice(0, n);
    if (q.length === 0 && this.draining && (this.backlog === null || !this.accepting)) this.end();
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
    const moved = () => { this.streamMoved = this.host.now; };
    writeStream(this.socket, this.host.codec, slot.modifier2, body, moved).then((why) => {
      this.streaming = false;
      if (this.gone || this.socket.destroyed) return;
      if (why !== null) return this.abandon(`a streamed answer ${why}`);
      this.queue.shift();
      this.answered = true;
      if (slot.modifier2 !== MODIFIER2.UWSGI) {
        this.queue.length = 0;
        return this.end();
      }
      this.flush();
    });
  }

  /** Closes without answering this request: now, or after the answers queued before it. */
  private refuse(reason: string): void {
    this.accepting = false;
    this.logClose(reason);
    if (this.queue.length === 0) this.end();
    else this.queue.push({ modifier2: 0, done: true, answer: null, failure: reason, started: 0 });
  }

  private logClose(reason: string): void {
    this.host.log(`${this.peer()}: ${reason}: ${NEVER_ANSWERED}`);
  }

  /** Sends FIN after the queued writes and keeps reading (and dropping) until the peer's FIN. */
  private end(): void {
    if (this.ended) return;
    this.ended = true;
    this.accepting = false;
    this.backlog = null;
    const s = this.socket;
    s.end();
    if (s.isPaused()) s.resume();
    // Counted from when the last answer byte is handed to the kernel: a slow reader of a big
    // answer is not cut off.
    s.once('finish', () => {
      if (s.destroyed) return;
      this.linger = setTimeout(() => s.destroy(), LINGER_MS);
      this.linger.unref();
    });
  }

  /** Output drained or calls finished: run the backlog, then read again if there is room. */
  private resumeIfRoom(): void {
    const s = this.socket;
    if (this.ended || !s.isPaused() || s.writableNeedDrain || this.queue.length >= this.maxInFlight) return;
    const backlog = this.backlog;
    if (backlog !== null) {
      const bad = this.backlogBad;
      this.backlog = null;
      this.backlogBad = null;
      this.run(backlog, bad);
      if (this.draining && this.queue.length === 0 && this.backlog === null) return this.end();
      if (this.backlog !== null || !this.accepting || s.writableNeedDrain || this.queue.length >= this.maxInFlight) return;
    }
    s.resume();
  }

  private peer(): string {
    const s = this.socket;
    return s.remoteAddress === undefined ? `${this.listener} peer` : `${s.remoteAddress}:${s.remotePort}`;
  }
}

/** Calls fn with the args (items after the name); the common short arities skip an array copy. */
function invoke(fn: RpcFunction, items: TextBytes[]): unknown {
  switch (items.length) {
    case 1: return fn();
    case 2: return fn(items[1]);
    case 3: return fn(items[1], items[2]);
    default: return fn(...items.slice(1));
  }
}
