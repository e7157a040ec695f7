import { build } from 'esbuild';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const root = join(__dirname, '..', '..');

/**
 * The universal entry bundled as scripts/build.mjs bundles it for dist/browser, but from the
 * sources in the tree now (so a test never runs a stale dist/).
 */
export async function bundleBrowserEntry(): Promise<string> {
  const r = await build({
    entryPoints: [join(root, 'src', 'browser.ts')],
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}

/** The golden vectors with their bytes inline as hex: what test/browser/conformance.mjs takes. */
export function vectorsPayload(): unknown[] {
  const dir = join(root, 'test', 'vectors');
  const manifest = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8'));
  return manifest.vectors.map((v: { file: string }) => ({
    ...v,
    bytes_hex: readFileSync(join(dir, v.file)).toString('hex'),
  }));
}

export const conformanceSource = (): string => readFileSync(join(__dirname, 'conformance.mjs'), 'utf8');
