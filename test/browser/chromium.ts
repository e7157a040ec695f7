import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { requirePeer, which } from '../helpers/peers.js';

/** Debian's chromium (installed by .ci/run); playwright-core drives it, it downloads nothing. */
export const CHROMIUM = process.env.CHROMIUM_PATH ?? which('chromium') ?? '/usr/bin/chromium';

export function chromiumAvailable(): boolean {
  return requirePeer('chromium', which(CHROMIUM) !== null, 'apt-get install chromium');
}

export interface Chromium {
  /** A persistent context over a fresh profile dir: new pages come from here. */
  browser: BrowserContext;
  close(): Promise<void>;
}

/** Headless, no sandbox (root here), no traffic of its own beyond what the page asks for. */
export async function launchChromium(): Promise<Chromium> {
  const profile = mkdtempSync(join(tmpdir(), 'uwsgi-rpc-chromium-'));
  // playwright passes the fresh profile as --user-data-dir itself.
  const browser = await chromium
    .launchPersistentContext(profile, {
      executablePath: CHROMIUM,
      headless: true,
      args: [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-quic',
        '--no-first-run',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
      ],
    })
    .catch((err: unknown) => {
      rmSync(profile, { recursive: true, force: true });
      throw err;
    });
  return {
    browser,
    async close() {
      try {
        await browser.close();
      } finally {
        rmSync(profile, { recursive: true, force: true });
      }
    },
  };
}
