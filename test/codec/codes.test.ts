// assembly/kernel-spec.json is the one source of the numbers the kernels and the codec share:
// the build writes it out for each side. These check that what both sides compile is that.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/codec/codes.js';
import { generate, OUTPUTS, SPEC } from '../../scripts/kernel-spec.mjs';

const root = join(__dirname, '..', '..');
const read = (path: string) => readFileSync(join(root, path), 'utf8');

describe('the kernel spec', () => {
  const spec = JSON.parse(read(SPEC));

  it('is what the generated files were made from (npm run build writes them)', () => {
    const want = generate(spec);
    expect(read(OUTPUTS.assembly)).toBe(want.assembly);
    expect(read(OUTPUTS.host)).toBe(want.host);
  });

  it('gives the WASM kernel the same error numbers as src/codec', () => {
    const asm = Object.fromEntries(
      [...read(OUTPUTS.assembly).matchAll(/export const E_(\w+): i32 = (-?\d+);/g)].map((m) => [m[1], Number(m[2])]),
    );
    expect(Object.keys(asm).length).toBeGreaterThan(10);
    expect(asm).toEqual({ ...CODES });
  });
});
