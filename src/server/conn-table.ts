// One table of open connections bounded by --max-conns: at the limit it makes room for a new one
// (eviction.ts picks whom to close), counts what it closed and refused, and says so in few lines.
// The uwsgi sockets share one table, the HTTP sockets another (see RpcServer).
import type { Duplex } from 'node:stream';
import type { ListenerCounters } from './counters.js';
import { Eviction, type Occupant } from './eviction.js';
import type { LogLine } from './log.js';

/** A connection the table holds, with the counters of the socket it came through. */
export interface TableEntry extends Occupant {
  readonly listenerCounters: ListenerCounters;
}

/** While the table stays full, a line on what it cost at most this often (ms). */
const FULL_LOG_EVERY_MS = 10_000;

export class ConnectionTable<C extends TableEntry> {
  readonly open = new Set<C>();
  /** Open ones closed to make room, and new ones refused (every open one busy), since the start. */
  evicted = 0;
  refused = 0;
  private readonly eviction = new Eviction(this.open);
  /** Full since a line was logged: when, and how many were refused since. */
  private full: { loggedAt: number; refused: number } | null = null;

  constructor(
    private readonly max: number,
    /** What the lines call an entry: 'connection', 'HTTP connection'. */
    private readonly noun: string,
    private readonly log: LogLine,
  ) {}

  /**
   * Whether a new connection on the socket of `counters` may be taken: yes below the limit; at it,
   * if the open one that costs least to lose (see eviction.ts) was closed for it. Otherwise the
   * new socket is closed here and counted. One line when the table fills; logFull() then sums up.
   */
  admit(socket: Duplex, counters: ListenerCounters): boolean {
    if (this.open.size < this.max) return true;
    const now = performance.now();
    if (this.full === null) {
      this.full = { loggedAt: now, refused: 0 };
      // the socket's address goes first, so the event is not found from the opening words
      this.log(
        `${counters.address}: max-conns: ${this.max} ${this.noun}s open: closing idle ones and requests not whole ` +
          'to make room; new ones refused while every one is busy',
        { event: 'max_conns', level: 'warn' },
      );
    }
    const victim = this.eviction.makeRoom(now);
    if (victim !== null) {
      // its close event comes later: the slot is the new one's now
      this.open.delete(victim);
      this.evicted++;
      victim.listenerCounters.evicted++;
      return true;
    }
    socket.on('error', () => {});
    socket.destroy();
    this.full.refused++;
    this.refused++;
    counters.refused++;
    return false;
  }

  /** The sweep's line on a full table: what it cost since the last one, at most every FULL_LOG_EVERY_MS. */
  logFull(now: number): void {
    const full = this.full;
    if (full === null) return;
    const below = this.open.size < this.max;
    if (!below && now - full.loggedAt < FULL_LOG_EVERY_MS) return;
    const { ending, idle, unfinished } = this.eviction.take();
    const closed = ending + idle + unfinished;
    if (closed > 0 || full.refused > 0 || below) {
      const s = (n: number) => (n === 1 ? '' : 's');
      this.log(
        `max-conns: in ${((now - full.loggedAt) / 1000).toFixed(1)} s, ${closed} ${this.noun}${s(closed)} closed to make room ` +
          `(${ending} ending, ${idle} idle, ${unfinished} with a request not whole), ${full.refused} refused ` +
          `(every one busy)${below ? '; below the limit again' : ''}`,
      );
    }
    if (below) this.full = null;
    else {
      full.loggedAt = now;
      full.refused = 0;
    }
  }
}
