// bench/browser.bench.mjs runs for a moment so it cannot rot; no timing is asserted.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumAvailable } from './chromium.js';

describe.runIf(chromiumAvailable())('browser benchmark (smoke)', () => {
  it('prints the Chromium and Node columns for every case', async () => {
    const out = await new Promise<string>((resolve, reject) => {
      execFile(
        process.execPath,
        [join(__dirname, '..', '..', 'bench', 'browser.bench.mjs'), '--quick'],
        { encoding: 'utf8', timeout: 120_000, env: { ...process.env, CHROMIUM_PATH: CHROMIUM } },
        (err, stdout, stderr) => (err ? reject(new Error(`${err.message}\n${stderr}`)) : resolve(stdout)),
      );
    });
    expect(out).toMatch(
      /\| operation \| bytes \| Chromium ts \| Chromium wasm \| wasm\/ts \| Node ts \| Node wasm \| wasm\/ts \|/,
    );
    const rows = out.split('\n').filter((l) => /^\| (decode|encode|decoder)/.test(l));
    expect(rows.length).toBe(8);
    for (const r of rows) {
      const cells = r
        .split('|')
        .slice(2, -1)
        .map((c) => c.trim());
      expect(cells.length, r).toBe(7);
      for (const c of cells) expect(c, r).toMatch(/^\d+(\.\d+)?( [kM]|x)?$/);
    }
  }, 120_000);
});
