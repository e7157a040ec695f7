// The universal codec bundle in the runtimes besides Node and browsers that the issue names:
// Deno and Bun (as CLIs) and workerd (Cloudflare's runtime, through miniflare). All three come
// from the npm registry as devDependencies (platform binaries in optional packages, no install
// scripts needed). Each runs test/browser/conformance.mjs: golden vectors + seeded equivalence;
// Deno and Bun also run RpcWebSocketClient on their own global WebSocket against the gateway.
import { execFile } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RpcGateway } from '../../src/gateway/index.js';
import { Registry } from '../../src/functions/registry.js';
import { requirePeer } from '../helpers/peers.js';
import { WASM_BASE64 } from '../../src/codec/wasm-binary.generated.js';
import { runtimeScript } from './runtime-bundle.js';

const root = join(__dirname, '..', '..');
const SEED = Number(process.env.BROWSER_SEED ?? Date.now() % 2 ** 31);
const CASES = Number(process.env.EDGE_CASES ?? 2000);

interface Summary {
  runtime: string;
  engines: string[];
  vectors: number;
  cases: number;
  failures: string[];
}

function run(cmd: string, args: string[], cwd: string): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(
      cmd,
      args,
      { cwd, timeout: 60_000, maxBuffer: 16 << 20, env: { ...process.env, NO_COLOR: '1', DENO_NO_UPDATE_CHECK: '1' } },
      (err, stdout, stderr) =>
        resolve({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The runtime's binary from node_modules if it is there and runs; why not otherwise. */
async function binary(name: string, version: RegExp): Promise<{ path: string } | { why: string }> {
  const path = join(root, 'node_modules', '.bin', name);
  if (!existsSync(path)) return { why: `node_modules/.bin/${name} missing: npm install (devDependency ${name})` };
  const r = await run(path, ['--version'], root);
  return r.code === 0 && version.test(r.stdout)
    ? { path }
    : { why: `${name} --version failed: ${(r.stderr || r.stdout).slice(0, 200)}` };
}

const PRINT = `console.log(JSON.stringify(await run({ seed: ${SEED}, cases: ${CASES}, runtime: RUNTIME })));`;

function expectClean(r: Summary, runtime: RegExp) {
  expect(r.runtime).toMatch(runtime);
  expect(r.engines).toEqual(['ts', 'wasm']);
  expect(r.failures).toEqual([]);
  expect(r.vectors).toBeGreaterThanOrEqual(18);
  expect(r.cases).toBe(CASES);
}

describe(`the codec in other runtimes (seed ${SEED}, ${CASES} cases; BROWSER_SEED to replay)`, () => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-rpc-edge-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('Deno', async (ctx) => {
    const bin = await binary('deno', /^deno \d/);
    if (!requirePeer('deno', 'path' in bin, 'why' in bin ? bin.why : '')) return ctx.skip();
    const file = join(dir, 'deno.mjs');
    writeFileSync(file, await runtimeScript(`const RUNTIME = 'deno ' + Deno.version.deno;\n${PRINT}`));
    // No permissions at all: the codec reads no file and opens no socket.
    const r = await run((bin as { path: string }).path, ['run', '--no-prompt', '--no-config', '--no-lock', file], dir);
    expect(r.code, r.stderr).toBe(0);
    expectClean(JSON.parse(r.stdout), /^deno \d/);
  }, 60_000);

  it('Bun', async (ctx) => {
    const bin = await binary('bun', /^\d+\.\d+/);
    if (!requirePeer('bun', 'path' in bin, 'why' in bin ? bin.why : '')) return ctx.skip();
    const file = join(dir, 'bun.mjs');
    writeFileSync(file, await runtimeScript(`const RUNTIME = 'bun ' + Bun.version;\n${PRINT}`));
    const r = await run((bin as { path: string }).path, ['run', '--no-install', file], dir);
    expect(r.code, r.stderr).toBe(0);
    expectClean(JSON.parse(r.stdout), /^bun \d/);
  }, 60_000);

  it('workerd (miniflare)', async (ctx) => {
    let Miniflare: typeof import('miniflare').Miniflare | undefined;
    let why = '';
    try {
      ({ Miniflare } = await import('miniflare'));
    } catch (e) {
      why = `miniflare does not load: ${e}`;
    }
    if (!requirePeer('workerd', Miniflare !== undefined, why)) return ctx.skip();
    // workerd forbids compiling WASM from bytes (WebAssembly.compile: "disallowed by embedder"),
    // so the worker imports the .wasm as a module, as a deployed worker would, and hands it over.
    const script = await runtimeScript(
      `import wasmModule from './uwsgi-rpc.wasm';\n` +
        `export default { async fetch() {\n  const RUNTIME = 'workerd ' + navigator.userAgent;\n` +
        `  const auto = await m.createCodec();\n` +
        `  const r = await run({ seed: ${SEED}, cases: ${CASES}, runtime: RUNTIME, codecOptions: { wasmModule } });\n` +
        `  return new Response(JSON.stringify({ ...r, autoWithoutModule: auto.engine }));\n} };`,
      ['./uwsgi-rpc.wasm'],
    );
    const mf = new Miniflare!({
      modules: [
        { type: 'ESModule', path: join(dir, 'worker.mjs'), contents: script },
        { type: 'CompiledWasm', path: join(dir, 'uwsgi-rpc.wasm'), contents: Buffer.from(WASM_BASE64, 'base64') },
      ],
      modulesRoot: dir,
      compatibilityDate: '2025-01-01',
    });
    try {
      const res = await mf.dispatchFetch('http://worker.test/');
      const text = await res.text();
      expect(res.status, text).toBe(200);
      const r = JSON.parse(text);
      expectClean(r, /^workerd /);
      // Without the module, auto falls back to TS there instead of failing.
      expect(r.autoWithoutModule).toBe('ts');
    } finally {
      await mf.dispose();
    }
  }, 60_000);
});

// The universal client with each runtime's own global WebSocket, against the gateway here.
describe('RpcWebSocketClient in Deno and Bun, calling the gateway', () => {
  const dir = mkdtempSync(join(tmpdir(), 'uwsgi-rpc-edge-client-'));
  const registry = new Registry().register('echo', (...a) => a.map((x) => x.text).join('|'));
  const gateway = new RpcGateway({ registry, demo: false });
  let address = '';
  beforeAll(async () => {
    address = await gateway.listen('127.0.0.1:0');
  });
  afterAll(async () => {
    await gateway.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const tail = () =>
    [
      `const c = new m.RpcWebSocketClient('ws://${address}/');`,
      "const ok = await Promise.all(Array.from({ length: 50 }, (_, i) => c.callText('echo', 'n' + i, 'é')));",
      "const err = await c.call('nope').then(() => 'resolved', (e) => e.code);",
      'c.close();',
      'console.log(JSON.stringify({ ok, err }));',
    ].join('\n');
  const expected = { ok: Array.from({ length: 50 }, (_, i) => `n${i}|é`), err: 'NOT_FOUND' };

  it('Deno (only --allow-net to the gateway)', async (ctx) => {
    const bin = await binary('deno', /^deno \d/);
    if (!requirePeer('deno', 'path' in bin, 'why' in bin ? bin.why : '')) return ctx.skip();
    const file = join(dir, 'deno-client.mjs');
    writeFileSync(file, await runtimeScript(tail()));
    const r = await run(
      (bin as { path: string }).path,
      ['run', '--no-prompt', '--no-config', '--no-lock', `--allow-net=${address}`, file],
      dir,
    );
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  }, 60_000);

  it('Bun', async (ctx) => {
    const bin = await binary('bun', /^\d+\.\d+/);
    if (!requirePeer('bun', 'path' in bin, 'why' in bin ? bin.why : '')) return ctx.skip();
    const file = join(dir, 'bun-client.mjs');
    writeFileSync(file, await runtimeScript(tail()));
    const r = await run((bin as { path: string }).path, ['run', '--no-install', file], dir);
    expect(r.code, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual(expected);
  }, 60_000);
});
