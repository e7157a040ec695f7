// A connection's clocks: socket-timeout, request-timeout, keepalive-timeout, harakiri (calls and
// stalled streamed answers), checked on the server's sweep, and the linger after our FIN.
import type { Socket } from 'node:net';
import type { ServerLimits } from './options.js';
import type { Sender } from './sender.js';

/** What the timeouts look at on a connection. */
export interface Watched {
  readonly socket: Socket;
  readonly sender: Sender;
  /** Our FIN is on its way. */
  readonly ended: boolean;
  /** Requests were read that wait to be run (reading is paused for them). */
  readonly waiting: boolean;
  /** Bytes of a request packet not complete yet. */
  readonly buffered: number;
}

/** check()'s verdict for a connection idle between requests past keepalive-timeout: end it quietly. */
export const IDLE: unique symbol = Symbol('idle');

/** How check()'s harakiri verdicts begin (the call is counted as a harakiri failure). */
export const HARAKIRI = 'harakiri:';

/** After our FIN has gone out, how long to wait for the peer's before dropping the socket. */
const LINGER_MS = 2000;

/** libuv's count of bytes the kernel has not taken yet (Node keeps it on the socket's handle). */
function writeQueueSize(s: Socket): number {
  const handle: unknown = Reflect.get(s, '_handle');
  const size: unknown =
    typeof handle === 'object' && handle !== null ? Reflect.get(handle, 'writeQueueSize') : undefined;
  return typeof size === 'number' ? size : 0;
}

/** When a connection last moved, in each direction, and what its timeouts make of that. */
export class Timeouts {
  /** When bytes last came in. */
  private lastRead: number;
  /**
   * When the packet not complete yet began to come (-1: none), for request-timeout. While
   * reading is paused (calls or answers over their limits) the peer cannot finish it: that
   * time is not charged to it.
   */
  private packetStart = -1;
  /** How many answer bytes had not left when they last moved, and when that was. */
  private sentMark = 0;
  private queuedMark = 0;
  private lastSent: number;
  private linger: NodeJS.Timeout | null = null;

  constructor(
    private readonly c: Watched,
    private readonly limits: ServerLimits,
    now: number,
  ) {
    this.lastRead = this.lastSent = now;
  }

  /** When bytes last came in (for an idle connection: since when it has been idle). */
  get lastReadAt(): number {
    return this.lastRead;
  }

  /** When the packet not whole yet began, or (none) when bytes last came in. */
  get packetSince(): number {
    return this.packetStart >= 0 ? this.packetStart : this.lastRead;
  }

  /**
   * Bytes came in at `now`; `completed`: a packet ended in them, `partial`: one is left
   * unfinished. One timestamp per packet, not per byte: a drip does not move packetStart.
   */
  read(now: number, completed: boolean, partial: boolean): void {
    this.lastRead = now;
    if (!partial) this.packetStart = -1;
    else if (completed || this.packetStart < 0) this.packetStart = now;
  }

  /**
   * Called by the server's sweep: why the connection must close now (one log line), IDLE,
   * or null. A peer that reads none of its answers for socketTimeout; a call running (or a
   * streamed answer producing nothing) longer than harakiri; with nothing running, a packet
   * begun requestTimeout ago and still not whole, a peer silent (or mid-packet) for
   * socketTimeout, or idle between requests for keepaliveTimeout
   * (IDLE: that is housekeeping, not a fault).
   */
  check(now: number): string | typeof IDLE | null {
    const c = this.c;
    const s = c.socket;
    const l = this.limits;
    if (s.destroyed) return null;
    if (this.packetStart >= 0 && s.isPaused()) this.packetStart = now;
    const pending = s.writableLength;
    // The kernel takes a big chunk bit by bit: libuv's queue size moves when the chunk does not.
    const queued = writeQueueSize(s);
    if (pending === 0 || pending !== this.sentMark || queued !== this.queuedMark) {
      this.sentMark = pending;
      this.queuedMark = queued;
      this.lastSent = now;
    } else if (l.socketTimeout > 0 && now - this.lastSent >= l.socketTimeout) {
      return `socket-timeout: the peer read nothing of ${pending} pending answer bytes for ${l.socketTimeout} ms`;
    }
    if (c.ended) return null;
    const out = c.sender;
    if (l.harakiri > 0) {
      // A streamed answer whose iterable stops producing (the socket taking it is socket-timeout's job).
      const moved = out.streamingSince();
      if (moved >= 0 && pending === 0 && now - moved >= l.harakiri)
        return `${HARAKIRI} a streamed answer produced nothing for ${l.harakiri} ms`;
    }
    if (out.queued > 0) {
      const started = l.harakiri > 0 ? out.runningSince() : -1;
      if (started >= 0 && now - started >= l.harakiri) return `${HARAKIRI} a call ran longer than ${l.harakiri} ms`;
      return null;
    }
    if (pending > 0 || c.waiting) return null;
    const partial = c.buffered;
    if (partial > 0 && l.requestTimeout > 0 && this.packetStart >= 0 && now - this.packetStart >= l.requestTimeout) {
      return `request-timeout: a packet not whole (${partial} bytes) ${l.requestTimeout} ms after its first byte`;
    }
    if (!out.answered || partial > 0) {
      if (l.socketTimeout > 0 && now - this.lastRead >= l.socketTimeout) {
        return `socket-timeout: ${partial > 0 ? `a partial packet (${partial} bytes)` : 'no request'} for ${l.socketTimeout} ms`;
      }
    } else if (l.keepaliveTimeout > 0 && now - this.lastRead >= l.keepaliveTimeout) {
      return IDLE;
    }
    return null;
  }

  /**
   * Our FIN is queued: once the last byte is handed to the kernel (so a slow reader of a big
   * answer is not cut off), the peer has LINGER_MS to close before the socket is dropped.
   */
  lingerAfterFinish(): void {
    const s = this.c.socket;
    s.once('finish', () => {
      if (s.destroyed) return;
      this.linger = setTimeout(() => s.destroy(), LINGER_MS);
      this.linger.unref();
    });
  }

  /** The socket closed. */
  closed(): void {
    if (this.linger !== null) clearTimeout(this.linger);
  }
}
