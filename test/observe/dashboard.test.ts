// The live dashboard at / of the --metrics socket, in headless Chromium: after calls are made,
// the calls/s, failures/s and latency charts hold data (lines drawn), and the workers table
// lists both --processes workers. A screenshot goes to test/.out/ (git-ignored).
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcClient } from '../../src/client/client.js';
import { type Chromium, chromiumAvailable, launchChromium } from '../browser/chromium.js';
import { type Served, serveCli } from '../browser/serve-cli.js';
import { freePort } from '../helpers/processes.js';

const FUNCTIONS = join(import.meta.dirname, 'fixtures', 'functions.mjs');
const OUT = join(import.meta.dirname, '..', '.out');

describe.skipIf(!chromiumAvailable())('the dashboard', () => {
  let chrome: Chromium;
  let served: Served;
  let socket: string;
  let metrics: string;
  const client = new RpcClient({ timeout: 5000 });

  beforeAll(async () => {
    socket = `127.0.0.1:${await freePort()}`;
    metrics = `127.0.0.1:${await freePort()}`;
    served = await serveCli(['--import', FUNCTIONS, '--socket', socket, '--metrics', metrics, '--processes', '2'], 2);
    chrome = await launchChromium();
  }, 60_000);

  afterAll(async () => {
    client.close();
    await Promise.all([chrome?.close(), served?.stop()]);
  });

  it('draws calls/s, failures/s and p50/p99 per function from live calls, and lists the workers', async () => {
    let calling = true;
    // calls keep coming while the page polls: every interval it differences has some
    const load = (async () => {
      while (calling) {
        await client.call(socket, 'hello');
        await client.call(socket, 'sleep', ['3']);
        await client.call(socket, 'boom').catch(() => {});
        await new Promise((r) => setTimeout(r, 20));
      }
    })();
    const page = await chrome.browser.newPage();
    try {
      await page.goto(`http://${metrics}/`);
      const last = (id: string) =>
        page.evaluate((i) => JSON.parse(document.getElementById(i)?.dataset.last ?? '{}'), id) as Promise<
          Record<string, number | null>
        >;
      await page.waitForFunction(
        () => {
          const get = (id: string) => JSON.parse(document.getElementById(id)?.dataset.last ?? '{}');
          const points = (id: string) => Number(document.getElementById(id)?.dataset.points ?? 0);
          return (
            get('calls').hello > 0 &&
            get('failures').boom > 0 &&
            get('p50').sleep > 0 &&
            get('p99').sleep > 0 &&
            ['calls', 'failures', 'p50', 'p99'].every((id) => points(id) >= 4)
          );
        },
        null,
        { timeout: 20_000 },
      );
      expect((await last('calls')).hello).toBeGreaterThan(0);
      // sleep 3 ms: its median is in the 2.5..5 ms bucket or next to it
      const p50 = (await last('p50')).sleep ?? 0;
      expect(p50).toBeGreaterThan(1);
      expect(p50).toBeLessThan(100);
      expect((await last('failures')).hello).toBe(0);
      // the lines are drawn: pixels of the calls chart in hello's colour
      // polled: under load a redraw may catch hello's line flat on the axis for a moment
      const drawnPixels = () =>
        page.evaluate(() => {
          const c = document.getElementById('calls') as HTMLCanvasElement;
          const data = c.getContext('2d')!.getImageData(0, 0, c.width, c.height).data;
          let n = 0;
          // hello was registered first: the first colour, #1f77b4 (blended at the line's edges); the grid and labels are grey
          for (let i = 0; i < data.length; i += 4) if (data[i + 3] > 0 && data[i + 2] - data[i] > 40) n++;
          return n;
        });
      await expect.poll(drawnPixels, { timeout: 10_000, interval: 500 }).toBeGreaterThan(20);
      const rows = await page.$$eval('#workers tbody tr', (trs) =>
        trs.map((tr) => tr.querySelector('td')?.textContent),
      );
      expect(rows).toEqual(['1', '2']);
      mkdirSync(OUT, { recursive: true });
      await page.screenshot({ path: join(OUT, 'dashboard.png'), fullPage: true });
    } finally {
      calling = false;
      await load;
      await page.close();
    }
  }, 60_000);
});
