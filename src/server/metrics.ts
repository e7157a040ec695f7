// RpcServer.metrics: the counters as prom-client metrics, computed when scraped, so that a
// call never goes through prom-client (no label lookup per call).
import type { Registry } from 'prom-client';
import { promClient } from './prom-client.js';
import { LATENCY_BUCKETS, type FunctionCounts } from '../functions/function-stats.js';
import type { ServerSnapshot } from './snapshot.js';

/** Every metric's name starts with this. */
const METRICS_PREFIX = 'uwsgi_rpc_';

type MetricType = 'counter' | 'gauge' | 'histogram';
type Values = { labels: Record<string, string | number>; value: number; metricName?: string }[];

/** A metric prom-client reads through get() (the shape its own cluster aggregation registers). */
interface ComputedMetric {
  name: string;
  help: string;
  type: MetricType;
  aggregator: 'sum';
  get(): Promise<{ name: string; help: string; type: MetricType; aggregator: 'sum'; values: Values }>;
}

/** A registry whose metrics read `snapshot()` once per scrape. */
export function createMetrics(snapshot: () => ServerSnapshot): Registry {
  const registry = new (promClient().Registry)();
  // one snapshot serves every metric of one scrape
  let last: { at: number; value: ServerSnapshot } | null = null;
  const read = () => {
    const now = performance.now();
    if (last === null || now - last.at > 5) last = { at: now, value: snapshot() };
    return last.value;
  };
  const add = (name: string, help: string, type: MetricType, values: (s: ServerSnapshot) => Values) => {
    const metric: ComputedMetric = {
      name: METRICS_PREFIX + name,
      help,
      type,
      aggregator: 'sum',
      get: async () => ({ name: metric.name, help, type, aggregator: 'sum', values: values(read()) }),
    };
    registry.registerMetric(metric as unknown as Parameters<Registry['registerMetric']>[0]);
  };
  const perFunction = (f: (c: FunctionCounts) => number) => (s: ServerSnapshot) =>
    Object.entries(s.functions).map(([name, c]) => ({ labels: { function: name }, value: f(c) }));
  const perListener =
    (key: 'accepted' | 'refused' | 'evicted' | 'denied' | 'open' | 'rx' | 'tx') => (s: ServerSnapshot) =>
      s.listeners.map((l) => ({ labels: { listener: l.address, proto: l.proto }, value: l[key] }));

  add(
    'function_calls_total',
    'Calls received per registered function',
    'counter',
    perFunction((c) => c.calls),
  );
  add(
    'function_failures_total',
    'Calls not answered, by reason (unknown: no such function, labelled function="")',
    'counter',
    (s) => [
      { labels: { function: '', reason: 'unknown' }, value: s.unknown },
      ...Object.entries(s.functions).flatMap(([name, c]) =>
        (['threw', 'empty', 'bad_args', 'harakiri'] as const).map((reason) => ({
          labels: { function: name, reason },
          value: c[reason],
        })),
      ),
    ],
  );
  add(
    'function_duration_seconds',
    'Time from reading a call to its result (measured while stats or metrics are on)',
    'histogram',
    (s) =>
      Object.entries(s.functions).flatMap(([name, c]) =>
        histogram(`${METRICS_PREFIX}function_duration_seconds`, name, c),
      ),
  );
  add('requests_total', 'RPC requests read on uwsgi sockets (unknown names included)', 'counter', (s) => [
    { labels: {}, value: s.requests },
  ]);
  add('calls_running', 'Calls running or waiting for an earlier answer', 'gauge', (s) => [
    { labels: {}, value: s.running },
  ]);
  add('connections_open', 'Open connections per listening socket', 'gauge', perListener('open'));
  add('connections_accepted_total', 'Connections taken per listening socket', 'counter', perListener('accepted'));
  add(
    'connections_refused_total',
    'Connections closed at once because max-conns connections were open, every one busy',
    'counter',
    perListener('refused'),
  );
  add(
    'connections_evicted_total',
    'Open connections closed to make room at max-conns (idle ones, then requests not whole)',
    'counter',
    perListener('evicted'),
  );
  add(
    'connections_denied_total',
    'Connections closed at once because the peer is not in the allow list',
    'counter',
    perListener('denied'),
  );
  add('received_bytes_total', 'Bytes read per listening socket', 'counter', perListener('rx'));
  add('sent_bytes_total', 'Bytes written per listening socket', 'counter', perListener('tx'));
  return registry;
}

/** A function's histogram series: cumulative buckets, +Inf, sum and count. */
function histogram(metric: string, name: string, c: FunctionCounts): Values {
  const out: Values = [];
  let count = 0;
  for (let i = 0; i < LATENCY_BUCKETS.length; i++) {
    count += c.latency[i];
    out.push({ metricName: `${metric}_bucket`, labels: { function: name, le: LATENCY_BUCKETS[i] }, value: count });
  }
  count += c.latency[LATENCY_BUCKETS.length];
  out.push({ metricName: `${metric}_bucket`, labels: { function: name, le: '+Inf' }, value: count });
  out.push({ metricName: `${metric}_sum`, labels: { function: name }, value: c.latencySum });
  out.push({ metricName: `${metric}_count`, labels: { function: name }, value: count });
  return out;
}
