// The connections to one node: what it does with them (keeps or closes), keep-alive reuse, and calls waiting for a
// socket.
import type { Codec } from '../codec/codec.js';
import { Connection, type ConnectionOwner } from './connection.js';
import type { NodeAddress } from '../address/address.js';
import type { TlsDialer } from './tls.js';
import type { ClientConfig } from './options.js';
import type { CallHolder, PendingCall } from './pending-call.js';
import type { Deadlines } from './deadlines.js';

/**
 * What a node does with a connection after answering: uWSGI closes it, our server keeps
 * it. Learned, never assumed: a call is only written on a used connection once the node
 * is known to keep connections, so no call is ever sent on a connection the server was
 * about to close (where it could not be told apart from a call that ran and failed).
 */
export type NodeBehaviour = 'unknown' | 'keeps' | 'closes';

/**
 * The connections to one node and the calls waiting for one (maxSockets). In per-call mode
 * each call gets its own connection; with keepAlive, answered connections are reused once
 * the node has proven it keeps them.
 */
export class NodePool implements ConnectionOwner, CallHolder {
  behaviour: NodeBehaviour = 'unknown';
  private readonly conns = new Set<Connection>();
  private readonly waiting: PendingCall[] = [];
  /** Answered connections of a node not (yet) known to keep them: watched, not reused. */
  private readonly probation = new Set<Connection>();
  private closing = false;
  private whenClosed: (() => void) | null = null;

  constructor(
    readonly address: NodeAddress,
    /** TLS nodes: how their connections are opened. */
    private readonly tls: TlsDialer | null,
    private readonly cfg: ClientConfig,
    private readonly codec: () => Codec,
    /** The client's idle deadlines (keepAlive). */
    private readonly idle: Deadlines,
    /** Called when the pool holds nothing (per-call mode drops it then). */
    private readonly onEmpty: (pool: NodePool) => void,
  ) {}

  get size(): number {
    return this.conns.size;
  }

  dispatch(call: PendingCall): void {
    const reuse = call.raw ? undefined : this.reusable();
    if (reuse !== undefined) reuse.send(call);
    else if (this.conns.size < this.cfg.maxSockets) this.open(call);
    else {
      call.holder = this;
      this.waiting.push(call);
    }
  }

  redispatch(call: PendingCall): void {
    this.dispatch(call);
  }

  cancel(call: PendingCall): void {
    const i = this.waiting.indexOf(call);
    if (i >= 0) this.waiting.splice(i, 1);
    this.checkEmpty();
  }

  private open(call: PendingCall): void {
    const settings = {
      keepAlive: this.cfg.keepAlive && !this.closing,
      maxResponse: this.cfg.maxResponse,
      idle: this.idle,
    };
    this.conns.add(new Connection(this.address, this.tls, this.codec(), settings, this, call));
  }

  /** A connected connection with room for a call, idle ones first; only for nodes that keep connections. */
  private reusable(): Connection | undefined {
    if (!this.cfg.keepAlive || this.behaviour !== 'keeps' || this.closing) return undefined;
    let best: Connection | undefined;
    for (const c of this.conns) {
      if (!c.reusable || !c.connected || c.closed) continue;
      const n = c.inFlight;
      if (n === 0) return c;
      if (n < this.cfg.pipelining && (best === undefined || n < best.inFlight)) best = c;
    }
    return best;
  }

  onFree(conn: Connection): void {
    if (this.closing) {
      if (conn.inFlight === 0) conn.destroy();
      return;
    }
    if (this.behaviour === 'keeps') {
      if (conn.inFlight === 0) conn.markIdle(this.cfg.idleTimeout);
      this.drain();
      return;
    }
    if (conn.inFlight > 0 || this.probation.has(conn)) return;
    // A server that closes after answering does so at once; one still open after the
    // probation time keeps connections. The verdict waits for the I/O poll that follows the
    // timer: after a busy spell of the event loop, timers run before the I/O that came
    // meanwhile, and a close already received would be taken for a kept connection. A
    // connection whose end has been read is closing: onClosed() gives the verdict.
    this.probation.add(conn);
    conn.markIdle(Infinity);
    setTimeout(() => {
      setImmediate(() => {
        if (!this.probation.has(conn) || conn.closed || !conn.reusable) return;
        this.probation.delete(conn);
        this.behaviour = 'keeps';
        conn.markIdle(this.cfg.idleTimeout);
        this.drain();
      });
    }, this.cfg.probation).unref();
  }

  onClosed(conn: Connection): void {
    this.conns.delete(conn);
    if (this.probation.delete(conn)) {
      this.behaviour = 'closes';
    } else if (
      this.behaviour === 'keeps' &&
      conn.closedIdle &&
      conn.answers === 1 &&
      performance.now() - conn.lastAnswerAt < this.cfg.probation
    ) {
      // A node that kept connections now closes them right after answering (another server there).
      // Not after several answers: the node kept that connection, and closed it as a server that
      // keeps connections does at times (a max-requests limit, a graceful restart).
      this.behaviour = 'closes';
    }
    this.drain();
    this.checkEmpty();
  }

  private drain(): void {
    while (this.waiting.length > 0) {
      const call = this.waiting[0];
      const reuse = call.raw ? undefined : this.reusable();
      if (reuse !== undefined) {
        this.waiting.shift();
        reuse.send(call);
      } else if (this.conns.size < this.cfg.maxSockets) {
        this.waiting.shift();
        this.open(call);
      } else {
        return;
      }
    }
  }

  /** Stops reusing connections: idle ones close now, busy ones after their answers. */
  close(): Promise<void> {
    this.closing = true;
    this.probation.clear();
    for (const c of this.conns) {
      c.reusable = false;
      if (c.inFlight === 0) c.destroy();
    }
    return new Promise((resolve) => {
      this.whenClosed = resolve;
      this.checkEmpty();
    });
  }

  private checkEmpty(): void {
    if (this.conns.size > 0 || this.waiting.length > 0) return;
    this.onEmpty(this);
    if (this.whenClosed) {
      const done = this.whenClosed;
      this.whenClosed = null;
      done();
    }
  }
}
