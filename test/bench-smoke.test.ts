// The benchmarks run for a fraction of a second so they cannot rot; no timing is asserted.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const bench = (file: string) =>
  execFileSync(process.execPath, [join(__dirname, '..', 'bench', file), '--quick', '--rounds', '1', '--secs', '0.2'], {
    encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000,
  });

describe('benchmarks (smoke)', () => {
  it('codec suite prints its table with every engine', () => {
    const out = bench('codec.bench.mjs');
    expect(out).toMatch(/\| decode request 60 B .*\|/);
    expect(out).toMatch(/\| encode response 1 MB \(64-bit form\), whole \|/);
    expect(out.match(/^\| [a-z]/gm)?.length).toBeGreaterThan(10);
  });

  it('end-to-end suite drives the servers with rpcload without errors', () => {
    const out = bench('e2e.bench.mjs');
    const rows = out.split('\n').filter((l) => /^\| (connection per call|keep-alive|pipelined)/.test(l));
    expect(rows.length).toBe(3);
    for (const r of rows) expect(r.trim().endsWith('| 0 |'), r).toBe(true);
  });
});
