// Shared by the bench suites: run tinybench tasks and print Markdown tables.
import { Bench } from 'tinybench';
import os from 'node:os';

export const quick = process.argv.includes('--quick') || process.env.BENCH_QUICK === '1';

/**
 * ops/s of each task (name -> fn), measured in one run, interleaved in one Bench. iterations and
 * warmupIterations are the least numbers of calls: tinybench's defaults (64 and 16) make over a
 * minute of a task that takes a second.
 */
export async function opsPerSecond(tasks, { time = quick ? 30 : 400, iterations = 64, warmupIterations = 16 } = {}) {
  const bench = new Bench({ time, iterations, warmupTime: quick ? 10 : 100, warmupIterations });
  for (const [name, fn] of Object.entries(tasks)) bench.add(name, fn);
  await bench.run();
  const out = {};
  for (const t of bench.tasks) {
    if (t.result.state !== 'completed')
      throw new Error(`${t.name}: ${t.result.state} ${/** @type {{ error?: Error }} */ (t.result).error ?? ''}`);
    out[t.name] = t.result.throughput.mean;
  }
  return out;
}

export function fmt(n, digits = 0) {
  if (!Number.isFinite(n)) return '-';
  if (n >= 1e6) return `${(n / 1e6).toFixed(2)} M`;
  if (n >= 1e3) return `${(n / 1e3).toFixed(1)} k`;
  return n.toFixed(digits);
}

export const ratio = (a, b) => (b > 0 ? `${(a / b).toFixed(2)}x` : '-');

export function table(head, rows) {
  const lines = [`| ${head.join(' | ')} |`, `|${head.map(() => '---').join('|')}|`];
  for (const r of rows) lines.push(`| ${r.join(' | ')} |`);
  return lines.join('\n');
}

export function machine() {
  const cpu = os.cpus()[0]?.model ?? 'unknown cpu';
  return `${os.cpus().length} cores (${cpu}), ${Math.round(os.totalmem() / 2 ** 30)} GiB, Node ${process.version}, ${os.platform()} ${os.release()}`;
}
