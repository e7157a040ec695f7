import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { CODES } from '../../src/codec/codes.js';

describe('error codes', () => {
  it('assembly/codes.ts uses the same numbers as src/codec/codes.ts', () => {
    const src = readFileSync(join(__dirname, '..', '..', 'assembly', 'codes.ts'), 'utf8');
    const asm = Object.fromEntries([...src.matchAll(/export const E_(\w+): i32 = (-?\d+);/g)].map((m) => [m[1], Number(m[2])]));
    expect(Object.keys(asm).length).toBeGreaterThan(10);
    for (const [name, n] of Object.entries(asm)) expect(CODES[name as keyof typeof CODES], name).toBe(n);
  });
});
