// The universal codec bundle inside real headless Chromium: the golden vectors captured from
// uWSGI and nginx, and a seeded equivalence run of both engines, in the page itself.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bundleBrowserEntry, conformanceSource, vectorsPayload } from './bundle.js';
import { type Chromium, chromiumAvailable, launchChromium } from './chromium.js';
import { type StaticServer, serveFiles } from './static-server.js';

interface Summary {
  runtime: string;
  engines: string[];
  vectors: number;
  cases: number;
  failures: string[];
}

const SEED = Number(process.env.BROWSER_SEED ?? Date.now() % 2 ** 31);
const CASES = Number(process.env.BROWSER_CASES ?? 3000);

describe.runIf(chromiumAvailable())('the codec in headless Chromium', () => {
  let chrome: Chromium;
  let site: StaticServer;
  beforeAll(async () => {
    const bundle = await bundleBrowserEntry();
    site = await serveFiles({
      // The page imports the bundle as any web page would and leaves a runner on window.
      '/': `<!doctype html><title>codec test</title><script type="module">
        import * as m from '/uwsgi-rpc-codec.js';
        import { runConformance } from '/conformance.mjs';
        window.runConformance = (vectors, opts) => runConformance(m, vectors, opts);
      </script>`,
      '/uwsgi-rpc-codec.js': bundle,
      '/conformance.mjs': conformanceSource(),
    });
    chrome = await launchChromium();
  }, 60_000);
  afterAll(async () => {
    await chrome?.close();
    await site?.close();
  });

  it(`passes the golden vectors and ${CASES} seeded equivalence cases (seed ${SEED}; BROWSER_SEED to replay)`, async () => {
    const page = await chrome.browser.newPage();
    const errors: string[] = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => 'runConformance' in window);
    const r = await page.evaluate(
      ({ vectors, seed, cases }) => {
        const w = window as unknown as { runConformance(v: unknown, o: unknown): Promise<Summary> };
        return w.runConformance(vectors, { seed, cases, runtime: navigator.userAgent });
      },
      { vectors: vectorsPayload(), seed: SEED, cases: CASES },
    );
    expect(r.runtime).toMatch(/Chrome/);
    expect(r.engines).toEqual(['ts', 'wasm']);
    expect(r.failures).toEqual([]);
    expect(r.vectors).toBeGreaterThanOrEqual(18);
    expect(r.cases).toBe(CASES);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);
});
