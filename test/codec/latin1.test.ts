// latin1(): bytes to a one-char-per-byte string, byte for byte at every size (the registry's
// keys, request vars for routing, the client's CONTENT_LENGTH all depend on it).
import { describe, expect, it } from 'vitest';
import { latin1 } from '../../src/codec/bytes.js';
import { Registry } from '../../src/functions/registry.js';

const pattern = (n: number): Uint8Array => Uint8Array.from({ length: n }, (_, i) => (i * 131 + 7) & 255);

describe('latin1', () => {
  it('maps every byte to the code point of the same value (0x80..0x9F included)', () => {
    const all = Uint8Array.from({ length: 256 }, (_, i) => i);
    const s = latin1(all);
    expect(s.length).toBe(256);
    for (let i = 0; i < 256; i++) expect(s.charCodeAt(i), `byte 0x${i.toString(16)}`).toBe(i);
    for (let b = 0x80; b <= 0x9f; b++) expect(latin1(Uint8Array.of(b))).toBe(String.fromCharCode(b));
  });

  it('is byte-exact at, below and above each size where its method changes', () => {
    for (const n of [0, 1, 63, 64, 65, 255, 8191, 8192, 8193, 16384, 20001]) {
      const b = pattern(n);
      expect(latin1(b), `${n} bytes`).toBe(Buffer.from(b).toString('latin1'));
    }
  });

  it('reads a view at its offset, not the whole buffer', () => {
    const b = pattern(300);
    expect(latin1(b.subarray(100, 200))).toBe(Buffer.from(b.subarray(100, 200)).toString('latin1'));
  });

  it('keeps registry names apart that differ only in bytes 0x80..0x9F, at any length', () => {
    for (const length of [8, 100, 255]) {
      const r = new Registry();
      const names = [0x80, 0x81, 0x8d, 0x9f, 0xa0].map((last) => {
        const name = new Uint8Array(length).fill(0x61);
        name[length - 1] = last;
        return name;
      });
      for (const [i, name] of names.entries()) r.register(name, () => String(i));
      expect(r.size).toBe(names.length);
      for (const [i, name] of names.entries())
        expect(r.lookup(name.slice())?.(), `${length}-byte name ending 0x${name[length - 1].toString(16)}`).toBe(
          String(i),
        );
    }
  });
});
