// utf8(): the text functions get for their args. Short ASCII takes a loop of its own; every
// input must still decode exactly as TextDecoder does (U+FFFD for bad sequences, BOM dropped).
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { utf8 } from '../../src/codec/bytes.js';

const decoder = new TextDecoder();

describe('utf8()', () => {
  it('equals TextDecoder for any bytes, short (the ASCII loop) and long', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (b) => {
        expect(utf8(b)).toBe(decoder.decode(b));
      }),
      { numRuns: 20_000 },
    );
  });

  it('equals TextDecoder for text: ASCII, a non-ASCII byte at every place, a BOM, cut sequences', () => {
    const cases = ['', 'a', 'aaa|bbbbb', 'x'.repeat(16), 'x'.repeat(17), 'é', 'abcé', 'é'.repeat(9), '\uFEFFabc', '😀'];
    for (const t of cases) {
      const b = new TextEncoder().encode(t);
      expect(utf8(b)).toBe(decoder.decode(b));
      for (let cut = 0; cut < b.length; cut++)
        expect(utf8(b.subarray(0, cut))).toBe(decoder.decode(b.subarray(0, cut)));
    }
  });
});
