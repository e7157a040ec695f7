// `uwsgi-rpc/codec` must run in browsers and edge runtimes: nothing in its import graph
// may be a node:* module, and it must not read files (the WASM is embedded).
import { build } from 'esbuild';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..', '..');

describe('the universal codec entry', () => {
  it('bundles for the browser platform with no node:* module and no Buffer', async () => {
    const r = await build({
      entryPoints: [join(root, 'src', 'browser.ts')],
      bundle: true, write: false, platform: 'browser', format: 'esm', metafile: true, logLevel: 'silent',
    });
    const inputs = Object.keys(r.metafile.inputs);
    expect(inputs.some((p) => p.endsWith('wasm-binary.generated.ts'))).toBe(true);
    expect(inputs.filter((p) => p.startsWith('node:') || p.includes('src/server') || p.includes('src/client'))).toEqual([]);
    const code = r.outputFiles[0].text;
    expect(code).not.toMatch(/from\s*["']node:|require\(["']node:|\bBuffer\./);
  });

  it('works from the bundle with the node:* built-ins out of reach', async () => {
    const r = await build({ entryPoints: [join(root, 'src', 'browser.ts')], bundle: true, write: false, platform: 'neutral', format: 'esm', logLevel: 'silent' });
    const url = 'data:text/javascript;base64,' + Buffer.from(r.outputFiles[0].text).toString('base64');
    const m = await import(/* @vite-ignore */ url);
    for (const engine of ['wasm', 'ts']) {
      const c = await m.createCodec({ engine });
      expect(c.engine).toBe(engine);
      const d = c.decodeRequest(c.encodeRequest('hello', ['a', 'b']));
      expect(m.utf8(d.name)).toBe('hello');
    }
  });
});
