// bench/browser: both codec engines' decode/encode ops/s inside headless Chromium (Debian's
// chromium, driven by playwright-core), next to the same bundle and cases in this Node.
//   node bench/browser.bench.mjs [--quick] [--json FILE]
// Chromium and its profile folder are gone when this ends, however it ends (lib/cleanup.mjs;
// playwright's own signal handlers are off so that the order is ours: browser, then folder).
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { chromium } from 'playwright-core';
import { Bench } from 'tinybench';
import { register, removeDir, tempDir } from './lib/cleanup.mjs';
import { fmt, machine, quick, ratio, table } from './lib/measure.mjs';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const opts = { time: quick ? 30 : 400, warmupTime: quick ? 10 : 100 };

// One bundle for both sides: the universal codec entry, tinybench and the cases.
const bundle = (
  await build({
    stdin: {
      contents: [
        `import * as m from ${JSON.stringify(join(root, 'src', 'browser.ts'))};`,
        "import { Bench } from 'tinybench';",
        `import { runCases } from ${JSON.stringify(join(root, 'bench', 'lib', 'browser-cases.mjs'))};`,
        'globalThis.runBench = (o) => runCases(m, Bench, { log: (l) => console.log(l), ...o });',
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
    },
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  })
).outputFiles[0].text;

const server = createServer((req, res) => {
  if (req.url === '/bench.js') res.writeHead(200, { 'content-type': 'text/javascript' }).end(bundle);
  else
    res
      .writeHead(200, { 'content-type': 'text/html' })
      .end('<!doctype html><title>bench</title><script type="module" src="/bench.js"></script>');
});
await /** @type {Promise<void>} */ (new Promise((r) => server.listen(0, '127.0.0.1', r)));
const url = `http://127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}/`;

const profile = tempDir('uwsgi-rpc-bench-chromium-');
let browserRows;
let browserVersion;
try {
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    handleSIGINT: false,
    handleSIGTERM: false,
    handleSIGHUP: false,
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
  });
  const forget = register({ stop: () => ctx.close(), kill: () => {} }); // on exit() playwright kills it itself
  try {
    browserVersion = ctx.browser()?.version() ?? 'chromium';
    const page = await ctx.newPage();
    page.on('console', (m) => process.stderr.write(`chromium${m.text()}\n`));
    await page.goto(url);
    await page.waitForFunction(() => 'runBench' in globalThis);
    process.stderr.write(`bench browser: Chromium ${browserVersion}\n`);
    ({ rows: browserRows } = await page.evaluate((o) => globalThis.runBench(o), opts));
  } finally {
    await ctx.close();
    forget();
  }
} finally {
  removeDir(profile);
  server.close();
}

process.stderr.write(`bench browser: Node ${process.version}\n`);
await import(`data:text/javascript;base64,${Buffer.from(bundle).toString('base64')}`);
const { rows: nodeRows } = await globalThis.runBench({ ...opts, log: (l) => process.stderr.write(`node${l}\n`) });
void Bench;

console.log(
  `\nCodec engines in Chromium ${browserVersion} (headless) and in Node ${process.version}, same bundle, same cases; ops/s (tinybench mean)`,
);
console.log(`machine: ${machine()}${quick ? ' (--quick: short runs, rough)' : ''}\n`);
console.log(
  table(
    ['operation', 'bytes', 'Chromium ts', 'Chromium wasm', 'wasm/ts', 'Node ts', 'Node wasm', 'wasm/ts'],
    browserRows.map((b, i) => {
      const n = nodeRows[i];
      return [b.op, b.bytes, fmt(b.ts), fmt(b.wasm), ratio(b.wasm, b.ts), fmt(n.ts), fmt(n.wasm), ratio(n.wasm, n.ts)];
    }),
  ),
);
const json = process.argv.indexOf('--json');
if (json > 0)
  writeFileSync(
    process.argv[json + 1],
    JSON.stringify(
      { machine: machine(), chromium: browserVersion, node: process.version, browser: browserRows, nodeRows },
      null,
      2,
    ),
  );
