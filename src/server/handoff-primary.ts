// The primary's side of the connection hand-off (handoff-messages.ts): it binds the workers' listeners, accepts
// without reading, and sends each connection to the next worker taking that listener, round robin. It keeps its
// own copy of the descriptor until the worker answers that it took it (after which the worker reads it): a worker
// that dies or closes first gives back every connection it had not taken, and they go to another worker. The calls
// on them were never read, so they are answered, not lost; node:cluster's own hand-off would leave each such
// connection open and unanswered in the primary until the caller's timeout.
import type { Worker } from 'node:cluster';
import { createServer, type Server } from 'node:net';
import { formatAddress, parseAddress } from '../address/address.js';
import type { ConnMessage, FeedMessage, TakenMessage } from './handoff-messages.js';
import { bind } from './listen.js';

/**
 * An accepted connection as the listening handle gives it (a TCP or Pipe wrap): the primary never reads, so it makes
 * no net.Socket of it (what node:cluster's own round robin does too: a Socket per connection costs the primary, which
 * accepts for every worker, a measurable share of its time).
 */
interface ClientHandle {
  close(): void;
}

/** The listening handle's hook for each accepted connection (net.Server sets it; node:cluster's round robin replaces it too). */
interface ListenHandle {
  onconnection: (status: number, client: ClientHandle | undefined) => void;
}

interface Handed {
  key: string;
  handle: ClientHandle;
}

/** The listeners the primary bound for its workers, and the connections on their way. */
export class HandOff {
  private readonly servers: Server[] = [];
  /** `requested address` → the port bound (0: unix socket): what the workers are told. */
  readonly ports: Record<string, number> = {};
  /** Workers taking each listener's connections, in the order they said so; `turn`: the next one's index. */
  private readonly feeds = new Map<string, { workers: Worker[]; turn: number }>();
  /** Connections that came while no worker took their listener. */
  private readonly waiting = new Map<string, ClientHandle[]>();
  /** Per worker: connections sent, not yet answered. */
  private readonly inFlight = new Map<Worker, Map<number, Handed>>();
  private nextId = 0;
  private closed = false;

  /** Binds every address in `addresses` (as given on the command line) for the workers. */
  static async listen(addresses: string[], backlog: number | undefined): Promise<HandOff> {
    const h = new HandOff();
    try {
      for (const a of addresses) {
        const where = parseAddress(a);
        const key = formatAddress(where);
        if (key in h.ports) continue;
        const server = createServer();
        h.servers.push(server);
        h.ports[key] = await bind(server, where, { backlog });
        // Never read here: the bytes are the worker's, and a connection unread can go to any worker.
        const listening = (server as unknown as { _handle: ListenHandle | null })._handle;
        if (listening === null) throw new Error(`${key}: no listening handle to hand connections out from`);
        listening.onconnection = (status, client) => {
          if (status === 0 && client !== undefined) h.dispatch(key, client);
        };
      }
    } catch (err) {
      h.dispose();
      throw err;
    }
    return h;
  }

  /** Hears `worker`'s feed and taken messages; gives back what it had not taken once it is gone. */
  attach(worker: Worker): void {
    this.inFlight.set(worker, new Map());
    worker.on('message', (m: Partial<FeedMessage & TakenMessage>) => {
      if (m?.uwsgiRpcFeed !== undefined) this.feed(m.uwsgiRpcFeed.key, worker);
      else if (m?.uwsgiRpcTaken !== undefined) this.taken(worker, m.uwsgiRpcTaken.id, m.uwsgiRpcTaken.taken);
    });
    // Dead or leaving: send it nothing more.
    worker.once('exit', () => this.unfeed(worker));
    worker.once('disconnect', () => this.unfeed(worker));
    // Give back only once every message it wrote has been read, so that what is left was really never taken:
    // 'close' comes after both its exit and the end of its channel. ('disconnect' would do, but Node holds it back
    // while a handle it sent waits for the dead worker's receipt: the case that matters.)
    worker.process.once('close', () => this.giveBack(worker));
  }

  /**
   * Stops accepting; connections not handed over yet are closed. Those on their way still reach their workers (a
   * listening descriptor is closed at once, a unix socket's file removed).
   */
  close(): void {
    this.closed = true;
    for (const handles of this.waiting.values()) for (const c of handles) c.close();
    this.waiting.clear();
    for (const s of this.servers) if (s.listening) s.close();
  }

  /** Its owner is done with the workers (all gone): closes what none of them took. */
  dispose(): void {
    this.close();
    for (const handed of this.inFlight.values()) for (const h of handed.values()) h.handle.close();
    this.inFlight.clear();
  }

  private feed(key: string, worker: Worker): void {
    if (!(key in this.ports) || !this.inFlight.has(worker)) return;
    let feed = this.feeds.get(key);
    if (feed === undefined) this.feeds.set(key, (feed = { workers: [], turn: 0 }));
    if (!feed.workers.includes(worker)) feed.workers.push(worker);
    const waiting = this.waiting.get(key) ?? [];
    this.waiting.delete(key);
    for (const handle of waiting) this.dispatch(key, handle);
  }

  private dispatch(key: string, handle: ClientHandle): void {
    if (this.closed) {
      handle.close();
      return;
    }
    const feed = this.feeds.get(key);
    const worker =
      feed === undefined || feed.workers.length === 0 ? undefined : feed.workers[feed.turn++ % feed.workers.length];
    if (worker === undefined) {
      let list = this.waiting.get(key);
      if (list === undefined) this.waiting.set(key, (list = []));
      list.push(handle);
      return;
    }
    const id = ++this.nextId;
    this.inFlight.get(worker)?.set(id, { key, handle });
    const m: ConnMessage = { uwsgiRpcConn: { key, id } };
    // The raw handle, kept open here: sent as a net.Socket it would be read in the worker at once, and closed here.
    worker.send(m, handle as never, { keepOpen: true }, (err) => {
      if (err !== null) this.back(worker, id);
    });
  }

  private taken(worker: Worker, id: number, taken: boolean): void {
    if (taken) {
      const h = this.inFlight.get(worker)?.get(id);
      this.inFlight.get(worker)?.delete(id);
      // only this process's descriptor: the worker's copy carries the connection on
      h?.handle.close();
    } else {
      // that listener of the worker is closing: its other connections too go elsewhere
      const key = this.inFlight.get(worker)?.get(id)?.key;
      if (key !== undefined) this.unfeed(worker, key);
      this.back(worker, id);
    }
  }

  /** A connection `worker` did not take, to another worker. */
  private back(worker: Worker, id: number): void {
    const h = this.inFlight.get(worker)?.get(id);
    if (h === undefined) return;
    this.inFlight.get(worker)?.delete(id);
    this.dispatch(h.key, h.handle);
  }

  private giveBack(worker: Worker): void {
    this.unfeed(worker);
    const left = this.inFlight.get(worker);
    this.inFlight.delete(worker);
    for (const h of left?.values() ?? []) this.dispatch(h.key, h.handle);
  }

  /** `worker` takes no more connections of `key` (closing), or of any listener (gone). */
  private unfeed(worker: Worker, key?: string): void {
    for (const [k, feed] of this.feeds) {
      const i = feed.workers.indexOf(worker);
      if (i >= 0 && (key === undefined || k === key)) feed.workers.splice(i, 1);
    }
  }
}
