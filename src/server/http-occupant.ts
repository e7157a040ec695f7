// An --http-socket connection in the max-conns table (conn-table.ts): busy while a request is
// served or its response written, idle between requests, unfinished while a request head has not
// come whole. Read from node:http's own events and the socket's byte count, and only judged when
// the table is full: per request one listener, one byte count and one clock read, no timer, no 'data'
// listener (one would take node:http off its fast path, the parser reading the socket's handle).
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import type { ConnectionTable, TableEntry } from './conn-table.js';
import type { ListenerCounters } from './counters.js';
import { BUSY, ENDING, IDLE, type Occupancy, UNFINISHED } from './eviction.js';

/** Where a socket keeps its occupant, for requestStarted(): one property read per request, no map. */
const OCCUPANT = Symbol('max-conns occupant');
type Held = Socket & { [OCCUPANT]?: HttpOccupant };

/** Matches no byte count: before its first request a connection counts as unfinished, as on a uwsgi socket. */
const NO_REQUEST_YET = -1;

export class HttpOccupant implements TableEntry {
  /** Requests received whose response has not closed yet (node:http hands pipelined ones over at once). */
  private pending = 0;
  /** When it was taken, then when its last response closed (ms, performance.now's clock). */
  occupiedSince = performance.now();
  /**
   * The socket's bytes read when its last response closed. More since, and no request: a head
   * that is not whole yet (or the rest of a body nobody read). Bytes of a next head that came
   * while the response was still going out are missed: it then counts as idle, closed by a FIN.
   */
  private readMark = NO_REQUEST_YET;
  /** The response 'close' listener: made once per connection, not per request. */
  private readonly settled = () => {
    if (--this.pending > 0) return;
    this.readMark = this.socket.bytesRead;
    this.occupiedSince = performance.now();
  };

  constructor(
    /** The socket node:http reads requests from (the TLS one on an HTTPS socket). */
    readonly socket: Socket,
    readonly listenerCounters: ListenerCounters,
  ) {}

  /** A request head came: busy until its response has closed (sent, or the socket gone). */
  request(res: ServerResponse): void {
    this.pending++;
    res.on('close', this.settled);
  }

  get occupancy(): Occupancy {
    const s = this.socket;
    if (s.destroyed) return ENDING;
    if (this.pending > 0 || s.writableLength > 0) return BUSY;
    // node:http ends the socket after a `Connection: close` response (once it is all written)
    if (s.writableEnded) return ENDING;
    return s.bytesRead === this.readMark ? IDLE : UNFINISHED;
  }

  /** Closed to make room: a quiet FIN for an idle one (a keep-alive client opens a new one), a drop for the others. */
  evict(): void {
    if (this.occupancy === IDLE) this.socket.end();
    else this.socket.destroy();
  }
}

/**
 * Puts each connection of an HTTP socket in `table` (the HTTP sockets' max-conns table), or closes
 * it when the table is full and every open one busy, and counts its bytes on `counters`. On an
 * HTTPS socket a connection is taken once its handshake is done, as on a uwsgi TLS socket.
 */
export function watchHttpConnections(
  server: Server,
  secure: boolean,
  table: ConnectionTable<HttpOccupant>,
  counters: ListenerCounters,
): void {
  server.on(secure ? 'secureConnection' : 'connection', (socket: Socket) => {
    if (!table.admit(socket, counters)) return;
    const o = new HttpOccupant(socket, counters);
    table.open.add(o);
    (socket as Held)[OCCUPANT] = o;
    counters.accepted++;
    counters.open++;
    socket.once('close', () => {
      table.open.delete(o);
      counters.open--;
      counters.closedRx += socket.bytesRead;
      counters.closedTx += socket.bytesWritten;
    });
  });
}

/**
 * node:http parsed a request head on a watched connection: busy until its response has closed.
 * Called by the request handler itself: a second 'request' listener would make node copy the
 * listener array at every request.
 */
export function requestStarted(req: IncomingMessage, res: ServerResponse): void {
  (req.socket as Held)[OCCUPANT]?.request(res);
}
