// --max-conns at the limit: which open connection to close for a new one. The cheapest to lose
// go first: ones already ending, then idle keep-alive ones (longest idle first), then the ones
// whose request is still not whole (begun longest ago first: the slow drips); never one with a
// call running or an answer on its way. The cost per accept is bounded: candidates come from a
// list sorted by one scan of the table, taken at most once every RESCAN_MS.

/** What closing a connection would cost: nothing (it is ending), a kept-open idle one, a half-sent request. */
export const ENDING = 0;
export const IDLE = 1;
export const UNFINISHED = 2;
/** A call runs, answers are queued or unsent, or an HTTP request is being served: never closed for room. */
export const BUSY = 3;
export type Occupancy = typeof ENDING | typeof IDLE | typeof UNFINISHED | typeof BUSY;

/** A connection as the table sees it. */
export interface Occupant {
  readonly occupancy: Occupancy;
  /** Since when it has been idle, or its unfinished request began (ms, performance.now's clock). */
  readonly occupiedSince: number;
  /** Closes it now: a quiet FIN for an idle one (as keepalive-timeout), a drop for the others. */
  evict(): void;
}

/** At most one scan of the table per this many ms: a flood against a table of busy connections costs O(1) per accept. */
const RESCAN_MS = 100;
/** Candidates looked at per accept before refusing it (each may have turned busy since the scan). */
const TRIES = 8;

/** What made room since the counts were last taken. */
export interface EvictionCounts {
  ending: number;
  idle: number;
  unfinished: number;
}

/** Picks the connections to close when the table is full. */
export class Eviction<C extends Occupant> {
  /** Sorted candidates of the last scan, cheapest first, from `next` on. */
  private candidates: C[] = [];
  private next = 0;
  private scannedAt = Number.NEGATIVE_INFINITY;
  private counts: EvictionCounts = { ending: 0, idle: 0, unfinished: 0 };

  constructor(private readonly table: ReadonlySet<C>) {}

  /** Closes the cheapest connection to lose and returns it, or null if every one is busy. */
  makeRoom(now: number): C | null {
    for (let tries = 0; tries < TRIES; tries++) {
      if (this.next >= this.candidates.length && !this.scan(now)) return null;
      const c = this.candidates[this.next++];
      const kind = c.occupancy;
      if (kind === BUSY || !this.table.has(c)) continue;
      this.counts[kind === ENDING ? 'ending' : kind === IDLE ? 'idle' : 'unfinished']++;
      c.evict();
      return c;
    }
    return null;
  }

  /** The counts since the last call, and zero again. */
  take(): EvictionCounts {
    const counts = this.counts;
    this.counts = { ending: 0, idle: 0, unfinished: 0 };
    return counts;
  }

  /** Sorts the table's candidates (cheapest kind first, then oldest); false if it is too soon or none is. */
  private scan(now: number): boolean {
    if (now - this.scannedAt < RESCAN_MS) return false;
    this.scannedAt = now;
    const keyed: { c: C; kind: number; since: number }[] = [];
    for (const c of this.table) {
      const kind = c.occupancy;
      if (kind !== BUSY) keyed.push({ c, kind, since: c.occupiedSince });
    }
    keyed.sort((a, b) => a.kind - b.kind || a.since - b.since);
    this.candidates = keyed.map((k) => k.c);
    this.next = 0;
    return this.candidates.length > 0;
  }
}
