// Deadlines: every timeout of one client on a single timer, armed for the earliest deadline.

/** setTimeout takes at most a signed 32-bit delay; longer ones fire at once. */
const MAX_DELAY = 2 ** 31 - 1;

/**
 * Something that expires: a call waiting for its answer, a stream waiting for a chunk, an idle
 * connection. Subclassed rather than wrapped, so a call carries its deadline without an object more.
 */
export abstract class Timed {
  /** performance.now() at which it expires (set by Deadlines.add). */
  deadline = 0;
  /** The list it waits in, and its neighbours there (null: not waiting). */
  list: DeadlineList | null = null;
  prev: Timed | null = null;
  next: Timed | null = null;

  /** Its deadline passed (it is already out of its list). */
  abstract onDeadline(): void;
}

/**
 * The entries of one timeout length. Each is added at performance.now() + that length, and the
 * clock only moves forward, so appending keeps the list in deadline order: the head expires first.
 */
class DeadlineList {
  head: Timed | null = null;
  tail: Timed | null = null;

  constructor(readonly owner: Deadlines) {}
}

/**
 * The deadlines of one client (or of its idle connections) on ONE timer, armed for the earliest of
 * them; a timer per call costs a Timeout object, its insertion and its removal on every call.
 * Adding and removing are O(1): entries of the same length are kept in a list of their own (see
 * DeadlineList), and a client uses one or a few lengths. The timer is not moved when the earliest
 * entry leaves (its answer came): when it fires it expires what is due and re-arms for the new
 * earliest, so under steady load it fires about once per timeout length, whatever the call rate.
 *
 * Never early: an entry expires only once performance.now() has reached its deadline (a timer
 * that fires before that, as Node's may by the loop's cached clock, re-arms for the rest). Late
 * by the timer's resolution (1 ms, rounded up) plus whatever holds the event loop.
 *
 * `keepAlive`: while an entry waits, the timer keeps the process alive, as a call's own timer did;
 * with none waiting it is unref'd at once (clearing and re-creating it between two calls would
 * cost what a timer per call did) and lapses when it fires. false: it never keeps the process.
 */
export class Deadlines {
  /** Lists by timeout length in ms; empty ones are dropped when the timer fires. */
  private readonly lists = new Map<number, DeadlineList>();
  private timer: ReturnType<typeof setTimeout> | undefined;
  /** The deadline the timer is armed for (Infinity: none). */
  private armedFor = Infinity;
  private waiting = 0;

  constructor(private readonly keepAlive: boolean) {}

  /** Entries waiting. */
  get size(): number {
    return this.waiting;
  }

  /** A timer is armed (close() clears it when nothing waits). */
  get armed(): boolean {
    return this.timer !== undefined;
  }

  /** A timer is armed and holds the process open (for tests: none must while nothing waits). */
  get holdsProcess(): boolean {
    return this.timer?.hasRef() === true;
  }

  /** `t` expires `ms` (> 0, finite) from now unless removed first. */
  add(t: Timed, ms: number): void {
    const now = performance.now();
    t.deadline = now + ms;
    let list = this.lists.get(ms);
    if (list === undefined) {
      list = new DeadlineList(this);
      this.lists.set(ms, list);
    }
    t.list = list;
    t.prev = list.tail;
    if (list.tail === null) list.head = t;
    else list.tail.next = t;
    list.tail = t;
    if (this.waiting++ === 0 && this.keepAlive) this.timer?.ref();
    if (t.deadline < this.armedFor) this.arm(t.deadline, now);
  }

  /** Takes `t` out (answered, aborted); nothing if it is not waiting. */
  static remove(t: Timed): void {
    const list = t.list;
    if (list === null) return;
    if (t.prev === null) list.head = t.next;
    else t.prev.next = t.next;
    if (t.next === null) list.tail = t.prev;
    else t.next.prev = t.prev;
    t.list = t.prev = t.next = null;
    const owner = list.owner;
    if (--owner.waiting === 0) owner.timer?.unref();
  }

  /** Stops the timer when nothing waits (close()); entries still waiting keep it. */
  stopIfIdle(): void {
    if (this.waiting > 0 || this.timer === undefined) return;
    clearTimeout(this.timer);
    this.timer = undefined;
    this.armedFor = Infinity;
    this.lists.clear();
  }

  private arm(at: number, now: number): void {
    if (this.timer !== undefined) clearTimeout(this.timer);
    this.armedFor = at;
    this.timer = setTimeout(this.fire, Math.min(Math.max(1, Math.ceil(at - now)), MAX_DELAY));
    if (!this.keepAlive) this.timer.unref();
  }

  private readonly fire = (): void => {
    this.timer = undefined;
    this.armedFor = Infinity;
    const now = performance.now();
    // Earliest head first across the lists, so that a timer firing late still expires in deadline order.
    for (let t = this.earliest(); t !== null && t.deadline <= now; t = this.earliest()) {
      Deadlines.remove(t);
      t.onDeadline();
    }
    for (const [ms, list] of this.lists) if (list.head === null) this.lists.delete(ms);
    // onDeadline() may have added entries (and armed the timer for them): the earliest head wins
    const next = this.earliest();
    if (next !== null && next.deadline < this.armedFor) this.arm(next.deadline, performance.now());
  };

  /** The entry due first (one head per timeout length: a client has few). */
  private earliest(): Timed | null {
    let first: Timed | null = null;
    for (const list of this.lists.values())
      if (list.head !== null && (first === null || list.head.deadline < first.deadline)) first = list.head;
    return first;
  }
}

/** A deadline that runs a function: for waits that are not objects of their own (a local call, a stream's next chunk). */
export class DeadlineCallback extends Timed {
  constructor(private readonly fn: () => void) {
    super();
  }

  onDeadline(): void {
    this.fn();
  }
}
