// What `serve --stats/--metrics` starts: the stats server and the metrics server, reading
// this process's server, or with --processes every worker through the primary.
import type { Registry } from 'prom-client';
import { promClient } from '../server/prom-client.js';
import type { RpcServer } from '../server/server.js';
import { type MetricsJson, type WorkerSlot, answerCollects, collect } from './collect.js';
import { listenQueues, maxListenQueue } from './listen-queue.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { startMetricsServer } from './metrics-server.js';
import { localReport, type WorkerReport } from './report.js';
import { type NodeInfo, StatsDocument } from './stats-document.js';
import { startStatsServer } from './stats-server.js';

export interface ObserveOptions {
  /** uWSGI's --stats ADDRESS, --stats-http, --stats-minified. */
  stats?: string;
  statsHttp: boolean;
  statsMinified: boolean;
  /** --metrics HOST:PORT. */
  metrics?: string;
}

/** Where the numbers come from: this process, or the workers. */
export interface ObserveSource {
  reports(): Promise<WorkerReport[]>;
  metrics(): Promise<{ text: string; contentType: string }>;
}

/** The server's metrics and Node's process metrics in one registry. */
function withProcessMetrics(server: RpcServer): Registry {
  const { Registry, collectDefaultMetrics } = promClient();
  const processMetrics = new Registry();
  collectDefaultMetrics({ register: processMetrics });
  return Registry.merge([server.metrics, processMetrics]);
}

/** This process alone. */
export function localSource(server: RpcServer): ObserveSource {
  server.measureTime();
  let registry: Registry | null = null;
  return {
    reports: async () => [localReport(server.snapshot())],
    metrics: async () => {
      registry ??= withProcessMetrics(server);
      return { text: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

/** In a --processes worker: answer the primary's requests (`timing`: the primary serves stats or metrics). Returns the way to stop. */
export function answerPrimary(server: RpcServer, timing: boolean): () => void {
  if (timing) server.measureTime();
  let registry: Registry | null = null;
  return answerCollects(server, (): Promise<MetricsJson> => {
    registry ??= withProcessMetrics(server);
    return registry.getMetricsAsJSON() as Promise<MetricsJson>;
  });
}

/** In the primary: every worker, asked over IPC on each read. */
export function clusterSource(slots: () => readonly WorkerSlot[]): ObserveSource {
  return {
    reports: async () => (await collect(slots(), false)).reports,
    metrics: async () => {
      const { metrics } = await collect(slots(), true);
      const registry = promClient().AggregatorRegistry.aggregate(metrics);
      return { text: await registry.metrics(), contentType: registry.contentType };
    },
  };
}

/** Started servers: their "listening" lines, and close(). */
export interface Observers {
  lines: string[];
  close(): Promise<void>;
}

/** Starts what `options` asks for; nothing when it asks for nothing. */
export async function startObservers(
  options: ObserveOptions,
  source: ObserveSource,
  node: NodeInfo,
  log: (line: string) => void,
): Promise<Observers> {
  const doc = new StatsDocument(node);
  const document = async () => doc.build(await source.reports(), listenQueues(), maxListenQueue());
  const closers: (() => Promise<void>)[] = [];
  const lines: string[] = [];
  const close = async () => {
    await Promise.all(closers.map((c) => c()));
  };
  try {
    if (options.stats !== undefined) {
      const s = await startStatsServer(options.stats, {
        http: options.statsHttp,
        minified: options.statsMinified,
        document,
        log,
      });
      closers.push(s.close);
      lines.push(`uwsgi-rpc: stats server on ${s.address}${options.statsHttp ? ' (HTTP)' : ''}`);
    }
    if (options.metrics !== undefined) {
      // the dashboard's own document: no delta_requests of the stats server's readers taken
      const own = new StatsDocument(node);
      const m = await startMetricsServer(options.metrics, {
        metrics: source.metrics,
        stats: async () => own.build(await source.reports(), listenQueues(), maxListenQueue()),
        pages: { '/': { type: 'text/html; charset=utf-8', body: DASHBOARD_HTML } },
        log,
      });
      closers.push(m.close);
      lines.push(`uwsgi-rpc: metrics on http://${m.address}/metrics, dashboard on http://${m.address}/`);
    }
  } catch (err) {
    await close();
    throw err;
  }
  return { lines, close };
}
