import { beforeAll, describe, expect, it } from 'vitest';
import { type Codec, CodecError, MAX_BODY, utf8 } from '../../src/codec/index.js';
import { ENGINES, codecFor } from '../helpers/engines.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const bytes = (h: string) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));
const text = (bs: Uint8Array[]) => bs.map(utf8);

function code(fn: () => unknown): string {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(CodecError);
    return (err as CodecError).code;
  }
  throw new Error('expected a CodecError');
}

describe.each(ENGINES)('codec, %s engine', (engine) => {
  let c: Codec;
  beforeAll(async () => {
    c = await codecFor(engine);
    expect(c.engine).toBe(engine);
  });

  describe('header', () => {
    it('is modifier1, u16 LE datasize, modifier2', () => {
      expect(hex(c.encodeHeader(173, 0x1234, 5))).toBe('ad341205');
      expect(c.decodeHeader(bytes('ad341205'))).toEqual({ modifier1: 173, datasize: 0x1234, modifier2: 5 });
    });
    it('refuses bad values', () => {
      expect(code(() => c.encodeHeader(256, 0, 0))).toBe('INVALID_MODIFIER');
      expect(code(() => c.encodeHeader(0, 0, -1))).toBe('INVALID_MODIFIER');
      expect(code(() => c.encodeHeader(0, MAX_BODY + 1, 0))).toBe('BODY_TOO_LARGE');
      // sizes that are 0..65535 modulo 2^32: still too large, not wrapped into a u32
      for (const size of [2 ** 32, 2 ** 32 + 5, 2 ** 40])
        expect(
          code(() => c.encodeHeader(173, size, 0)),
          String(size),
        ).toBe('BODY_TOO_LARGE');
      expect(code(() => c.decodeHeader(bytes('ad3412')))).toBe('SHORT_HEADER');
    });
  });

  describe('array', () => {
    it('round-trips strings (UTF-8) and bytes', () => {
      const body = c.encodeArray(['a', 'é€😀', new Uint8Array([0, 255])]);
      expect(hex(body)).toBe('0100' + '61' + '0900' + 'c3a9e282acf09f9880' + '0200' + '00ff');
      expect(c.decodeArray(body).map(hex)).toEqual(['61', 'c3a9e282acf09f9880', '00ff']);
    });
    it('skips zero-length items and accepts a trailing empty item (uWSGI rejects it)', () => {
      expect(text(c.decodeArray(bytes('0000 0100 61 0000 0100 62 0000')))).toEqual(['a', 'b']);
      expect(c.decodeArray(new Uint8Array(0))).toEqual([]);
    });
    it('returns views over the caller bytes, not copies', () => {
      const body = c.encodeArray(['xyz']);
      const [item] = c.decodeArray(body);
      expect(item.buffer).toBe(body.buffer);
      expect(item.byteOffset).toBe(body.byteOffset + 2);
    });
    it('reports truncation', () => {
      expect(code(() => c.decodeArray(bytes('0300 6162')))).toBe('TRUNCATED_ITEM');
      expect(code(() => c.decodeArray(bytes('0100 61 01')))).toBe('TRUNCATED_LENGTH');
      expect(code(() => c.decodeArray(new Uint8Array(MAX_BODY + 1)))).toBe('BODY_TOO_LARGE');
    });
    it('encodes empty items as 0x0000 and refuses bodies over 65535 bytes', () => {
      expect(hex(c.encodeArray(['', 'a']))).toBe('0000010061');
      expect(c.encodeArray([new Uint8Array(MAX_BODY - 2)]).length).toBe(MAX_BODY);
      expect(code(() => c.encodeArray([new Uint8Array(MAX_BODY - 1)]))).toBe('BODY_TOO_LARGE');
      expect(code(() => c.encodeArray(['x'.repeat(40000), 'y'.repeat(40000)]))).toBe('BODY_TOO_LARGE');
      expect(code(() => c.encodeArray([1 as unknown as string]))).toBe('INVALID_INPUT');
    });
  });

  describe('vars', () => {
    it('keeps order, duplicates and empty values', () => {
      const pairs: [string, string][] = [
        ['A', '1'],
        ['EMPTY', ''],
        ['A', '2'],
      ];
      const body = c.encodeVars(pairs);
      expect(hex(body)).toBe('0100410100310500454d505459000001004101003' + '2');
      expect(c.decodeVars(body).map(([k, v]) => [utf8(k), utf8(v)])).toEqual(pairs);
    });
    it('refuses empty keys and truncation', () => {
      expect(code(() => c.encodeVars([['', 'x']]))).toBe('EMPTY_KEY');
      expect(code(() => c.decodeVars(bytes('0000 0000')))).toBe('EMPTY_KEY');
      expect(code(() => c.decodeVars(bytes('0100 41')))).toBe('TRUNCATED_LENGTH');
      expect(code(() => c.decodeVars(bytes('0100 41 0500 6162')))).toBe('TRUNCATED_ITEM');
      expect(code(() => c.decodeVars(bytes('0500 41')))).toBe('TRUNCATED_ITEM');
      expect(code(() => c.encodeVars([['K', new Uint8Array(MAX_BODY)]]))).toBe('BODY_TOO_LARGE');
    });
  });

  describe('request', () => {
    it('encodes header (173, size, modifier2) + array', () => {
      expect(hex(c.encodeRequest('hello', ['foo', new Uint8Array([0, 255])], 1))).toBe(
        'ad100001' + '0500' + '68656c6c6f' + '0300' + '666f6f' + '0200' + '00ff',
      );
      const d = c.decodeRequest(c.encodeRequest('f', []));
      expect(utf8(d.name)).toBe('f');
      expect(d.args).toEqual([]);
    });
    it('takes 254 args and a body of exactly 65535 bytes, not one more', () => {
      const args = Array.from({ length: 254 }, (_, i) => String(i));
      const d = c.decodeRequest(c.encodeRequest('f', args));
      expect(text(d.args)).toEqual(args);
      expect(code(() => c.encodeRequest('f', [...args, 'x']))).toBe('TOO_MANY_ARGS');
      const full = c.encodeRequest('f', [new Uint8Array(MAX_BODY - 5)]);
      expect(full.length).toBe(4 + MAX_BODY);
      expect(c.decodeRequest(full).args[0].length).toBe(MAX_BODY - 5);
      expect(code(() => c.encodeRequest('f', [new Uint8Array(MAX_BODY - 4)]))).toBe('BODY_TOO_LARGE');
    });
    it('refuses an empty or over-255-byte name', () => {
      expect(code(() => c.encodeRequest('', []))).toBe('EMPTY_NAME');
      expect(c.decodeRequest(c.encodeRequest('n'.repeat(255))).name.length).toBe(255);
      expect(code(() => c.encodeRequest('n'.repeat(256)))).toBe('NAME_TOO_LONG');
      expect(code(() => c.encodeRequest('é'.repeat(128)))).toBe('NAME_TOO_LONG');
    });
    it('decodes with the same rules and codes', () => {
      expect(code(() => c.decodeRequest(bytes('ad00')))).toBe('SHORT_HEADER');
      expect(code(() => c.decodeRequest(bytes('00020000 0000')))).toBe('WRONG_MODIFIER1');
      expect(code(() => c.decodeRequest(bytes('ad040000 0100 61')))).toBe('SIZE_MISMATCH');
      expect(code(() => c.decodeRequest(bytes('ad030000 0100 61 00')))).toBe('SIZE_MISMATCH');
      expect(code(() => c.decodeRequest(bytes('ad020000 0000')))).toBe('EMPTY_NAME');
      const longName = c.encodeArray(['n'.repeat(256)]);
      expect(
        code(() => c.decodeRequest(new Uint8Array([173, longName.length & 255, longName.length >> 8, 0, ...longName]))),
      ).toBe('NAME_TOO_LONG');
      const many = c.encodeArray(Array.from({ length: 256 }, () => 'a'));
      expect(code(() => c.decodeRequest(new Uint8Array([173, many.length & 255, many.length >> 8, 0, ...many])))).toBe(
        'TOO_MANY_ARGS',
      );
    });
  });

  describe('response', () => {
    it('uses the plain form up to 65535 bytes, the 64-bit form above', () => {
      expect(hex(c.encodeResponse('Hello'))).toBe(`ad050000${hex(new TextEncoder().encode('Hello'))}`);
      const edge = c.encodeResponse(new Uint8Array(MAX_BODY));
      expect(hex(edge.subarray(0, 4))).toBe('adffff00');
      const big = new Uint8Array(MAX_BODY + 1).fill(7);
      const r = c.encodeResponse(big);
      const dict = c.encodeVars([['CONTENT_LENGTH', String(MAX_BODY + 1)]]);
      expect(hex(r.subarray(0, 4 + dict.length))).toBe(`ad${hex(new Uint8Array([dict.length, 0]))}05${hex(dict)}`);
      expect(r.length).toBe(4 + dict.length + big.length);
      expect(c.decodeResponse(r)).toMatchObject({ modifier1: 173, modifier2: 5 });
      expect(Buffer.compare(c.decodeResponse(r).result, big)).toBe(0);
    });
    it('writes raw results with modifier2 1, forces the 64-bit form with 5', () => {
      expect(hex(c.encodeResponse('ab', 1))).toBe('6162');
      const forced = c.encodeResponse('ab', 5);
      expect(utf8(c.decodeResponse(forced).result)).toBe('ab');
      expect(c.decodeResponse(forced).modifier2).toBe(5);
      expect(code(() => c.encodeResponse('ab', 2))).toBe('INVALID_MODIFIER');
    });
    it('builds only the header for a size, to write the body apart', () => {
      expect(hex(c.encodeResponseHeader(3))).toBe('ad030000');
      expect(c.encodeResponseHeader(3, 1).length).toBe(0);
      expect(utf8(c.encodeResponseHeader(2 ** 40).subarray(4))).toContain(String(2 ** 40));
    });
    it('rejects answers cut short or with bytes after them', () => {
      expect(code(() => c.decodeResponse(bytes('ad050000 6162')))).toBe('SIZE_MISMATCH');
      expect(code(() => c.decodeResponse(bytes('ad010000 61 62')))).toBe('SIZE_MISMATCH');
      expect(code(() => c.decodeResponse(bytes('ad0a0005 0500 4f54484552 0100 31')))).toBe('BAD_CONTENT_LENGTH');
      const bad = c.encodeVars([['CONTENT_LENGTH', '1x']]);
      expect(code(() => c.decodeResponse(new Uint8Array([173, bad.length, 0, 5, ...bad, 0, 0])))).toBe(
        'BAD_CONTENT_LENGTH',
      );
    });
  });

  describe('stream decoder', () => {
    const packets = () => [
      c.encodeRequest('a', ['1']),
      c.encodeRequest('bb', []),
      c.encodeRequest('c', ['x'.repeat(300)]),
    ];
    const concat = (ps: Uint8Array[]) => {
      const out = new Uint8Array(ps.reduce((n, p) => n + p.length, 0));
      let o = 0;
      for (const p of ps) {
        out.set(p, o);
        o += p.length;
      }
      return out;
    };

    it('yields coalesced frames as views over the chunk', () => {
      const all = concat(packets());
      const frames = c.createDecoder().push(all);
      expect(frames.map((f) => text(c.decodeArray(f.body))[0])).toEqual(['a', 'bb', 'c']);
      expect(frames[0].body.buffer).toBe(all.buffer);
    });
    it('reassembles any chunking, one byte at a time included', () => {
      const all = concat(packets());
      for (const step of [1, 2, 3, 5, 7, 64, 1000]) {
        const d = c.createDecoder();
        const got = [];
        for (let i = 0; i < all.length; i += step) got.push(...d.push(all.subarray(i, i + step)));
        expect(got.map((f) => hex(f.body))).toEqual(packets().map((p) => hex(p.subarray(4))));
        expect(d.buffered).toBe(0);
      }
    });
    it('scans hundreds of packets in one chunk', () => {
      const many = Array.from({ length: 700 }, (_, i) => c.encodeRequest('f', [String(i)]));
      const frames = c.createDecoder().push(concat(many));
      expect(frames.length).toBe(700);
      expect(utf8(c.decodeArray(frames[699].body)[1])).toBe('699');
    });
    it('reads a 64-bit-form answer as one frame in response mode', () => {
      const result = new Uint8Array(200_000).map((_, i) => i % 251);
      const wire = concat([c.encodeResponse('small'), c.encodeResponse(result), c.encodeResponse('', 5)]);
      for (const step of [1, 13, 4096, wire.length]) {
        const d = c.createDecoder({ response: true });
        const frames = [];
        for (let i = 0; i < wire.length; i += step) frames.push(...d.push(wire.subarray(i, i + step)));
        expect(frames.map((f) => f.modifier2)).toEqual([0, 5, 5]);
        expect(utf8(frames[0].body)).toBe('small');
        expect(Buffer.compare(frames[1].body, result)).toBe(0);
        expect(frames[2].body.length).toBe(0);
      }
    });
    it('enforces maxFrame as soon as the header is known', () => {
      const d = c.createDecoder({ maxFrame: 10 });
      const err = (() => {
        try {
          d.push(concat([c.encodeRequest('a'), bytes('ad0b00')]));
          d.push(bytes('00'));
        } catch (e) {
          return e as CodecError;
        }
      })();
      expect(err?.code).toBe('FRAME_TOO_LARGE');
      expect(code(() => d.push(bytes('00')))).toBe('DECODER_FAILED');
      d.reset();
      expect(d.push(c.encodeRequest('a')).length).toBe(1);
      const r = c.createDecoder({ response: true, maxFrame: 100 });
      expect(code(() => r.push(c.encodeResponse(new Uint8Array(101), 5)))).toBe('FRAME_TOO_LARGE');
    });
    it('takes every frame under a maxFrame of 2^32 or more (not wrapped into a u32)', () => {
      const p = c.encodeRequest('f', ['x'.repeat(100)]);
      for (const maxFrame of [2 ** 32, 2 ** 32 + 50, 2 ** 40]) {
        expect(c.createDecoder({ maxFrame }).push(p).length, String(maxFrame)).toBe(1);
        expect(c.createDecoder({ maxFrame, items: true }).push(p)[0].items?.length, String(maxFrame)).toBe(2);
        expect(
          c.createDecoder({ maxFrame, response: true }).push(c.encodeResponse('abc')).length,
          String(maxFrame),
        ).toBe(1);
      }
    });
    it("parses each frame's items in the same pass when asked", () => {
      const all = concat([...packets(), bytes('ad030000 0500 61'), c.encodeRequest('z', ['', 'q'])]);
      for (const step of [1, 7, all.length]) {
        const d = c.createDecoder({ items: true });
        const frames = [];
        for (let i = 0; i < all.length; i += step) frames.push(...d.push(all.subarray(i, i + step)));
        expect(frames.map((f) => (f.items ? text(f.items).join(',') : f.itemsError))).toEqual([
          'a,1',
          'bb',
          `c,${'x'.repeat(300)}`,
          'TRUNCATED_ITEM',
          'z,q',
        ]);
      }
      expect(code(() => c.createDecoder({ items: true, response: true }))).toBe('INVALID_INPUT');
    });
    it('hands over the frames found before a fault', () => {
      const wire = concat([c.encodeRequest('a'), c.encodeRequest('b'), c.encodeRequest('c', ['x'.repeat(200)])]);
      try {
        c.createDecoder({ maxFrame: 100 }).push(wire);
        throw new Error('no error');
      } catch (e) {
        expect((e as CodecError).code).toBe('FRAME_TOO_LARGE');
      }
      const d = c.createDecoder({ maxFrame: 100 });
      const frames = d.decode(wire);
      expect(d.error?.code).toBe('FRAME_TOO_LARGE');
      expect(frames.length).toBe(2);
    });
    it('says where in the chunk each frame ends, whatever the chunking', () => {
      const requests = [...packets(), ...packets()];
      const answers = [
        c.encodeResponse('small'),
        c.encodeResponse(new Uint8Array(70_000).fill(7)),
        c.encodeResponse('', 5),
      ];
      const cases = [
        { ps: requests, response: false, items: false },
        { ps: requests, response: false, items: true },
        { ps: answers, response: true, items: false },
      ];
      for (const { ps, response, items } of cases) {
        const all = concat(ps);
        const bounds = ps.map((_, i) => ps.slice(0, i + 1).reduce((n, p) => n + p.length, 0));
        for (const step of [1, 7, 20, 4096, all.length]) {
          const d = c.createDecoder({ response, items });
          const got: number[] = [];
          const odd: string[] = [];
          for (let i = 0; i < all.length; i += step) {
            const frames = d.decode(all.subarray(i, i + step));
            if (d.error !== null) odd.push(`at ${i}: ${d.error.code}`);
            for (let j = 0; j < frames.length; j++) got.push(i + d.end(j));
          }
          const what = `response ${response}, items ${items}, step ${step}`;
          expect(odd, what).toEqual([]);
          expect(got, what).toEqual(bounds);
        }
      }
    });
    it('returns the error of a malformed stream instead of throwing, then refuses more until reset()', () => {
      const first = c.encodeRequest('a');
      const d = c.createDecoder({ maxFrame: 10 });
      const frames = d.decode(concat([first, bytes('ad0b0000')]));
      expect(d.error?.code).toBe('FRAME_TOO_LARGE');
      expect(frames.length).toBe(1);
      expect(d.end(0)).toBe(first.length);
      expect(d.decode(bytes('00')).length).toBe(0);
      expect(d.error?.code).toBe('DECODER_FAILED');
      d.reset();
      expect(d.decode(first).length).toBe(1);
      expect(d.error).toBe(null);
      const e = c.createDecoder();
      const notBytes: unknown = 'x';
      e.decode(notBytes as Uint8Array);
      expect(e.error?.code).toBe('INVALID_INPUT');
    });
  });

  it('keeps working after errors', () => {
    for (let i = 0; i < 3; i++) {
      expect(code(() => c.decodeRequest(bytes('ad030000 0100')))).toBe('SIZE_MISMATCH');
      expect(text(c.decodeRequest(c.encodeRequest('ok', ['1'])).args)).toEqual(['1']);
    }
  });
});
