// Prometheus metrics: RpcServer.metrics for embedders (per function calls, failures by
// reason, latency; per socket connections and bytes), and `serve --metrics` serving them at
// /metrics with Node's process metrics, added up over --processes workers.
import { connect } from 'node:net';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { RpcError } from '../../src/rpc-error.js';
import { defineFunctions, t } from '../../src/index.js';
import { type Served, serveCli } from '../browser/serve-cli.js';
import { freePort } from '../helpers/processes.js';
import { eventually } from '../helpers/router-stats.js';
import { startServer } from '../server/start.js';
import { parsePrometheus, sampleValue } from './prometheus-text.js';

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions.mjs');
const client = new RpcClient({ timeout: 5000 });
const served: Served[] = [];
afterAll(async () => {
  client.close();
  await Promise.all(served.map((s) => s.stop()));
});

const P = 'uwsgi_rpc_';

describe('RpcServer.metrics', () => {
  it('counts calls, failures by reason, latency, connections and bytes per socket', async () => {
    const { server, address } = await startServer(
      {
        hello: () => 'Hello World',
        boom: () => {
          throw new Error('boom');
        },
        picky: () => {
          throw new RpcError('INVALID', 'no');
        },
        nothing: async () => '',
        sleep: (ms) => new Promise((r) => setTimeout(() => r('slept'), Number(ms.text))),
      },
      { harakiri: 200, maxConns: 3 },
    );
    server.register(defineFunctions({ add: { args: [t.int(), t.int()], result: t.int(), run: (a, b) => a + b } }));
    try {
      const metrics = server.metrics;
      const before = parsePrometheus(await metrics.metrics());
      expect(sampleValue(before, `${P}function_calls_total`, { function: 'hello' })).toBe(0);
      for (let i = 0; i < 5; i++) await client.call(address, 'hello');
      for (const name of ['boom', 'picky', 'nothing', 'missing'])
        await expect(client.call(address, name)).rejects.toThrow();
      await expect(client.call(address, 'sleep', ['2000'])).rejects.toThrow();
      // a typed function's args that do not parse: it does not run (no answer), counted as bad args
      await expect(client.call(address, 'add', ['2', 'x'])).rejects.toThrow();
      expect(new TextDecoder().decode(await client.call(address, 'add', ['2', '3']))).toBe('5');
      const s = parsePrometheus(await metrics.metrics());
      expect(sampleValue(s, `${P}function_calls_total`, { function: 'hello' })).toBe(5);
      const failed = (f: string, reason: string) =>
        sampleValue(s, `${P}function_failures_total`, { function: f, reason });
      expect(failed('boom', 'threw')).toBe(1);
      expect(failed('picky', 'bad_args')).toBe(1);
      expect(failed('add', 'bad_args')).toBe(1);
      expect(failed('add', 'threw')).toBe(0);
      expect(sampleValue(s, `${P}function_calls_total`, { function: 'add' })).toBe(2);
      expect(failed('nothing', 'empty')).toBe(1);
      expect(failed('', 'unknown')).toBe(1);
      expect(failed('sleep', 'harakiri')).toBe(1);
      expect(failed('hello', 'threw')).toBe(0);
      // the histogram: every hello call measured, cumulative buckets ending in +Inf
      const count = sampleValue(s, `${P}function_duration_seconds_count`, { function: 'hello' });
      expect(count).toBe(5);
      expect(sampleValue(s, `${P}function_duration_seconds_bucket`, { function: 'hello', le: '+Inf' })).toBe(5);
      expect(sampleValue(s, `${P}function_duration_seconds_sum`, { function: 'hello' })).toBeGreaterThan(0);
      const sleepBuckets = s.filter(
        (x) => x.name === `${P}function_duration_seconds_bucket` && x.labels.function === 'sleep',
      );
      // harakiri gave up after about 200 ms: not in the buckets up to 0.1 s
      expect(sleepBuckets.find((x) => x.labels.le === '0.1')?.value).toBe(0);
      expect(sleepBuckets.find((x) => x.labels.le === '+Inf')?.value).toBe(1);
      const where = { listener: address, proto: 'uwsgi' };
      expect(sampleValue(s, `${P}connections_accepted_total`, where)).toBe(12);
      expect(sampleValue(s, `${P}requests_total`)).toBe(12);
      // 5 answers of 'Hello World' and one of '5', behind 4-byte headers
      expect(sampleValue(s, `${P}sent_bytes_total`, where)).toBe(5 * 15 + 5);
      expect(sampleValue(s, `${P}received_bytes_total`, where)).toBeGreaterThan(0);

      // max-conns: 3 held open and idle: a new call takes the place of one of them (evicted)
      const held = await Promise.all(
        [0, 1, 2].map(
          () =>
            new Promise<ReturnType<typeof connect>>((resolve) => {
              const c = connect(Number(address.split(':')[1]), '127.0.0.1', () => resolve(c));
            }),
        ),
      );
      await eventually(
        '3 open connections',
        async () => server.connectionCount,
        (n) => n === 3,
      );
      expect(new TextDecoder().decode(await client.call(address, 'hello'))).toBe('Hello World');
      const full = parsePrometheus(await metrics.metrics());
      expect(sampleValue(full, `${P}connections_evicted_total`, where)).toBe(1);
      expect(sampleValue(full, `${P}connections_refused_total`, where)).toBe(0);
      for (const c of held) c.destroy();
      await eventually(
        'no open connection',
        async () => server.connectionCount,
        (n) => n === 0,
      );
      // 3 calls running (each its own connection): nothing may be closed for a 4th, which is refused
      const busy = [0, 1, 2].map(() => new RpcClient({ timeout: 5000 }));
      const running = busy.map((c) => c.call(address, 'sleep', ['150']));
      await eventually(
        '3 calls running',
        async () => server.connectionCount,
        (n) => n === 3,
      );
      await expect(client.call(address, 'hello')).rejects.toThrow();
      await Promise.allSettled(running);
      for (const c of busy) c.close();
      const refused = parsePrometheus(await metrics.metrics());
      expect(sampleValue(refused, `${P}connections_refused_total`, where)).toBeGreaterThanOrEqual(1);
      expect(sampleValue(refused, `${P}connections_evicted_total`, where)).toBe(1);
    } finally {
      await server.close();
    }
  });
});

describe('serve --metrics', () => {
  async function serve(args: string[]): Promise<{ s: Served; socket: string; metrics: string }> {
    const socket = `127.0.0.1:${await freePort()}`;
    const metrics = `127.0.0.1:${await freePort()}`;
    const s = await serveCli(['--import', FUNCTIONS, '--socket', socket, '--metrics', metrics, ...args], 2);
    served.push(s);
    expect(s.lines).toContain(`uwsgi-rpc: metrics on http://${metrics}/metrics, dashboard on http://${metrics}/`);
    return { s, socket, metrics };
  }

  it('GET /metrics: Prometheus text with per-function series and Node process metrics', async () => {
    const { s, socket, metrics } = await serve([]);
    for (let i = 0; i < 4; i++) await client.call(socket, 'hello');
    const res = await fetch(`http://${metrics}/metrics`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
    const samples = parsePrometheus(await res.text());
    expect(sampleValue(samples, `${P}function_calls_total`, { function: 'hello' })).toBe(4);
    expect(sampleValue(samples, `${P}function_calls_total`, { function: 'boom' })).toBe(0);
    expect(samples.some((x) => x.name === 'process_cpu_user_seconds_total')).toBe(true);
    expect(samples.some((x) => x.name === 'nodejs_heap_size_used_bytes')).toBe(true);
    expect((await fetch(`http://${metrics}/nothing`)).status).toBe(404);
    expect((await fetch(`http://${metrics}/metrics`, { method: 'POST' })).status).toBe(405);
    await s.stop();
  });

  it('--processes 2: one series per function, added up over the workers', async () => {
    const { s, socket, metrics } = await serve(['--processes', '2']);
    const pids = new Set<string>();
    const calls = 30;
    for (let i = 0; i < calls; i++) pids.add(new TextDecoder().decode(await client.call(socket, 'pid')));
    expect(pids.size).toBe(2);
    const samples = parsePrometheus(await (await fetch(`http://${metrics}/metrics`)).text());
    expect(sampleValue(samples, `${P}function_calls_total`, { function: 'pid' })).toBe(calls);
    expect(sampleValue(samples, `${P}function_duration_seconds_count`, { function: 'pid' })).toBe(calls);
    expect(sampleValue(samples, `${P}requests_total`)).toBe(calls);
    await s.stop();
  });
});
