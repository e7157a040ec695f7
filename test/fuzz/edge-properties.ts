// Properties on the codec's limits (edges.ts): on every engine the same outcome, and the one
// the protocol's rules give (model.ts).
import fc from 'fast-check';
import type { Codec, Frame } from '../../src/codec/index.js';
import {
  answerCaseArb,
  dictAnswerCaseArb,
  headerSizeArb,
  itemsCaseArb,
  lengthPrefixed,
  streamCaseArb,
  type StreamCase,
  tableCaseArb,
  varsCaseArb,
} from './edges.js';
import * as model from './model.js';
import { agreeing, type Engines, expectModel } from './outcome.js';

/** The frames a decoder gives for the case's wire, cut at its cuts or whole, as model.stream() shows them. */
function decodeStream(c: Codec, s: StreamCase, chunked: boolean): string {
  const d = c.createDecoder({ response: s.response, items: s.items, maxFrame: s.maxFrame });
  const frames: Frame[] = [];
  let prev = 0;
  for (const p of chunked ? [...s.cuts, s.wire.length] : [s.wire.length]) {
    for (const f of d.push(s.wire.subarray(prev, p))) frames.push(f);
    prev = p;
  }
  return model.framesText(
    frames.map((f) => ({ m1: f.modifier1, m2: f.modifier2, body: f.body, items: f.items })),
    s.items,
    d.buffered,
  );
}

export function edgeProperties(e: Engines) {
  const same = agreeing(e);
  return [
    {
      name: 'requests and arrays at the limits (0/1/254/255/256 items, name 255/256, body 65534/65535/65536): encoded and decoded as the rules say',
      weight: 3,
      prop: fc.property(itemsCaseArb, (c) => {
        const [name, ...args] = c.items;
        expectModel(
          'encodeRequest',
          same((k) => k.encodeRequest(name ?? '', args, c.m2)),
          () => model.encodeRequest(c),
        );
        expectModel(
          'encodeArray',
          same((k) => k.encodeArray(c.items)),
          () => model.encodeArray(c),
        );
        const raw = model.rawRequest(c);
        expectModel(
          'decodeRequest',
          same((k) => k.decodeRequest(raw)),
          () => model.decodeRequest(c),
        );
        expectModel(
          'decodeArray',
          same((k) => k.decodeArray(raw.subarray(4))),
          () => model.decodeArray(c),
        );
      }),
    },
    {
      name: 'vars at the limits (body 65534/65535/65536, an empty key): encoded and decoded as the rules say',
      weight: 1.5,
      prop: fc.property(varsCaseArb, (c) => {
        expectModel(
          'encodeVars',
          same((k) => k.encodeVars(c.pairs)),
          () => model.encodeVars(c),
        );
        const body = lengthPrefixed(c.bytes.flat());
        expectModel(
          'decodeVars',
          same((k) => k.decodeVars(body)),
          () => model.decodeVars(c),
        );
      }),
    },
    {
      name: 'answers at the plain/64-bit switch, CONTENT_LENGTH at its edges, headers of 65535/65536: encoded and decoded as the rules say',
      weight: 2,
      prop: fc.property(answerCaseArb, headerSizeArb, dictAnswerCaseArb, ({ result, m2 }, size, dict) => {
        const wire = same((k) => k.encodeResponse(result, m2));
        expectModel('encodeResponse', wire, () => model.encodeResponse(result, m2));
        if (m2 === 0 || m2 === 5) {
          const bytes = model.encodeResponse(result, m2);
          expectModel(
            'decodeResponse(encodeResponse)',
            same((k) => k.decodeResponse(bytes)),
            () => ({
              modifier1: 173,
              modifier2: bytes[3],
              result: typeof result === 'string' ? new TextEncoder().encode(result) : result,
            }),
          );
        }
        expectModel(
          'encodeResponseHeader',
          same((k) => k.encodeResponseHeader(size, m2)),
          () => model.encodeResponseHeader(size, m2),
        );
        expectModel(
          'encodeHeader',
          same((k) => k.encodeHeader(173, size, m2)),
          () => model.encodeHeader(173, size, m2),
        );
        expectModel(
          'decodeResponse (64-bit form)',
          same((k) => k.decodeResponse(dict.wire)),
          () => model.decodeDictAnswer(dict),
        );
      }),
    },
    {
      name: 'stream decoder: maxFrame under/at/over the largest frame, chunks cut after header bytes: the frames the rules say',
      weight: 3,
      prop: fc.property(streamCaseArb, (s) => {
        const whole = same((k) => decodeStream(k, s, false));
        expectModel('stream, whole', whole, () => model.stream(s));
        expectModel(
          'stream, cut',
          same((k) => decodeStream(k, s, true)),
          () => model.stream(s),
        );
      }),
    },
    {
      name: "stream decoder: a chunk of more frames than a scan's table holds gives every frame",
      weight: 0.02,
      prop: fc.property(tableCaseArb, (s) => {
        expectModel(
          'stream',
          same((k) => decodeStream(k, s, false)),
          () => model.stream(s),
        );
      }),
    },
  ];
}
