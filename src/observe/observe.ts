// What `serve --stats/--metrics` starts: the stats server and the metrics server, reading
// this process's server, or with --processes every worker through the primary.
import type { ObserveSource } from './sources.js';
import { listenQueues, maxListenQueue } from './listen-queue.js';
import { DASHBOARD_HTML } from './dashboard-page.js';
import { startMetricsServer } from './metrics-server.js';
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
