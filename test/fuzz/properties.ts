// Equivalence properties of the two engines, shared by `npm test` (a fixed budget of cases)
// and `npm run fuzz -- --minutes N` (a time budget). Only CodecError may escape a codec call.
import fc from 'fast-check';
import { type Codec, CodecError, type Frame } from '../../src/codec/index.js';
import { edgeProperties } from './edge-properties.js';
import { agreeing, type Engines, outcome, show } from './outcome.js';

export type { Engines };

const bytesArb = (max: number) => fc.uint8Array({ minLength: 0, maxLength: max });
const itemArb = fc.oneof(
  { weight: 4, arbitrary: fc.string({ maxLength: 24 }) },
  { weight: 2, arbitrary: fc.string({ unit: 'grapheme', maxLength: 12 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 8 }) },
  { weight: 4, arbitrary: bytesArb(40) },
  { weight: 1, arbitrary: fc.constant('') },
  { weight: 1, arbitrary: fc.integer({ min: 1, max: 70000 }).map((n) => new Uint8Array(n)) },
);
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.string({ minLength: 1, maxLength: 20 }) },
  { weight: 1, arbitrary: bytesArb(300) },
  { weight: 1, arbitrary: fc.integer({ min: 250, max: 260 }).map((n) => 'n'.repeat(n)) },
  { weight: 1, arbitrary: fc.constant('') },
);
const argsArb = fc.oneof(
  { weight: 8, arbitrary: fc.array(itemArb, { maxLength: 12 }) },
  {
    weight: 1,
    arbitrary: fc.integer({ min: 250, max: 260 }).map((n) => Array.from({ length: n }, (_, i) => (i % 7 ? 'a' : ''))),
  },
);
const modArb = fc.oneof(
  { weight: 5, arbitrary: fc.constantFrom(0, 1, 5) },
  { weight: 1, arbitrary: fc.integer({ min: -2, max: 300 }) },
);

/** A stream of valid packets (requests or answers) as one buffer, with its parts. */
function packets(c: Codec, response: boolean) {
  return fc
    .array(
      fc.tuple(
        nameArb,
        fc.array(itemArb, { maxLength: 4 }),
        fc.nat({ max: 15 }).map((n) => n === 0),
      ),
      { minLength: 1, maxLength: 8 },
    )
    .map((specs) => {
      const parts: Uint8Array[] = [];
      for (const [name, args, big] of specs) {
        try {
          if (response)
            parts.push(
              c.encodeResponse(
                big ? new Uint8Array(70000).fill(3) : args.length ? args[0] : name,
                big ? 0 : 5 * Number(args.length > 2),
              ),
            );
          else parts.push(c.encodeRequest(name, args));
        } catch {
          /* out-of-limit specs are simply not part of the stream */
        }
      }
      return parts;
    });
}

const concat = (ps: Uint8Array[]) => {
  const out = new Uint8Array(ps.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of ps) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Mutations of valid bytes: truncate, flip, overwrite a length, append garbage, splice. */
const mutate = (b: Uint8Array) =>
  fc
    .array(
      fc.oneof(
        fc.record({ t: fc.constant('cut'), at: fc.nat() }),
        fc.record({ t: fc.constant('flip'), at: fc.nat(), v: fc.integer({ min: 0, max: 255 }) }),
        fc.record({ t: fc.constant('len'), at: fc.nat(), v: fc.constantFrom(0, 1, 0xff, 0xffff, 0x8000) }),
        fc.record({ t: fc.constant('tail'), g: bytesArb(8) }),
        fc.record({ t: fc.constant('drop'), at: fc.nat(), n: fc.integer({ min: 1, max: 4 }) }),
      ),
      { minLength: 1, maxLength: 3 },
    )
    .map((ms) => {
      let x = b.slice();
      for (const m of ms) {
        if (m.t === 'cut') x = x.slice(0, x.length ? m.at % (x.length + 1) : 0);
        else if (m.t === 'flip' && x.length) x[m.at % x.length] = m.v;
        else if (m.t === 'len' && x.length > 1) {
          const i = m.at % (x.length - 1);
          x[i] = m.v & 0xff;
          x[i + 1] = m.v >> 8;
        } else if (m.t === 'tail') x = concat([x, m.g]);
        else if (m.t === 'drop' && x.length) {
          const i = m.at % x.length;
          x = concat([x.subarray(0, i), x.subarray(i + m.n)]);
        }
      }
      return x;
    });

/**
 * Each property with its share of the case budget. The engines are read from `e` when the
 * cases run: the arbitraries are built once, before the engines load (building them takes
 * about half a second).
 */
/** A property and its weight in the case budget (a list of them is one type: fc.assert takes each). */
export interface WeightedProperty {
  name: string;
  weight: number;
  prop: fc.IProperty<unknown[]>;
}

export function properties(e: Engines): WeightedProperty[] {
  const all = () => [e.ts, e.wasm, e.auto];
  const same = agreeing(e);

  return [
    {
      name: 'encodeRequest: same bytes or same error',
      weight: 20,
      prop: fc.property(nameArb, argsArb, modArb, (name, args, m2) => {
        same((c) => c.encodeRequest(name, args, m2));
      }),
    },
    {
      name: 'encodeArray / encodeVars / encodeResponse: same bytes or same error',
      weight: 12,
      prop: fc.property(fc.array(itemArb, { maxLength: 10 }), modArb, (items, m2) => {
        same((c) => c.encodeArray(items));
        const pairs = items.map(
          (it, i) => [i % 3 ? it : `K${i}`, items[(i + 1) % items.length] ?? ''] as [typeof it, typeof it],
        );
        same((c) => c.encodeVars(pairs));
        same((c) => c.encodeResponse(items[0] ?? '', m2));
        same((c) => c.encodeHeader(m2, items.length * 9000, 0));
      }),
    },
    {
      name: 'round trip: decode(encode(x)) gives x back, empty items skipped',
      weight: 12,
      prop: fc.property(nameArb, fc.array(itemArb, { maxLength: 8 }), (name, args) => {
        for (const c of all()) {
          let packet: Uint8Array;
          try {
            packet = c.encodeRequest(name, args);
          } catch (err) {
            if (err instanceof CodecError) continue;
            throw err;
          }
          const d = c.decodeRequest(packet);
          const want = args
            .map((a) => (typeof a === 'string' ? new TextEncoder().encode(a) : a))
            .filter((a) => a.length > 0);
          if (show(d.args) !== show(want)) throw new Error('args changed in a round trip');
        }
      }),
    },
    {
      name: 'decoders on random bytes: same result or same error',
      weight: 18,
      prop: fc.property(fc.oneof(bytesArb(64), bytesArb(600)), (b) => {
        same((c) => c.decodeRequest(b));
        same((c) => c.decodeArray(b));
        same((c) => c.decodeVars(b));
        same((c) => c.decodeHeader(b));
        same((c) => c.decodeResponse(b));
      }),
    },
    {
      name: 'decoders on mutated valid packets: same result or same error',
      weight: 24,
      prop: fc.property(
        fc.tuple(nameArb, fc.array(itemArb, { maxLength: 6 })).chain(([n, a]) => {
          let p: Uint8Array;
          try {
            p = e.ts.encodeRequest(n, a);
          } catch {
            p = e.ts.encodeRequest('f', []);
          }
          return fc.tuple(mutate(p), mutate(e.ts.encodeResponse(a[0] ?? n, a.length % 2 ? 5 : 0)));
        }),
        ([req, res]) => {
          same((c) => c.decodeRequest(req));
          same((c) => c.decodeArray(req.subarray(4)));
          same((c) => c.decodeVars(req.subarray(4)));
          same((c) => c.decodeResponse(res));
          same((c) => c.createDecoder({ maxFrame: 300 }).push(req));
        },
      ),
    },
    {
      name: 'stream decoder: any chunking gives the same frames (or error) on every engine',
      weight: 12,
      prop: fc.property(
        fc.boolean().chain((response) =>
          fc.tuple(
            fc.constant(response),
            packets(e.ts, response).chain((ps) => {
              const whole = concat(ps);
              return fc.tuple(
                fc.constant(ps),
                fc.oneof(fc.constant(whole), mutate(whole)),
                fc.array(fc.nat({ max: whole.length + 8 }), { maxLength: 12 }),
              );
            }),
          ),
        ),
        ([response, [ps, wire, cuts]]) => {
          const points = [...new Set(cuts.map((x) => Math.min(x, wire.length)))].sort((a, b) => a - b);
          const run = (c: Codec, chunked: boolean, items = false) => {
            const d = c.createDecoder({ response, items, maxFrame: response ? 100_000 : 65535 });
            const frames = [];
            let prev = 0;
            for (const p of chunked ? [...points, wire.length] : [wire.length]) {
              frames.push(...d.push(wire.subarray(prev, p)));
              prev = p;
            }
            return { frames, buffered: d.buffered };
          };
          const whole = same((c) => run(c, false));
          const chunked = same((c) => run(c, true));
          if (whole !== chunked) throw new Error(`chunking changed the frames:\n${whole}\n${chunked}`);
          // decode(): where each frame ends in the stream, and on a fault the frames before it,
          // the same on every engine and for any chunking.
          const placed = (c: Codec, chunked: boolean) => {
            const d = c.createDecoder({ response, maxFrame: response ? 100_000 : 65535 });
            const frames: Frame[] = [];
            const ends: number[] = [];
            let error = '';
            let prev = 0;
            for (const p of chunked ? [...points, wire.length] : [wire.length]) {
              const got = d.decode(wire.subarray(prev, p));
              got.forEach((_, j) => {
                const x = d.end(j);
                if (!(x > 0 && x <= p - prev))
                  throw new Error(`decode() says frame ${j} ends at ${x}, outside its ${p - prev}-byte chunk`);
                ends.push(prev + x);
              });
              frames.push(...got);
              prev = p;
              if (d.error !== null) {
                error = d.error.code;
                break;
              }
            }
            return { frames, ends, error };
          };
          // Without a fault the frames are push()'s, compared above: their count is enough here.
          const shown = (c: Codec, chunked: boolean) => {
            const r = placed(c, chunked);
            return { ends: r.ends, error: r.error, frames: r.error === '' ? r.frames.length : r.frames };
          };
          const placedWhole = same((c) => shown(c, false));
          if (same((c) => shown(c, true)) !== placedWhole)
            throw new Error(`chunking changed where frames end:\n${placedWhole}`);
          if (!response) {
            // A request frame takes its 4-byte header and its body: each ends that much after the one before.
            const { frames, ends } = placed(e.ts, false);
            frames.forEach((f, i) => {
              if (ends[i] !== (i === 0 ? 0 : ends[i - 1]) + 4 + f.body.length)
                throw new Error(`frame ${i} ends at ${ends[i]}`);
            });
          }
          if (!response) {
            // Parsing items in the scan gives, per frame, exactly what decodeArray gives.
            const withItems = same((c) => run(c, false, true));
            if (same((c) => run(c, true, true)) !== withItems) throw new Error('chunking changed the parsed items');
            const ok = outcome(() => run(e.ts, false, true).frames.map((f) => f.items ?? f.itemsError));
            const ref = outcome(() =>
              run(e.ts, false).frames.map((f) => outcome(() => e.ts.decodeArray(f.body)).replace(/^ok |^err /, '')),
            );
            if (ok.startsWith('ok ') && ok.replace(/^ok /, '') !== ref.replace(/^ok /, ''))
              throw new Error(`items differ from decodeArray:\n${ok}\n${ref}`);
          }
          if (wire === ps[0] || show(wire) === show(concat(ps))) {
            if (!whole.startsWith('ok ') || !whole.includes(`buffered:0`))
              throw new Error('a valid stream did not decode whole');
          }
        },
      ),
    },
    ...edgeProperties(e),
  ];
}
