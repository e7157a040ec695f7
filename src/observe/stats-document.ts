// The JSON document uWSGI 2.0.21's stats server writes (same keys, nesting and value types),
// filled from our workers' reports; what uWSGI has no key for goes under "uwsgi_rpc".
import { parseAddress } from '../address/address.js';
import { addCounts, emptyCounts, type FunctionCounts, LATENCY_BUCKETS } from '../functions/function-stats.js';
import type { ListenQueue } from './listen-queue.js';
import type { WorkerReport } from './report.js';

/** What the document says of the process serving it (the primary, with --processes). */
export interface NodeInfo {
  version: string;
  pid: number;
  uid: number;
  gid: number;
  cwd: string;
}

/** Per function, over every worker: uWSGI has no such thing. */
interface FunctionSummary {
  calls: number;
  failures: { threw: number; empty: number; bad_args: number; harakiri: number };
  /** Latency histogram: calls per bucket (upper bounds in seconds; the last one, null, is +Inf), total seconds. */
  latency: { le: (number | null)[]; counts: number[]; sum: number };
}

/**
 * Builds one document per stats connection. `delta_requests` is counted from the previous
 * document this builder made (uWSGI's master resets it on its own schedule).
 */
export class StatsDocument {
  private readonly lastRequests = new Map<number, number>();

  constructor(private readonly node: NodeInfo) {}

  /** `queues`: the kernel's accept queues by port; `somaxconn`: its cap on a queue's size (null: unknown). */
  build(
    reports: readonly WorkerReport[],
    queues: ReadonlyMap<number, ListenQueue>,
    somaxconn: number | null,
  ): Record<string, unknown> {
    const sorted = [...reports].sort((a, b) => a.id - b.id);
    const first = sorted[0]?.server.listeners ?? [];
    const sockets = first.map((l) => {
      const port = tcpPort(l.address);
      const q = port === null ? undefined : queues.get(port);
      return {
        name: l.address,
        proto: l.proto,
        queue: q?.queue ?? 0,
        // the kernel cuts a listen queue to somaxconn
        max_queue: somaxconn === null ? l.backlog : Math.min(l.backlog, somaxconn),
        shared: 0,
        can_offload: 0,
      };
    });
    const functions: Record<string, FunctionCounts> = {};
    let unknown = 0;
    for (const r of sorted) {
      unknown += r.server.unknown;
      for (const [name, c] of Object.entries(r.server.functions)) addCounts((functions[name] ??= emptyCounts()), c);
    }
    return {
      version: this.node.version,
      listen_queue: sockets.reduce((n, s) => n + s.queue, 0),
      listen_queue_errors: 0,
      signal_queue: 0,
      // the subscription's load: open connections
      load: sorted.reduce((n, r) => n + r.server.connections, 0),
      pid: this.node.pid,
      uid: this.node.uid,
      gid: this.node.gid,
      cwd: this.node.cwd,
      locks: [],
      sockets,
      workers: sorted.map((r) => this.worker(r)),
      uwsgi_rpc: { unknown_function_requests: unknown, functions: summaries(functions) },
    };
  }

  private worker(r: WorkerReport): Record<string, unknown> {
    const s = r.server;
    const delta = s.requests - (this.lastRequests.get(r.id) ?? 0);
    this.lastRequests.set(r.id, s.requests);
    const tx = s.listeners.reduce((n, l) => n + l.tx, 0);
    const busy = s.running > 0;
    return {
      id: r.id,
      pid: r.pid,
      accepting: 1,
      requests: s.requests,
      // a respawned worker starts again from 0
      delta_requests: Math.max(0, delta),
      exceptions: s.exceptions,
      harakiri_count: s.harakiri,
      signals: 0,
      signal_queue: 0,
      status: busy ? 'busy' : 'idle',
      rss: r.rss,
      vsz: r.vsz,
      running_time: Math.round(s.timeSum * 1000),
      last_spawn: Math.floor(r.spawnedAt / 1000),
      respawn_count: r.spawns,
      tx,
      avg_rt: s.timed === 0 ? 0 : Math.round((s.timeSum * 1000) / s.timed),
      apps: [],
      cores: [
        {
          id: 0,
          requests: s.requests,
          static_requests: 0,
          routed_requests: 0,
          offloaded_requests: 0,
          write_errors: 0,
          read_errors: 0,
          in_request: busy ? 1 : 0,
          vars: [],
          req_info: {},
        },
      ],
      uwsgi_rpc: {
        connections: s.connections,
        running: s.running,
        unknown_function_requests: s.unknown,
        rx: s.listeners.reduce((n, l) => n + l.rx, 0),
        sockets: s.listeners,
      },
    };
  }
}

/** The port of a HOST:PORT address, null for a unix socket. */
function tcpPort(address: string): number | null {
  const a = parseAddress(address);
  return a.kind === 'tcp' ? a.port : null;
}

function summaries(functions: Record<string, FunctionCounts>): Record<string, FunctionSummary> {
  const out: Record<string, FunctionSummary> = {};
  for (const [name, c] of Object.entries(functions)) {
    out[name] = {
      calls: c.calls,
      failures: { threw: c.threw, empty: c.empty, bad_args: c.bad_args, harakiri: c.harakiri },
      latency: { le: [...LATENCY_BUCKETS, null], counts: c.latency, sum: c.latencySum },
    };
  }
  return out;
}
