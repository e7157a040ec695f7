// End to end in headless Chromium: a web page calls Python functions hosted by a real uWSGI
// (--plugin python3,rpc) through our WebSocket gateway (`serve --ws-socket`, forwarding), and
// functions of our own server; then the demo page the gateway serves, driven like a person.
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { requirePeer, which } from '../helpers/peers.js';
import { freePort, type Peer, removeDir, startUwsgi, tempDir } from '../helpers/processes.js';
import { bundleBrowserEntry } from './bundle.js';
import { type Chromium, chromiumAvailable, launchChromium } from './chromium.js';
import { type Served, serveCli } from './serve-cli.js';
import { type StaticServer, serveFiles } from './static-server.js';

const FIXTURES = join(__dirname, 'fixtures');
const canRun =
  chromiumAvailable() &&
  requirePeer('uwsgi', which('uwsgi') !== null, 'apt-get install uwsgi-core uwsgi-plugin-python3');

/** What a page's call gave: its text, or the RpcError's code. */
type Outcome = { ok: string } | { code: string; message: string };

describe.runIf(canRun)('a web page calls RPC functions through the gateway (Chromium)', () => {
  let dir: string;
  let uwsgi: Peer;
  let uwsgiNode: string;
  let served: Served;
  let gatewayUrl: string;
  let demoUrl: string;
  let site: StaticServer;
  let chrome: Chromium;
  let page: Page;

  beforeAll(async () => {
    dir = tempDir('uwsgi-rpc-web-');
    uwsgiNode = `127.0.0.1:${await freePort()}`;
    uwsgi = await startUwsgi(
      'python3,rpc',
      ['--socket', uwsgiNode, '--import', join(FIXTURES, 'web_funcs.py')],
      [uwsgiNode],
      dir,
    );
    // The test page comes from another origin than the gateway: allow it explicitly.
    const bundle = await bundleBrowserEntry();
    site = await serveFiles({
      '/': `<!doctype html><title>gateway test</title><script type="module">
        import { RpcWebSocketClient } from '/uwsgi-rpc.js';
        window.callAll = async (url, calls) => {
          const client = new RpcWebSocketClient(url);
          const out = await Promise.all(calls.map(([fn, ...args]) => client.request(fn, args).then(
            (d) => ({ ok: new TextDecoder().decode(d.result) }),
            (e) => ({ code: e.code, message: e.message }))));
          client.close();
          return out;
        };
      </script>`,
      '/uwsgi-rpc.js': bundle,
    });
    served = await serveCli(
      [
        '--ws-socket',
        '127.0.0.1:0',
        '--ws-forward',
        uwsgiNode,
        '--ws-origin',
        site.url,
        '--import',
        join(FIXTURES, 'web_funcs.mjs'),
      ],
      1,
    );
    const m = /websocket gateway on (ws:\/\/\S+) \(demo page: (http:\/\/\S+)\)/.exec(served.lines.join('\n'));
    if (!m) throw new Error(`no gateway line in: ${served.lines.join('\n')}`);
    [, gatewayUrl, demoUrl] = m;
    chrome = await launchChromium();
    page = await chrome.browser.newPage();
    await page.goto(`${site.url}/`);
    await page.waitForFunction(() => 'callAll' in window);
  }, 60_000);

  afterAll(async () => {
    await chrome?.close();
    await served?.stop();
    await uwsgi?.stop();
    await site?.close();
    if (dir) removeDir(dir);
  });

  const callAll = (calls: string[][]): Promise<Outcome[]> =>
    page.evaluate(
      ([url, c]) => (window as unknown as { callAll(u: string, c: string[][]): Promise<Outcome[]> }).callAll(url, c),
      [gatewayUrl, calls] as const,
    );

  it('calls a Python function hosted by uWSGI: func@node, and as the default node', async () => {
    expect(
      await callAll([
        [`pyupper@${uwsgiNode}`, 'abc', 'dé'],
        ['pyupper', 'x'],
      ]),
    ).toEqual([
      { ok: 'py:ABC|Dé' },
      { ok: 'py:X' }, // bytes.upper(): ASCII only
    ]);
  });

  it('passes binary-safe UTF-8 args to Python byte for byte', async () => {
    const [r] = await callAll([['pyhex', '\u0000\u00ff', 'a b', '€']]);
    expect(r).toEqual({ ok: '00c3bf,612062,e282ac' });
  });

  it("calls our own server's functions, many in flight, each answer to its call", async () => {
    const calls = Array.from({ length: 60 }, (_, i) => (i % 2 ? ['jsecho', `n${i}`, 'x'] : ['pyupper', `n${i}`]));
    const out = await callAll(calls);
    for (const [i, o] of out.entries()) expect(o).toEqual({ ok: i % 2 ? `n${i}|x` : `py:N${i}` });
  });

  it("reports failures with their codes: ours, and uWSGI's silence", async () => {
    const out = await callAll([['jsfail'], ['nosuch'], ['pyupper@127.0.0.1:1'], ['hello']]);
    expect(out.map((o) => ('code' in o ? o.code : o.ok))).toEqual([
      'FUNCTION_FAILED',
      'NO_ANSWER',
      'INVALID',
      'Hello World',
    ]);
  });

  it('carries a 64-bit-form answer (70000 bytes) from our server and from uWSGI', async () => {
    const out = await callAll([
      ['jsbig', '70000'],
      ['pybig', '70000'],
    ]);
    expect(out).toEqual([{ ok: 'j'.repeat(70000) }, { ok: 'p'.repeat(70000) }]);
  });

  it('serves the demo page: type a function and args, see the answer and the decoded packets', async () => {
    const demo = await chrome.browser.newPage();
    try {
      await demo.goto(`${demoUrl}?fn=pyupper&arg=hello&arg=web`);
      await demo.waitForSelector('body[data-ready]');
      expect(await demo.textContent('#answer')).toBe('py:HELLO|WEB');
      expect(await demo.textContent('#request')).toContain('modifier1 173');
      expect(await demo.textContent('#response')).toContain('modifier1 173');
      // As a person would: fill the form and press Call.
      await demo.fill('#fn', 'jsecho');
      await demo.fill('#args', 'one\ntwo');
      await demo.click('button[type=submit]');
      await demo.waitForFunction(() => document.getElementById('answer')?.textContent === 'one|two');
      // A result that is not UTF-8: its hex and length, not U+FFFD garbage; UTF-8 stays text.
      await demo.fill('#fn', 'jsbytes');
      await demo.fill('#args', '');
      await demo.click('button[type=submit]');
      await demo.waitForFunction(
        () =>
          document.getElementById('answer')?.textContent !== 'one|two' &&
          document.getElementById('answer')?.textContent !== '…',
      );
      expect(await demo.textContent('#answer')).toBe('5 bytes, not UTF-8 text (hex): 00 ff 10 80 41');
      await demo.fill('#fn', 'jsecho');
      await demo.fill('#args', 'é€\u0001');
      await demo.click('button[type=submit]');
      await demo.waitForFunction(() => document.getElementById('answer')?.textContent === 'é€\u0001');
      if (process.env.DEMO_SCREENSHOT) await demo.screenshot({ path: process.env.DEMO_SCREENSHOT, fullPage: true });
    } finally {
      await demo.close();
    }
  });

  it('refuses a page of an origin not allowed', async () => {
    const other = await serveFiles({ '/': '<!doctype html><title>other</title>' });
    const p = await chrome.browser.newPage();
    try {
      await p.goto(`${other.url}/`);
      const closed = await p.evaluate(
        (url) =>
          new Promise<string>((resolve) => {
            const ws = new WebSocket(url);
            ws.onopen = () => resolve('open');
            ws.onclose = (e) => resolve(`closed ${e.code}`);
          }),
        gatewayUrl,
      );
      expect(closed).toBe('closed 1006');
    } finally {
      await p.close();
      await other.close();
    }
  });
});
