// Where the stats and metrics come from: this process's server, or with --processes every
// worker through the primary; and a worker's side of that. Kept apart from the stats and
// metrics servers (observe.ts, node:http), which `serve` loads only when --stats or
// --metrics asks for them, while a worker must answer its primary from its first turn.
import type { Registry } from 'prom-client';
import { promClient } from '../server/prom-client.js';
import type { RpcServer } from '../server/server.js';
import { type MetricsJson, type WorkerSlot, answerCollects, collect } from './collect.js';
import { localReport, type WorkerReport } from './report.js';

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
