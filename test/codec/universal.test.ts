// The runtime-neutral entry points (uwsgi-rpc/codec, /web, /subscription, /router and the
// browser bundle) must run in browsers and edge runtimes: nothing in their import graphs may
// be a node:* module, and the codec must not read files (the WASM is embedded).
import { build } from 'esbuild';
import { builtinModules } from 'node:module';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

describe('the universal codec entry', () => {
  it('bundles for the browser platform with no node:* module and no Buffer', async () => {
    const r = await build({
      entryPoints: [join(root, 'src', 'browser.ts')],
      bundle: true,
      write: false,
      platform: 'browser',
      format: 'esm',
      metafile: true,
      logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('wasm-binary.generated.ts'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes('src/server') || p.includes('src/client'))).toEqual(
      [],
    );
    const code = r.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|\bBuffer\./);
  });

  it('works from the bundle with the node:* built-ins out of reach', async () => {
    const r = await build({
      entryPoints: [join(root, 'src', 'browser.ts')],
      bundle: true,
      write: false,
      platform: 'neutral',
      format: 'esm',
      logLevel: 'silent',
    });
    const url = `data:text/javascript;base64,${Buffer.from(r.outputFiles[0].text).toString('base64')}`;
    const m = await import(/* @vite-ignore */ url);
    for (const engine of ['wasm', 'ts']) {
      const c = await m.createCodec({ engine });
      expect(c.engine).toBe(engine);
      const d = c.decodeRequest(c.encodeRequest('hello', ['a', 'b']));
      expect(m.utf8(d.name)).toBe('hello');
    }
  });

  /** The Node built-ins `entry`'s import graph reaches, found by bundling it for Node with them left out. */
  async function builtinsReached(entry: string): Promise<string[]> {
    const r = await build({
      entryPoints: [join(root, entry)],
      bundle: true,
      write: false,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      metafile: true,
      logLevel: 'silent',
    });
    const builtins = new Set(builtinModules);
    return Object.values(r.metafile.inputs)
      .flatMap((input) => input.imports)
      .map((i) => i.path)
      .filter((p) => p.startsWith('node:') || builtins.has(p));
  }

  const neutral = [
    'src/codec/index.ts',
    'src/web/index.ts',
    'src/subscription/index.ts',
    'src/routing/index.ts',
    'src/typed/index.ts',
    'src/browser.ts',
  ];
  for (const entry of neutral) {
    it(`${entry} reaches no node:* module`, async () => {
      expect(await builtinsReached(entry)).toEqual([]);
    });
  }

  it('the check sees node:* where it is: the Node entries reach it', async () => {
    expect(await builtinsReached('src/index.ts')).toContain('node:net');
    expect(await builtinsReached('src/gateway/index.ts')).toContain('node:http');
  });
});
