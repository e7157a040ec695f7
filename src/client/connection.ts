// One client socket to a node: writes calls, reads their answers in order with the codec's decoder.
import type { Socket } from 'node:net';
import type { Codec } from '../codec/codec.js';
import type { FrameDecoder } from '../codec/decoder.js';
import { MODIFIER2, RPC_MODIFIER1 } from '../codec/constants.js';
import { withKeepOpenMark } from '../codec/keep-open.js';
import { RpcError } from '../rpc-error.js';
import { NO_ANSWER_MESSAGE, connectError, tlsError } from './errors.js';
import { type TlsDialer, dial, isTlsError } from './tls.js';
import type { NodeAddress } from '../address/address.js';
import type { CallHolder, PendingCall } from './pending-call.js';
import { Deadlines, Timed } from './deadlines.js';

/** What a connection tells its owner (a NodePool). */
export interface ConnectionOwner {
  /** Answers arrived and the connection can take calls again (keep-alive only). */
  onFree(conn: Connection): void;
  /** The socket is gone; every call it had sent is settled. */
  onClosed(conn: Connection): void;
  /** A call handed to this connection was never written (the peer closed first): place it again. */
  redispatch(call: PendingCall): void;
}

export interface ConnectionSettings {
  /** Keep the socket after an answer (else close it as soon as the one answer is read). */
  keepAlive: boolean;
  maxResponse: number;
  /** keepAlive: the client's idle deadlines (they never hold the process). */
  idle: Deadlines;
}

/**
 * A result the caller may keep, always a plain Uint8Array: the bytes themselves when they
 * fill their whole buffer, else a copy (a view would pin, and expose, the rest of a read
 * chunk). Buffer's slice() would be a view, hence the constructor.
 */
function owned(body: Uint8Array): Uint8Array {
  if (body.byteOffset === 0 && body.byteLength === body.buffer.byteLength) {
    return body.constructor === Uint8Array ? body : new Uint8Array(body.buffer, 0, body.byteLength);
  }
  return new Uint8Array(body);
}

/**
 * One socket to a node and the calls written on it, answered in order. In per-call mode
 * (keepAlive false, and always for raw calls) it carries exactly one call and closes once
 * the answer is read, without waiting for EOF, as uWSGI's client does.
 *
 * A call given to an already used connection is written on the next turn of the event
 * loop, once I/O has been polled: if the peer closed the connection meanwhile, the call,
 * still unwritten, goes back to the pool instead of onto a dead socket. Calls given in
 * the same turn go out in one write. When the connection has nothing written in flight and
 * read an answer since its last write, the write waits one check phase more: a FIN right
 * behind that answer (a graceful close after in-flight answers, a max-requests limit, a
 * restart) is read only in the poll phase after the one that read the answer, since libuv
 * stops reading a socket at a short read. A call pipelined behind written calls is not held
 * back: a FIN would come behind their answers, not yet read, so waiting would not show it.
 */
export class Connection extends Timed implements CallHolder {
  readonly socket: Socket;
  readonly raw: boolean;
  connected = false;
  closed = false;
  /** Takes further calls once free (keep-alive, not raw, peer still open, nothing abandoned). */
  reusable: boolean;
  /** Complete answers read so far, and when the last one completed. */
  answers = 0;
  lastAnswerAt = 0;
  /** It closed with no call in flight (the server closed an idle connection). */
  closedIdle = false;
  /**
   * Calls given to this connection, oldest first: written ones, then `unwritten` ones. Settled written ones stay until
   * their answer is skipped.
   */
  private readonly queue: PendingCall[] = [];
  private unwritten: PendingCall[] = [];
  private flushing = false;
  /**
   * An answer was read since the last write: a FIN right behind it is read only in the poll
   * phase after the one that read the answer (libuv stops reading at a short read).
   */
  private answeredSinceWrite = false;
  private readonly decoder: FrameDecoder | null;
  private rawChunks: Uint8Array[] = [];
  private rawSize = 0;
  private sawEnd = false;
  private lastError: Error | null = null;
  /** TLS: the TCP connection is up (a failure now is the handshake's). */
  private tcpUp = false;

  constructor(
    readonly address: NodeAddress,
    tls: TlsDialer | null,
    codec: Codec,
    private readonly settings: ConnectionSettings,
    private readonly owner: ConnectionOwner,
    first: PendingCall,
  ) {
    super();
    this.raw = first.raw;
    this.reusable = settings.keepAlive && !first.raw;
    this.decoder = first.raw ? null : codec.createDecoder({ response: true, maxFrame: settings.maxResponse });
    first.holder = this;
    this.queue.push(first);
    const { socket: s, ready } = dial(address, tls);
    this.socket = s;
    s.on(ready, () => this.onConnect());
    s.on('connect', () => {
      this.tcpUp = true;
    });
    s.on('data', (chunk: Buffer) => this.onData(chunk));
    s.on('end', () => {
      this.sawEnd = true;
      this.reusable = false;
    });
    s.on('error', (err) => {
      this.lastError = err;
    });
    s.on('close', () => this.onClose());
  }

  get key(): string {
    return this.address.key;
  }

  /** Calls given and not yet answered (abandoned ones included: their answers come first). */
  get inFlight(): number {
    return this.queue.length;
  }

  /** Gives a call to this connected, reusable connection; it is written on the next turn. */
  send(call: PendingCall): void {
    this.clearIdle();
    call.holder = this;
    this.queue.push(call);
    this.unwritten.push(call);
    if (!this.flushing) {
      this.flushing = true;
      setImmediate(() => this.flush());
    }
  }

  private flush(): void {
    const calls = this.unwritten;
    if (calls.length === 0 || this.sawEnd || this.closed) {
      this.flushing = false;
      this.unwritten = [];
      this.remove(calls);
      for (const call of calls) this.giveBack(call);
      return;
    }
    if (this.answeredSinceWrite && this.queue.length === calls.length) {
      // The answer may have been read in this turn's poll phase: the next one reads a FIN
      // that came right behind it, and these calls then go elsewhere.
      this.answeredSinceWrite = false;
      setImmediate(() => this.flush());
      return;
    }
    this.flushing = false;
    this.answeredSinceWrite = false;
    this.unwritten = [];
    this.socket.cork();
    for (const call of calls) this.write(call);
    this.socket.uncork();
  }

  /** Takes calls out of the queue (unwritten ones, which never reached the peer). */
  private remove(calls: PendingCall[]): void {
    if (calls.length === 0) return;
    const gone = new Set(calls);
    const kept = this.queue.filter((c) => !gone.has(c));
    this.queue.length = 0;
    this.queue.push(...kept);
  }

  /** An unwritten call goes back to the pool, to be placed on another connection. */
  private giveBack(call: PendingCall): void {
    call.holder = null;
    if (!call.settled) this.owner.redispatch(call);
  }

  private write(call: PendingCall, packet = call.packet): void {
    call.sent = true;
    this.socket.write(packet);
  }

  private onConnect(): void {
    this.connected = true;
    const first = this.queue[0];
    if (first === undefined || first.settled) return;
    if (!this.reusable) return this.write(first);
    // Keep-alive: the first call carries the keep-open mark, or a server of ours ends the
    // connection with its answer as it does for one-shot callers (uWSGI ignores the mark).
    this.write(first, withKeepOpenMark(first.packet) ?? first.packet);
  }

  /**
   * Keep-alive: an idle connection holds no call, does not keep the process alive, and closes after `ms`
   * (on the client's idle deadlines: a timer per connection was armed and cleared on every call).
   */
  markIdle(ms: number): void {
    this.socket.unref();
    if (ms !== Infinity && this.list === null) this.settings.idle.add(this, ms);
  }

  private clearIdle(): void {
    this.socket.ref();
    Deadlines.remove(this);
  }

  /** Idle for idleTimeout. */
  onDeadline(): void {
    this.destroy();
  }

  destroy(): void {
    this.reusable = false;
    this.clearIdle();
    this.socket.destroy();
  }

  /**
   * A call gave up (timeout, abort). Unwritten: it just leaves. Still connecting: the
   * connection was only for it. Sent: its answer can only be skipped when it comes.
   */
  cancel(call: PendingCall): void {
    const u = this.unwritten.indexOf(call);
    if (u >= 0) {
      this.unwritten.splice(u, 1);
      this.queue.splice(this.queue.indexOf(call), 1);
      if (this.queue.length === 0 && this.reusable) this.owner.onFree(this);
      return;
    }
    if (!this.connected || this.queue.every((c) => c.settled)) {
      this.destroy();
      return;
    }
    // Later pipelined calls still wait for their answers behind this one's.
    this.reusable = false;
  }

  private onData(chunk: Buffer): void {
    if (this.decoder === null) {
      this.rawSize += chunk.length;
      if (this.rawSize > this.settings.maxResponse) {
        this.failSent('MALFORMED', `the raw answer is larger than maxResponse (${this.settings.maxResponse} bytes)`);
        return;
      }
      this.rawChunks.push(chunk);
      return;
    }
    if (this.queue.length === 0 || !this.queue[0].sent) {
      // Nothing was asked: a server that talks on its own cannot be trusted with calls.
      this.destroy();
      return;
    }
    const frames = this.decoder.decode(chunk);
    const bad = this.decoder.error;
    if (bad !== null) {
      this.failSent('MALFORMED', `malformed answer: ${bad.message}`, bad);
      return;
    }
    if (frames.length === 0) return;
    if (!this.settings.keepAlive && (frames.length > 1 || this.decoder.buffered > 0)) {
      this.failSent('MALFORMED', 'bytes follow the answer (a server answers one call per connection here)');
      return;
    }
    for (const f of frames) {
      const call = this.queue[0];
      if (call === undefined || !call.sent) {
        this.destroy();
        return;
      }
      if (f.modifier1 !== RPC_MODIFIER1 || (f.modifier2 !== MODIFIER2.UWSGI && f.modifier2 !== MODIFIER2.DICT)) {
        this.failSent(
          'MALFORMED',
          `the answer's header is (${f.modifier1}, ${f.modifier2}), not an RPC answer (173, 0 or 5)`,
        );
        return;
      }
      this.queue.shift();
      this.answers++;
      if (f.body.length === 0)
        call.reject(
          new RpcError(
            'NO_ANSWER',
            `${this.key}: empty answer (unknown function, the function failed or returned nothing)`,
            call.node,
          ),
        );
      else call.resolve(owned(f.body));
    }
    this.lastAnswerAt = performance.now();
    this.answeredSinceWrite = true;
    if (!this.settings.keepAlive) {
      this.destroy();
    } else if (this.reusable) {
      this.owner.onFree(this);
    } else if (this.queue.every((c) => c.settled)) {
      // Not to be reused (closing, or a call was abandoned) and nobody waits for an answer.
      this.destroy();
    }
  }

  /** The answer stream is unusable: every sent call fails; unwritten ones go elsewhere on close. */
  private failSent(code: 'MALFORMED', message: string, cause?: unknown): void {
    for (const call of this.queue)
      if (call.sent) call.reject(new RpcError(code, `${this.key}: ${message}`, call.node, { cause }));
    this.destroy();
  }

  private onClose(): void {
    this.closed = true;
    this.reusable = false;
    this.clearIdle();
    const back = this.unwritten;
    this.unwritten = [];
    this.remove(back);
    this.closedIdle = this.connected && this.queue.length === 0;
    if (!this.connected) {
      const handshaking = this.address.tls && this.tcpUp;
      for (const call of this.queue) call.reject(connectError(this.lastError, call.node, handshaking));
    } else if (this.decoder === null) {
      this.settleRaw();
    } else {
      let first = true;
      for (const call of this.queue) {
        if (!call.settled) call.reject(this.noAnswer(call, first));
        first = false;
      }
    }
    this.queue.length = 0;
    this.owner.onClosed(this);
    for (const call of back) this.giveBack(call);
  }

  private settleRaw(): void {
    const call = this.queue[0];
    if (call === undefined || call.settled) return;
    if (!this.sawEnd || this.lastError !== null) {
      call.reject(this.noAnswer(call, true));
    } else if (this.rawSize === 0) {
      call.reject(new RpcError('NO_ANSWER', `${this.key}: ${NO_ANSWER_MESSAGE}`, call.node));
    } else {
      const out = this.rawChunks.length === 1 ? owned(this.rawChunks[0]) : concat(this.rawChunks, this.rawSize);
      call.resolve(out);
    }
  }

  private noAnswer(call: PendingCall, head: boolean): RpcError {
    // a TLS 1.3 node refuses a client certificate after the client's handshake is done
    if (isTlsError(this.lastError)) return tlsError(this.lastError, call.node);
    const how = this.lastError ? ` (${(this.lastError as NodeJS.ErrnoException).code ?? this.lastError.message})` : '';
    let what: string;
    if (!head)
      what =
        'closed before this call was answered: an earlier call on the connection got no answer; this call may have run';
    else if (this.raw && this.rawSize > 0) what = `the raw answer was cut off after ${this.rawSize} bytes`;
    else if (this.decoder !== null && this.decoder.buffered > 0)
      what = `closed in the middle of the answer (${this.decoder.buffered} bytes read)`;
    else if (this.address.tls && this.answers === 0)
      // Node-based servers refuse a client certificate by closing after the handshake, without a TLS alert
      what = `${NO_ANSWER_MESSAGE}; over TLS also a node that refused this client's certificate (its log tells)`;
    else what = NO_ANSWER_MESSAGE;
    return new RpcError('NO_ANSWER', `${this.key}: ${what}${how}`, call.node, { cause: this.lastError ?? undefined });
  }
}

function concat(chunks: Uint8Array[], size: number): Uint8Array {
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}
