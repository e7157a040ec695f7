// Golden vectors captured from the real uWSGI 2.0.21 and nginx 1.22 (test/vectors/capture.mjs):
// both engines must decode them exactly and reproduce the bytes uWSGI writes.
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { type Codec, utf8 } from '../../src/codec/index.js';
import { ENGINES, codecFor } from '../helpers/engines.js';

const dir = join(__dirname, '..', 'vectors');
/** One entry of vectors.json; which fields are there depends on its kind. */
interface Vector {
  kind: string;
  file: string;
  size: number;
  sha256: string;
  producer: string;
  modifier1: number;
  modifier2: number;
  datasize: number;
  name_hex: string;
  args_hex: string[];
  result_hex: string;
  result_length: number;
  result_sha256: string;
  body_offset: number;
  vars: [string, string][];
}
const manifest: { vectors: Vector[] } = JSON.parse(readFileSync(join(dir, 'vectors.json'), 'utf8'));
const load = (file: string) => new Uint8Array(readFileSync(join(dir, file)));
const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const fromHex = (h: string) => new Uint8Array(Buffer.from(h, 'hex'));
const byKind = (kind: string) => manifest.vectors.filter((v) => v.kind === kind);

describe.each(ENGINES)('golden vectors from uWSGI and nginx, %s engine', (engine) => {
  let c: Codec;
  beforeAll(async () => {
    c = await codecFor(engine);
  });

  it('has the files the manifest describes', () => {
    for (const v of manifest.vectors) {
      const b = load(v.file);
      expect(b.length, v.file).toBe(v.size);
      expect(createHash('sha256').update(b).digest('hex'), v.file).toBe(v.sha256);
    }
  });

  it.each(byKind('request').map((v) => [v.file, v] as const))('decodes request %s', (_f, v) => {
    const d = c.decodeRequest(load(v.file));
    expect([d.modifier1, d.modifier2]).toEqual([v.modifier1, v.modifier2]);
    expect(hex(d.name)).toBe(v.name_hex);
    // Zero-length items are skipped on decode, as uWSGI's parser does.
    expect(d.args.map(hex)).toEqual(v.args_hex.filter((a) => a !== ''));
  });

  it.each(
    byKind('request')
      .filter((v) => v.producer === 'uwsgi')
      .map((v) => [v.file, v] as const),
  )('re-encodes %s byte for byte', (_f, v) => {
    expect(hex(c.encodeRequest(fromHex(v.name_hex), v.args_hex.map(fromHex), v.modifier2))).toBe(hex(load(v.file)));
  });

  it.each(byKind('response').map((v) => [v.file, v] as const))('decodes and reproduces response %s', (_f, v) => {
    const wire = load(v.file);
    const d = c.decodeResponse(wire);
    expect([d.modifier1, d.modifier2]).toEqual([v.modifier1, v.modifier2]);
    expect(hex(d.result)).toBe(v.result_hex);
    expect(hex(c.encodeResponse(fromHex(v.result_hex)))).toBe(hex(wire));
  });

  it.each(byKind('response64').map((v) => [v.file, v] as const))(
    'decodes and reproduces the 64-bit form %s',
    (_f, v) => {
      const wire = load(v.file);
      const d = c.decodeResponse(wire);
      expect(d.modifier2).toBe(5);
      expect(d.result.length).toBe(v.result_length);
      expect(createHash('sha256').update(d.result).digest('hex')).toBe(v.result_sha256);
      expect(c.decodeVars(wire.subarray(4, v.body_offset)).map(([k, x]) => [utf8(k), utf8(x)])).toEqual(v.vars);
      expect(Buffer.compare(c.encodeResponse(d.result), wire)).toBe(0);
      // Any chunking of the stream gives the same one frame.
      const dec = c.createDecoder({ response: true });
      const frames = [];
      for (let i = 0; i < wire.length; i += 997) frames.push(...dec.push(wire.subarray(i, i + 997)));
      expect(frames.length).toBe(1);
      expect(Buffer.compare(frames[0].body, d.result)).toBe(0);
    },
  );

  it.each(byKind('vars').map((v) => [v.file, v] as const))('decodes the nginx vars packet %s', (_f, v) => {
    const wire = load(v.file);
    const h = c.decodeHeader(wire);
    expect(h).toEqual({ modifier1: v.modifier1, datasize: v.datasize, modifier2: v.modifier2 });
    const pairs = c.decodeVars(wire.subarray(4)).map(([k, x]) => [utf8(k), utf8(x)]);
    expect(pairs).toEqual(v.vars);
    const re = c.encodeVars(pairs as [string, string][]);
    expect(hex(c.encodeHeader(h.modifier1, re.length, h.modifier2)) + hex(re)).toBe(hex(wire));
  });

  it('reproduces the raw (modifier2 1) answer', () => {
    for (const v of byKind('raw')) expect(hex(c.encodeResponse(fromHex(v.result_hex), 1))).toBe(hex(load(v.file)));
  });
});
