import { build } from 'esbuild';
import { join } from 'node:path';
import { vectorsPayload } from '../browser/bundle.js';

const root = join(__dirname, '..', '..');

/**
 * One self-contained ESM file for a runtime with no file access: the universal codec entry,
 * test/browser/conformance.mjs and the golden vectors inline, plus `tail` (how that runtime
 * runs it and reports: print JSON for Deno/Bun, a fetch handler for workerd).
 */
export async function runtimeScript(tail: string, external: string[] = []): Promise<string> {
  const r = await build({
    stdin: {
      contents: [
        `import * as m from ${JSON.stringify(join(root, 'src', 'browser.ts'))};`,
        `import { runConformance } from ${JSON.stringify(join(root, 'test', 'browser', 'conformance.mjs'))};`,
        `const vectors = ${JSON.stringify(vectorsPayload())};`,
        'const run = (opts) => runConformance(m, vectors, opts);',
        tail,
      ].join('\n'),
      resolveDir: root,
      loader: 'js',
      sourcefile: 'runtime-entry.mjs',
    },
    external,
    bundle: true,
    write: false,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    logLevel: 'silent',
  });
  return r.outputFiles[0].text;
}
