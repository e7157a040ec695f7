// One uwsgi-protocol client connection, the reading side: socket -> decoder -> each request
// handed on (an RPC call to its function, whose result goes to the Sender; an HTTP request
// to the hand-off), and the connection's life: draining on close(), the peer's FIN, ending.
import type { Socket } from 'node:net';
import type { Codec } from '../codec/codec.js';
import type { FrameDecoder, Frame } from '../codec/decoder.js';
import { MAX_ITEMS, MODIFIER2, RPC_MODIFIER1, VARS_MODIFIER1 } from '../codec/constants.js';
import { CodecError } from '../codec/errors.js';
import { hasKeepOpenMark } from '../codec/keep-open.js';
import { TextBytes } from '../functions/text-bytes.js';
import type { Bridge } from '../dispatch/bridge.js';
import { handOffHttp } from './http-handoff.js';
import type { HttpService } from './http-service.js';
import type { ServerLimits } from './options.js';
import { type LogLine, showFailure, showName } from './log.js';
import type { Registry, RpcFunction } from '../functions/registry.js';
import { type ListenerCounters, type ServerCounters, thrownReason } from './counters.js';
import { Sender, type SenderOwner } from './sender.js';
import { HARAKIRI, IDLE, Timeouts, type Watched } from './timeouts.js';
import * as room from './eviction.js';

/** What a connection needs from its server. */
export interface ConnectionHost {
  readonly codec: Codec;
  readonly registry: Registry;
  readonly log: LogLine;
  /** Routes and bridges for HTTP requests (modifier1 0, and 173 with modifier2 2..4). */
  http(): Promise<HttpService>;
  readonly limits: ServerLimits;
  /** closeAfterAnswer 'lone': a first request that comes alone and unmarked is answered with FIN. */
  readonly closeLone: boolean;
  /** A coarse clock (ms), moved on by the server's sweep: cheap to read per chunk. */
  readonly now: number;
  /** What stats and metrics read. */
  readonly counters: ServerCounters;
  /** The socket has closed: forget the connection. */
  closed(connection: Connection): void;
}

const NEVER_ANSWERED = 'connection closed without an answer';
/** A TLS record's first bytes: content type 22 (handshake), protocol major version 3. */
const TLS_HANDSHAKE = 0x16;
const TLS_MAJOR = 0x03;
const NO_FRAMES: Frame<TextBytes>[] = [];

/**
 * One client connection: frames in, functions run, answers out in request order.
 *
 * A request is answered as uWSGI would, and the connection then stays open for more
 * (pipelining). Requests run as soon as they are read, so slow async functions overlap;
 * the Sender holds answers only while an earlier one is still running. Anything uWSGI
 * answers with silence (unknown function, failure, empty result, a bad frame) ends the
 * connection without a byte for that request, after the answers of the requests before it.
 */
export class Connection implements SenderOwner, Watched, room.Occupant {
  readonly sender: Sender;
  private readonly timeouts: Timeouts;
  private readonly decoder: FrameDecoder<TextBytes>;
  /** Frames are read and run (false once the connection is ending, or draining for close()). */
  private accepting = true;
  /** close() or the peer's FIN asked: end once everything read is answered. */
  private draining = false;
  private isEnded = false;
  /** The last chunk decoded, its frames from `next` on (those not run yet), and its fault. */
  private chunk: Uint8Array | null = null;
  private frames = NO_FRAMES;
  private next = 0;
  private bad: CodecError | null = null;
  /** Reading paused with frames of the chunk not run yet (see run()). */
  private stalled = false;
  /** The connection's first bytes have come (a TLS client is told from them). */
  private sawData = false;
  /** The connection's first request has been read (closeLone looks at it alone). */
  private sawRequest = false;
  /** Its first request came alone (closeLone): it ends with that answer. */
  private lone = false;

  constructor(
    readonly socket: Socket,
    private readonly host: ConnectionHost,
    /** The listening socket's counters; its address is named in log lines for unix-socket peers (they have none). */
    readonly listenerCounters: ListenerCounters,
  ) {
    const listener = listenerCounters;
    listener.accepted++;
    listener.open++;
    // Items are parsed in the scan itself (WASM for big pipelined chunks, auto engine).
    this.decoder = host.codec.createDecoder({ items: true, itemClass: TextBytes, maxFrame: host.limits.bufferSize });
    this.sender = new Sender(socket, host, this);
    this.timeouts = new Timeouts(this, host.limits, host.now);
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    // Resets are ordinary here: uWSGI's client closes as soon as it has its answer. One
    // that leaves with answers still owed is worth a line.
    socket.on('error', (err: NodeJS.ErrnoException) => {
      const owed = this.sender.queued;
      const unsent = socket.writableLength;
      if (unsent === 0 && (this.isEnded || owed === 0)) return;
      this.log(
        `the peer went away (${err.code ?? err.message}) with ${owed} call${owed === 1 ? '' : 's'} unanswered and ${unsent} answer bytes unsent`,
      );
    });
    // The server socket allows half-open connections: a peer that sends its requests and
    // then shuts its side still gets every answer.
    socket.on('end', () => this.peerEnded());
    socket.on('close', () => {
      listener.open--;
      listener.closedRx += socket.bytesRead;
      listener.closedTx += socket.bytesWritten;
      this.sender.closed();
      this.timeouts.closed();
      host.closed(this);
    });
  }

  get ended(): boolean {
    return this.isEnded;
  }

  get waiting(): boolean {
    return this.stalled;
  }

  get buffered(): number {
    return this.decoder.buffered;
  }

  get finishing(): boolean {
    return this.draining && (!this.stalled || !this.accepting);
  }

  /** What closing it to make room under max-conns would cost (see eviction.ts). */
  get occupancy(): room.Occupancy {
    if (this.isEnded) return room.ENDING;
    // not accepting: an HTTP request handed off, or a refusal after queued answers
    if (!this.accepting || this.stalled || this.sender.queued > 0 || this.socket.writableLength > 0) return room.BUSY;
    if (this.decoder.buffered > 0 || !this.sender.answered) return room.UNFINISHED;
    return room.IDLE;
  }

  get occupiedSince(): number {
    return this.decoder.buffered > 0 ? this.timeouts.packetSince : this.timeouts.lastReadAt;
  }

  /** Closed to make room under max-conns (counted and logged by the server, not per connection). */
  evict(): void {
    if (this.occupancy === room.IDLE) this.end();
    else this.socket.destroy();
  }

  /** close(): run no new requests, write the pending answers, then end. */
  drain(): void {
    this.draining = true;
    this.accepting = false;
    if (this.sender.queued === 0) this.end();
  }

  /** Drops the connection now (close() ran out of time). */
  destroy(): void {
    this.socket.destroy();
  }

  /** Called by the server's sweep: closes a connection past a limit (see Timeouts.check). */
  check(now: number): void {
    const verdict = this.timeouts.check(now);
    if (verdict === IDLE) this.end();
    else if (verdict !== null) {
      this.abandon(verdict, verdict.startsWith(HARAKIRI) ? this.sender.harakiri() : null);
    }
  }

  /** The peer sent FIN: answer what it sent, then end. A packet left half sent is logged. */
  private peerEnded(): void {
    if (this.isEnded) return;
    if (this.accepting && this.decoder.buffered > 0) {
      this.accepting = false;
      this.logClose(`the peer closed its side in the middle of a packet (${this.decoder.buffered} bytes)`);
    }
    this.draining = true;
    if (this.sender.queued === 0 && this.finishing) this.end();
  }

  private onData(chunk: Buffer): void {
    if (!this.accepting || this.stalled) this.timeouts.read(this.host.now, false, this.decoder.buffered > 0);
    if (!this.accepting) return;
    if (this.stalled) {
      // Node emits no data while the socket is paused; should a chunk come anyway, it is
      // put back to be read after the frames that wait.
      this.socket.pause();
      this.socket.unshift(chunk);
      return;
    }
    if (!this.sawData) {
      this.sawData = true;
      // A TLS record (handshake, TLS 1.x) read as a uwsgi header is modifier1 22, refused once its announced size
      // has come; a short ClientHello (nginx's) would wait for socket-timeout first. Refused at once instead.
      if (chunk.length >= 2 && chunk[0] === TLS_HANDSHAKE && chunk[1] === TLS_MAJOR)
        return this.refuse('a TLS handshake on a plain socket (a suwsgi:// or https client?)');
    }
    const frames = this.decoder.decode(chunk);
    this.timeouts.read(this.host.now, frames.length > 0, this.decoder.buffered > 0);
    this.frames = frames;
    this.bad = this.decoder.error;
    this.chunk = chunk;
    this.next = 0;
    if (!this.sawRequest && frames.length > 0) {
      this.sawRequest = true;
      if (this.host.closeLone && this.oneShot(frames)) {
        this.lone = true;
        this.run();
        // as a peer's FIN would: end once it is answered (with it, when it is answered at once)
        return this.drain();
      }
    }
    this.run();
  }

  /**
   * The first request read is all there is (nothing more came with it), an RPC call answered
   * in the uwsgi form, without the keep-open mark: a caller that sends one request per
   * connection, as uWSGI's client and nginx do, and waits for the server to close.
   */
  private oneShot(frames: Frame<TextBytes>[]): boolean {
    if (frames.length !== 1 || this.decoder.buffered > 0 || this.bad !== null) return false;
    const f = frames[0];
    return f.modifier1 === RPC_MODIFIER1 && f.modifier2 === MODIFIER2.UWSGI && !hasKeepOpenMark(f.body);
  }

  /**
   * Runs the chunk's requests from `next` on; their answers leave in one writev. Stops
   * early, pausing the socket, once too much output waits to be sent or too many calls run:
   * tiny requests for big answers must not fill the memory. A malformed stream closes the
   * connection after the requests before the fault.
   */
  private run(): void {
    const s = this.socket;
    const frames = this.frames;
    s.cork();
    this.sender.batching(true);
    let i = this.next;
    while (i < frames.length && this.accepting) {
      this.dispatch(frames[i], i);
      i++;
      if (this.sender.full) break;
    }
    this.next = i;
    this.stalled = i < frames.length && this.accepting;
    if (!this.stalled) {
      const bad = this.bad;
      this.chunk = null;
      this.frames = NO_FRAMES;
      if (bad !== null && this.accepting) {
        this.refuse(
          bad.code === 'FRAME_TOO_LARGE'
            ? `buffer-size: a request packet larger than ${this.host.limits.bufferSize} bytes`
            : `malformed request: ${bad.message}`,
        );
      }
    }
    this.sender.batching(false);
    s.uncork();
    if (this.accepting && (this.stalled || this.sender.blocked)) this.sender.pause();
  }

  resumeReading(): boolean {
    if (!this.stalled) return true;
    this.run();
    if (this.draining && this.sender.queued === 0 && !this.stalled) {
      this.end();
      return false;
    }
    return !this.stalled && this.accepting && !this.sender.blocked;
  }

  /** Hands frame `i` of the chunk on: to its function, or to the HTTP hand-off. */
  private dispatch(frame: Frame<TextBytes>, i: number): void {
    const m2 = frame.modifier2;
    if (frame.modifier1 !== RPC_MODIFIER1) {
      if (frame.modifier1 === VARS_MODIFIER1) return this.handOff(frame, 0, i);
      return this.refuse(`modifier1 ${frame.modifier1} is neither an RPC request (173) nor an HTTP request (0)`);
    }
    if (m2 >= MODIFIER2.PATH_INFO && m2 <= MODIFIER2.JSONRPC) return this.handOff(frame, m2 as Bridge, i);
    const items = frame.items;
    if (items === undefined)
      return this.refuse(`malformed request: ${new CodecError(frame.itemsError ?? 'INVALID_INPUT').message}`);
    if (items.length === 0) return this.refuse('malformed request: no function name');
    // uWSGI reads at most the function and 254 args and ignores the rest.
    if (items.length > MAX_ITEMS) items.length = MAX_ITEMS;
    const name = items[0];
    const entry = this.host.registry.entry(name);
    const counters = this.host.counters;
    counters.requests++;
    if (entry === undefined) {
      counters.unknown++;
      return this.refuse(`unknown function ${showName(name)}`);
    }
    const stats = entry.stats;
    stats.calls++;
    // uWSGI writes the bare result for every modifier2 but 0 (and the bridges 2..4), then closes.
    if (m2 !== MODIFIER2.UWSGI) this.accepting = false;
    const t0 = counters.timing ? performance.now() : 0;
    let result: unknown;
    try {
      result = invoke(entry.fn, items);
    } catch (err) {
      counters.failed(stats, thrownReason(err), t0);
      return this.refuse(`function ${showName(name)} ${showFailure(err)}`);
    }
    this.sender.answer(result, name, m2, stats, t0);
  }

  /** The HTTP request in frame `i`: the bytes read past it are the start of its body. */
  private handOff(frame: Frame<TextBytes>, bridge: Bridge, i: number): void {
    this.accepting = false;
    // the answers before it go first: the hand-off writes on the socket itself
    this.sender.flushBatch();
    const rest = this.chunk!.subarray(this.decoder.end(i));
    // What the decoder holds past the packet is body, not a frame.
    this.decoder.reset();
    const host = this.host;
    handOffHttp(this.socket, this.sender, host.http(), host.codec, frame.body, bridge, rest);
  }

  refuse(reason: string): void {
    this.accepting = false;
    this.logClose(reason);
    if (this.sender.queued === 0) this.end();
    else this.sender.failAfterQueued(reason);
  }

  failing(reason: string): void {
    this.accepting = false;
    this.logClose(reason);
  }

  abandon(reason: string, fn: string | null = null): void {
    this.logClose(reason, fn);
    this.accepting = false;
    this.socket.destroy();
  }

  /** Sends FIN after the queued writes and keeps reading (and dropping) until the peer's FIN. */
  end(): void {
    if (this.isEnded) return;
    this.isEnded = true;
    this.accepting = false;
    this.stalled = false;
    const s = this.socket;
    // the answers gathered so far go before the FIN
    this.sender.flushBatch();
    if (this.lone && s.writableLength === 0 && !(s as { encrypted?: boolean }).encrypted) {
      // The answer is all in the kernel: closing the descriptor now sends FIN right behind it,
      // before the caller (who closes once it has the answer) can close first, as uWSGI does.
      // end() would send it a loop turn later, and the caller's side would keep the TIME_WAIT,
      // which costs the caller a port and this machine a third of the connections per second.
      // Nothing more was read, so the close is graceful; a peer that sends more gets a reset.
      s.destroy();
      return;
    }
    s.end();
    if (s.isPaused()) s.resume();
    this.timeouts.lingerAfterFinish();
  }

  /** `fn`: the function the line is about, when the text does not name it. */
  log(text: string, fn: string | null = null): void {
    const s = this.socket;
    const peer =
      s.remoteAddress === undefined ? `${this.listenerCounters.address} peer` : `${s.remoteAddress}:${s.remotePort}`;
    this.host.log(`${peer}: ${text}`, fn === null ? { peer, message: text } : { peer, message: text, function: fn });
  }

  private logClose(reason: string, fn: string | null = null): void {
    this.log(`${reason}: ${NEVER_ANSWERED}`, fn);
  }
}

/** Calls fn with the args (items after the name); the common short arities skip an array copy. */
function invoke(fn: RpcFunction, items: TextBytes[]): unknown {
  switch (items.length) {
    case 1:
      return fn();
    case 2:
      return fn(items[1]);
    case 3:
      return fn(items[1], items[2]);
    default:
      return fn(...items.slice(1));
  }
}
