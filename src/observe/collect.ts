// --processes N: the primary asks every worker for its report (and its metrics) over
// node:cluster's IPC channel, and each worker answers from its server's counters.
import type { Worker } from 'node:cluster';
import type { MetricObjectWithValues, MetricValue } from 'prom-client';
import type { RpcServer } from '../server/server.js';
import { localReport, type WorkerReport } from './report.js';

/** Metrics as prom-client's getMetricsAsJSON() gives them (what AggregatorRegistry.aggregate() adds up). */
export type MetricsJson = MetricObjectWithValues<MetricValue<string>>[];

/** A worker as the primary knows it: its slot (1..N), how many have held it, when this one started. */
export interface WorkerSlot {
  worker: Worker;
  id: number;
  spawns: number;
  spawnedAt: number;
}

interface CollectRequest {
  uwsgiRpcCollect: { seq: number; metrics: boolean };
}
interface CollectAnswer {
  uwsgiRpcCollected: { seq: number; report: WorkerReport; metrics: MetricsJson | null };
}

/** How long the primary waits for a worker's answer: a worker busy in a long synchronous call is left out. */
const COLLECT_TIMEOUT = 2000;

let seq = 0;

/** In a worker: answers the primary's requests from `server` (and `metrics`, the registry the primary aggregates). */
export function answerCollects(server: RpcServer, metrics: () => Promise<MetricsJson>): () => void {
  const onMessage = (m: Partial<CollectRequest>) => {
    const ask = m?.uwsgiRpcCollect;
    if (ask === undefined) return;
    void (ask.metrics ? metrics() : Promise.resolve(null)).then((json) => {
      const a: CollectAnswer = {
        uwsgiRpcCollected: { seq: ask.seq, report: localReport(server.snapshot()), metrics: json },
      };
      // the primary may be gone (stopping): nothing to tell, nothing to crash on
      process.send?.(a, undefined, undefined, () => {});
    });
  };
  process.on('message', onMessage);
  return () => process.off('message', onMessage);
}

/** In the primary: every worker's report (and metrics when asked); a worker that does not answer in time is left out. */
export function collect(
  slots: readonly WorkerSlot[],
  metrics: boolean,
): Promise<{ reports: WorkerReport[]; metrics: MetricsJson[] }> {
  const n = ++seq;
  const answers = slots.map((slot) =>
    new Promise<CollectAnswer['uwsgiRpcCollected'] | null>((resolve) => {
      const w = slot.worker;
      const done = (value: CollectAnswer['uwsgiRpcCollected'] | null) => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        resolve(value);
      };
      const onMessage = (m: Partial<CollectAnswer>) => {
        if (m?.uwsgiRpcCollected?.seq === n) done(m.uwsgiRpcCollected);
      };
      const onExit = () => done(null);
      const timer = setTimeout(() => done(null), COLLECT_TIMEOUT);
      w.on('message', onMessage);
      w.on('exit', onExit);
      const ask: CollectRequest = { uwsgiRpcCollect: { seq: n, metrics } };
      // A worker just killed may still look alive while its channel is closed: with a callback the
      // failure comes here instead of as an 'error' event, which nothing handles and would end the primary.
      try {
        w.send(ask, (err: Error | null) => {
          if (err) done(null);
        });
      } catch {
        done(null);
      }
    }).then((a) =>
      a === null
        ? null
        : { report: { ...a.report, id: slot.id, spawns: slot.spawns, spawnedAt: slot.spawnedAt }, metrics: a.metrics },
    ),
  );
  return Promise.all(answers).then((all) => {
    const got = all.filter((a) => a !== null);
    return {
      reports: got.map((a) => a.report),
      metrics: got.flatMap((a) => (a.metrics === null ? [] : [a.metrics])),
    };
  });
}
