// Cases that sit on the codec's limits (src/codec/constants.ts) and one past them, with real
// weight. Plain random generators almost never build 255 items or a 65535-byte body: a limit
// moved by one in one engine once went through 100,000 cases unseen. Each case carries what
// it is made of, so that model.ts can say what the codec must answer.
import fc from 'fast-check';
import { type Input, MAX_BODY, MAX_ITEMS, MAX_NAME, toBytes } from '../../src/codec/index.js';
import { TABLE_WORDS, HEAD } from '../../src/codec/kernel-spec.generated.js';

/** Around each limit: one under, on it, one over. */
const around = (...limits: number[]) => limits.flatMap((l) => [l - 1, l, l + 1]).filter((n) => n >= 0);

/** Mostly exactly on the edges, sometimes anywhere in [0, max]. */
const edgy = (edges: number[], max: number) =>
  fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...edges) }, { weight: 1, arbitrary: fc.integer({ min: 0, max }) });

type Kind = 'bytes' | 'ascii' | 'text';
const kindArb = fc.constantFrom<Kind>('bytes', 'ascii', 'text');
/** Multi-byte UTF-8 units (2, 3, 4 bytes; a lone surrogate is written as U+FFFD: 3). */
const UNITS: [string, number][] = [
  ['é', 2],
  ['€', 3],
  ['😀', 4],
  ['\ud800', 3],
];
const unitArb = fc.constantFrom(...UNITS);

/**
 * An item of exactly `n` UTF-8 bytes: bytes, ASCII, or multi-byte characters padded with
 * ASCII (before or after them: the string paths look at the length in UTF-16 units).
 */
function fill(n: number, kind: Kind, [unit, size]: [string, number], v: number): Input {
  if (kind === 'bytes') return new Uint8Array(n).fill(v);
  if (kind === 'ascii') return String.fromCharCode(97 + (v % 26)).repeat(n);
  const k = Math.floor(n / size);
  const pad = 'a'.repeat(n - k * size);
  return v & 1 ? pad + unit.repeat(k) : unit.repeat(k) + pad;
}

const byteLength = (x: Input): number => (typeof x === 'string' ? toBytes(x).length : x.length);

/** Header + body. `size` is what the header says (u16), not necessarily the body's length. */
export function packet(m1: number, size: number, m2: number, body: Uint8Array): Uint8Array {
  const out = new Uint8Array(4 + body.length);
  out.set([m1, size & 0xff, (size >> 8) & 0xff, m2]);
  out.set(body, 4);
  return out;
}

/** u16 length + bytes for each item: an array body, or (key, value, key, value...) a vars body. */
export function lengthPrefixed(items: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(items.reduce((n, it) => n + 2 + it.length, 0));
  let o = 0;
  for (const it of items) {
    out[o] = it.length & 0xff;
    out[o + 1] = it.length >> 8;
    out.set(it, o + 2);
    o += 2 + it.length;
  }
  return out;
}

/** How far a header field is from the truth: mostly right, sometimes one off. */
const deltaArb = fc.oneof({ weight: 6, arbitrary: fc.constant(0) }, { weight: 1, arbitrary: fc.constantFrom(-1, 1) });
/** Leave the body at its natural size instead of filling it to a target. */
const NATURAL = -1;
const bodyTargetArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(...around(MAX_BODY)) },
  { weight: 3, arbitrary: fc.constant(NATURAL) },
  { weight: 1, arbitrary: fc.integer({ min: 0, max: MAX_BODY + 4 }) },
);

/**
 * Items (the first is the function name, for requests): 0, 1, 2 and 254..257 of them; a
 * name of 0..1 or 254..256 bytes; some empty items (skipped on decode, counted on encode);
 * and, often, a last item that makes the body exactly 65534, 65535 or 65536 bytes.
 */
export interface ItemsCase {
  items: Input[];
  /** The items as UTF-8 bytes. */
  bytes: Uint8Array[];
  /** modifier2 to encode with (any number: invalid ones too); its low byte in the raw packet. */
  m2: number;
  /** The raw packet of these items (model.rawRequest, any body length): its modifier1, and how far its datasize is from the truth. */
  m1: number;
  sizeDelta: number;
}

export const itemsCaseArb: fc.Arbitrary<ItemsCase> = fc
  .record({
    count: edgy([0, 1, 2, ...around(MAX_ITEMS), MAX_ITEMS + 2], 300),
    nameLen: edgy([0, 1, ...around(MAX_NAME)], 300),
    body: bodyTargetArb,
    emptyEvery: fc.constantFrom(0, 0, 2, 7, 50),
    nameKind: kindArb,
    fillKind: kindArb,
    unit: unitArb,
    v: fc.nat(255),
    m2: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(0, 1, 5) },
      { weight: 1, arbitrary: fc.integer({ min: -1, max: 256 }) },
    ),
    m1: fc.oneof({ weight: 8, arbitrary: fc.constant(173) }, { weight: 1, arbitrary: fc.constantFrom(0, 172, 174) }),
    sizeDelta: deltaArb,
  })
  .map((c) => {
    const items: Input[] = [];
    if (c.count >= 1) items.push(fill(c.nameLen, c.nameKind, c.unit, c.v));
    for (let i = 1; i < c.count; i++) {
      const len = c.emptyEvery && i % c.emptyEvery === 0 ? 0 : 1 + (i % 3);
      items.push(i % 2 ? 'x'.repeat(len) : new Uint8Array(len).fill(i & 0xff));
    }
    if (c.body !== NATURAL && items.length > 0) {
      // The last item takes what the target leaves (a lone name: the name itself).
      const last = items.length - 1;
      const others = items.slice(0, last).reduce((n: number, it) => n + 2 + byteLength(it), 0);
      const room = c.body - others - 2;
      if (room >= 0) items[last] = fill(room, c.fillKind, c.unit, c.v);
    }
    return { items, bytes: items.map(toBytes), m2: c.m2, m1: c.m1, sizeDelta: c.sizeDelta };
  });

/**
 * Vars pairs: 0..3 or ~300 of them, maybe one empty key, values often empty, and often a last
 * value that makes the body exactly 65534, 65535 or 65536 bytes.
 */
export interface VarsCase {
  pairs: [Input, Input][];
  bytes: [Uint8Array, Uint8Array][];
}

export const varsCaseArb: fc.Arbitrary<VarsCase> = fc
  .record({
    count: edgy([0, 1, 2, 3, 300], 400),
    emptyKeyAt: fc.oneof({ weight: 4, arbitrary: fc.constant(-1) }, { weight: 1, arbitrary: fc.nat(400) }),
    body: bodyTargetArb,
    fillKind: kindArb,
    unit: unitArb,
    v: fc.nat(255),
  })
  .map((c) => {
    const pairs: [Input, Input][] = [];
    for (let i = 0; i < c.count; i++) {
      const key: Input =
        i === c.emptyKeyAt ? (i % 2 ? '' : new Uint8Array(0)) : i % 2 ? `K${i}` : new Uint8Array([75, i & 0xff]);
      pairs.push([key, i % 3 ? '' : `v${i}`]);
    }
    if (c.body !== NATURAL && pairs.length > 0) {
      const last = pairs.length - 1;
      const others = pairs.slice(0, last).reduce((n, [k, v]) => n + 4 + byteLength(k) + byteLength(v), 0);
      const room = c.body - others - 4 - byteLength(pairs[last][0]);
      if (room >= 0) pairs[last] = [pairs[last][0], fill(room, c.fillKind, c.unit, c.v)];
    }
    return { pairs, bytes: pairs.map(([k, v]) => [toBytes(k), toBytes(v)]) };
  });

/**
 * A result on either side of the plain/64-bit switch (65535 bytes; for strings also
 * 21845 = 65535 / 3 UTF-16 units, where the TS engine's direct path ends), with the
 * modifier2 of the answer asked for.
 */
export const answerCaseArb = fc
  .record({
    n: edgy([0, 1, ...around(MAX_BODY), 3 * 21844, 3 * 21846, 2 * 32768, MAX_BODY + 2], 70_000),
    kind: kindArb,
    unit: unitArb,
    v: fc.nat(255),
    m2: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(0, 0, 1, 5) },
      { weight: 1, arbitrary: fc.integer({ min: -1, max: 256 }) },
    ),
  })
  .map((c) => ({ result: fill(c.n, c.kind, c.unit, c.v), m2: c.m2 }));

/** Sizes for encodeResponseHeader: the 65535 switch, each count of decimal digits, 2^53 - 1, and bad ones. */
export const headerSizeArb = fc.oneof(
  { weight: 4, arbitrary: fc.constantFrom(0, ...around(MAX_BODY), 2 ** 32, 2 ** 53 - 1) },
  { weight: 4, arbitrary: fc.integer({ min: 1, max: 15 }).chain((k) => fc.constantFrom(10 ** k - 1, 10 ** k)) },
  { weight: 1, arbitrary: fc.constantFrom(-1, 1.5, Number.NaN, 2 ** 53, Number.POSITIVE_INFINITY) },
  { weight: 1, arbitrary: fc.nat() },
);

/** How a 64-bit-form answer gives its CONTENT_LENGTH: right (maybe with leading zeros), broken, missing, twice. */
const CL_FORMS = [
  'exact',
  'zeros',
  'empty',
  'digits17',
  'nondigit',
  'unsafe',
  'missing',
  'twiceFirstBad',
  'twiceFirstGood',
  'tooBig',
  'lowercase',
] as const;
type ClForm = (typeof CL_FORMS)[number];

/**
 * A 64-bit-form answer: header (173, dict size, 5), a vars dict (other keys around
 * CONTENT_LENGTH, or a broken CONTENT_LENGTH), then the result, whole or one byte off.
 */
export interface DictAnswerCase {
  wire: Uint8Array;
  dict: [Uint8Array, Uint8Array][];
  result: Uint8Array;
  resultDelta: number;
}

const enc = (s: string) => new TextEncoder().encode(s);

function clValue(form: ClForm, n: number): string | null {
  const digits = String(n);
  switch (form) {
    case 'exact':
    case 'lowercase':
    case 'twiceFirstGood':
      return digits;
    case 'zeros':
      return digits.padStart(16, '0');
    case 'empty':
      return '';
    case 'digits17':
      return digits.padStart(17, '0');
    case 'nondigit':
      return `${digits}x`;
    case 'unsafe':
      return String(2 ** 53);
    case 'tooBig':
      return String(n + 100_000);
    case 'missing':
    case 'twiceFirstBad':
      return null;
  }
}

export const dictAnswerCaseArb: fc.Arbitrary<DictAnswerCase> = fc
  .record({
    n: edgy([0, 1, 2, ...around(MAX_BODY)], 70_000),
    form: fc.oneof(
      { weight: 4, arbitrary: fc.constant<ClForm>('exact') },
      { weight: 4, arbitrary: fc.constantFrom(...CL_FORMS) },
    ),
    before: fc.nat(2),
    resultDelta: deltaArb,
    v: fc.nat(255),
  })
  .map((c) => {
    const cl = enc('CONTENT_LENGTH');
    const dict: [Uint8Array, Uint8Array][] = [];
    for (let i = 0; i < c.before; i++) dict.push([enc(`X_${i}`), enc(String(i))]);
    const value = clValue(c.form, c.n);
    if (c.form === 'twiceFirstBad') dict.push([cl, enc('1y')], [cl, enc(String(c.n))]);
    else if (c.form === 'twiceFirstGood') dict.push([cl, enc(String(c.n))], [cl, enc('1y')]);
    else if (c.form === 'lowercase') dict.push([enc('content_length'), enc(String(c.n))]);
    else if (value !== null) dict.push([cl, enc(value)]);
    const body = lengthPrefixed(dict.flat());
    const result = new Uint8Array(Math.max(0, c.n + c.resultDelta)).fill(c.v);
    const wire = new Uint8Array(4 + body.length + result.length);
    wire.set(packet(173, body.length, 5, body));
    wire.set(result, 4 + body.length);
    return { wire, dict, result, resultDelta: c.resultDelta };
  });

/** One frame of a stream: its header fields and body, and the items the body holds (if an array). */
interface StreamFrame {
  m1: number;
  m2: number;
  body: Uint8Array;
  items?: Uint8Array[];
  dict?: true;
}

/**
 * Plain frames of 0..40 bytes, 65534 or 65535: an array body (some items empty) mostly,
 * else a body that surely is not one (its first item claims 65535 bytes; or 1 byte).
 */
const frameArb = (response: boolean): fc.Arbitrary<StreamFrame> =>
  fc
    .record({
      size: fc.oneof(
        { weight: 6, arbitrary: fc.integer({ min: 0, max: 40 }) },
        { weight: 1, arbitrary: fc.constantFrom(MAX_BODY - 1, MAX_BODY) },
      ),
      array: fc.nat(5).map((n) => n > 0),
      m1: fc.constantFrom(173, 0, 5),
      m2: response ? fc.constantFrom(0, 1, 4, 6) : fc.nat(255),
      v: fc.nat(255),
    })
    .map(({ size, array, m1, m2, v }): StreamFrame => {
      if (size === 0) return { m1, m2, body: new Uint8Array(0), items: [] };
      if (!array || size === 1) return { m1, m2, body: new Uint8Array(size).fill(0xff) };
      const items: Uint8Array[] = [];
      let left = size;
      for (let i = 0; ; i++) {
        const len = i < 4 ? (v + i) % 6 : Infinity;
        if (left - 2 - len >= 2) {
          items.push(new Uint8Array(len).fill(v + i));
          left -= 2 + len;
        } else {
          items.push(new Uint8Array(left - 2).fill(v + i));
          break;
        }
      }
      return { m1, m2, body: lengthPrefixed(items), items: items.filter((it) => it.length > 0) };
    });

/** A 64-bit-form answer as a stream frame (valid CONTENT_LENGTH): header + dict, then the result. */
const dictFrameArb: fc.Arbitrary<StreamFrame> = fc
  .record({
    n: fc.oneof(
      { weight: 4, arbitrary: fc.integer({ min: 0, max: 40 }) },
      { weight: 1, arbitrary: fc.constantFrom(...around(MAX_BODY)) },
    ),
    v: fc.nat(255),
  })
  .map(({ n, v }) => ({ m1: 173, m2: 5, body: new Uint8Array(n).fill(v), dict: true }));

/** The bytes of a frame on the wire, and where its header (header + dict, for a 64-bit answer) ends. */
function frameWire(f: StreamFrame): { bytes: Uint8Array; headerLength: number } {
  if (!f.dict) return { bytes: packet(f.m1, f.body.length, f.m2, f.body), headerLength: 4 };
  const dict = lengthPrefixed([enc('CONTENT_LENGTH'), enc(String(f.body.length))]);
  const bytes = new Uint8Array(4 + dict.length + f.body.length);
  bytes.set(packet(f.m1, dict.length, 5, dict));
  bytes.set(f.body, 4 + dict.length);
  return { bytes, headerLength: 4 + dict.length };
}

/** Entries of a scan's table (assembly/kernel-spec.json): frames alone, or words for frames with items. */
const FRAME_ENTRIES = (TABLE_WORDS - HEAD) >> 2;
const ITEM_WORDS = TABLE_WORDS - HEAD;

export interface StreamCase {
  response: boolean;
  items: boolean;
  frames: StreamFrame[];
  wire: Uint8Array;
  /** Where the wire is cut into chunks: always at header bytes (1..header length into a frame). */
  cuts: number[];
  maxFrame: number;
}

/** A stream's wire, and where each frame starts. */
function wireOf(frames: StreamFrame[]): { wire: Uint8Array; starts: number[]; headers: number[] } {
  const wires = frames.map(frameWire);
  const starts: number[] = [];
  let at = 0;
  for (const w of wires) {
    starts.push(at);
    at += w.bytes.length;
  }
  const wire = new Uint8Array(at);
  for (const [i, w] of wires.entries()) wire.set(w.bytes, starts[i]);
  return { wire, starts, headers: wires.map((w) => w.headerLength) };
}

/**
 * Up to 6 frames (requests, or answers plain and 64-bit), cut after every header byte or
 * after a few, read with a maxFrame one under, at or one over the largest frame.
 */
export const streamCaseArb: fc.Arbitrary<StreamCase> = fc
  .record({
    response: fc.boolean(),
    items: fc.boolean(),
    every: fc.nat(4).map((n) => n === 0),
  })
  .chain(({ response, items, every }) => {
    const frameArbs = response
      ? fc.oneof({ weight: 2, arbitrary: frameArb(true) }, { weight: 1, arbitrary: dictFrameArb })
      : frameArb(false);
    return fc.array(frameArbs, { minLength: 1, maxLength: 6 }).chain((frames) => {
      const { wire, starts, headers } = wireOf(frames);
      const largest = Math.max(...frames.map((f) => f.body.length));
      const cutsArb = every
        ? fc.constant(starts.flatMap((s, f) => Array.from({ length: headers[f] }, (_, k) => s + 1 + k)))
        : fc
            .array(fc.tuple(fc.nat(frames.length - 1), fc.nat()), { maxLength: 8 })
            .map((picks) =>
              [...new Set(picks.map(([f, k]) => starts[f] + 1 + (k % headers[f])))].sort((a, b) => a - b),
            );
      const maxFrameArb = fc.oneof(
        { weight: 4, arbitrary: fc.constantFrom(...around(largest)) },
        // also past a u32 (the WASM exports take one)
        { weight: 1, arbitrary: fc.constantFrom(0, MAX_BODY, 1 << 30, 2 ** 32, 2 ** 32 + largest) },
      );
      return fc.record({
        response: fc.constant(response),
        items: fc.constant(items && !response),
        frames: fc.constant(frames),
        wire: fc.constant(wire),
        cuts: cutsArb,
        maxFrame: maxFrameArb,
      });
    });
  });

const empty = (): StreamFrame => ({ m1: 173, m2: 0, body: new Uint8Array(0), items: [] });
const oneItem = (): StreamFrame => ({
  m1: 173,
  m2: 0,
  body: new Uint8Array([1, 0, 97]),
  items: [new Uint8Array([97])],
});

/**
 * One chunk of more frames than a scan's table holds, so that the scan stops full and goes
 * on: 16383 four-word entries for frames alone (16383..16385 frames); 65532 words for frames
 * with items (5 + 2 per item), filled exactly, one short or one over (the one-item frame
 * last, so that a table one word too long would lose an item's length), then more frames.
 */
export const tableCaseArb: fc.Arbitrary<StreamCase> = fc
  .oneof(
    fc
      .constantFrom(FRAME_ENTRIES, FRAME_ENTRIES + 1, FRAME_ENTRIES + 1, FRAME_ENTRIES + 2)
      .map((n) => ({ items: false, frames: Array.from({ length: n }, empty) })),
    fc.constantFrom(ITEM_WORDS - 1, ITEM_WORDS, ITEM_WORDS + 1, ITEM_WORDS + 1).map((words) => {
      let ones = 1;
      while ((words - 7 * ones) % 5 !== 0) ones++;
      const frames = Array.from({ length: (words - 7 * ones) / 5 }, empty);
      for (let i = 0; i < ones; i++) frames.push(oneItem());
      return { items: true, frames: [...frames, oneItem(), empty()] };
    }),
  )
  .map(({ items, frames }) => ({
    response: false,
    items,
    frames,
    wire: wireOf(frames).wire,
    cuts: [],
    maxFrame: MAX_BODY,
  }));
