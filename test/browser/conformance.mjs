// The same checks in every runtime (Chromium, Deno, Bun, workerd): plain ESM, no node:*,
// no file reads. The caller passes the codec module (the browser bundle) and the golden
// vectors with their bytes as hex, and gets back a summary it can assert on at home.

const hex = (b) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const fromHex = (h) => {
  const out = new Uint8Array(h.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(h.slice(i * 2, i * 2 + 2), 16);
  return out;
};

/** mulberry32: a tiny seeded PRNG, so a failing case replays from its seed anywhere. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** What an operation gave, in a form two engines can be compared on: bytes as hex, or the error code. */
function outcome(fn) {
  try {
    return { ok: norm(fn()) };
  } catch (e) {
    if (e && typeof e.code === 'string' && e.name === 'CodecError') return { error: e.code };
    return { thrown: String(e) };
  }
}
function norm(v) {
  if (v instanceof Uint8Array) return hex(v);
  if (Array.isArray(v)) return v.map(norm);
  if (v && typeof v === 'object') {
    const o = {};
    for (const k of Object.keys(v).sort()) o[k] = norm(v[k]);
    return o;
  }
  return v;
}

function checkVectors(m, codecs, vectors, fail) {
  let n = 0;
  for (const c of codecs) {
    for (const v of vectors) {
      const wire = fromHex(v.bytes_hex);
      const where = `${c.engine} ${v.file}`;
      n++;
      if (v.kind === 'request') {
        const d = c.decodeRequest(wire);
        if (d.modifier1 !== v.modifier1 || d.modifier2 !== v.modifier2)
          fail(`${where}: modifiers ${d.modifier1}/${d.modifier2}`);
        if (hex(d.name) !== v.name_hex) fail(`${where}: name ${hex(d.name)}`);
        const want = v.args_hex.filter((a) => a !== '');
        if (JSON.stringify(d.args.map(hex)) !== JSON.stringify(want)) fail(`${where}: args ${d.args.map(hex)}`);
        if (v.producer === 'uwsgi') {
          const again = c.encodeRequest(fromHex(v.name_hex), v.args_hex.map(fromHex), v.modifier2);
          if (hex(again) !== v.bytes_hex) fail(`${where}: re-encoded ${hex(again)}`);
        }
      } else if (v.kind === 'response' || v.kind === 'response64') {
        const d = c.decodeResponse(wire);
        if (d.modifier2 !== v.modifier2 && v.kind === 'response') fail(`${where}: modifier2 ${d.modifier2}`);
        if (v.kind === 'response' && hex(d.result) !== v.result_hex) fail(`${where}: result`);
        if (v.kind === 'response64' && d.result.length !== v.result_length)
          fail(`${where}: result length ${d.result.length}`);
        if (hex(c.encodeResponse(d.result)) !== v.bytes_hex) fail(`${where}: re-encoded answer differs`);
        // Any chunking gives the same one frame.
        const dec = c.createDecoder({ response: true });
        const frames = [];
        for (let i = 0; i < wire.length; i += 7) frames.push(...dec.push(wire.subarray(i, i + 7)));
        if (frames.length !== 1 || hex(frames[0].body) !== hex(d.result)) fail(`${where}: chunked decode`);
      } else if (v.kind === 'vars') {
        const pairs = c.decodeVars(wire.subarray(4));
        if (!pairs.length) fail(`${where}: no vars`);
        if (v.vars && JSON.stringify(pairs.map(([k, x]) => [m.utf8(k), m.utf8(x)])) !== JSON.stringify(v.vars))
          fail(`${where}: vars differ`);
      } else {
        n--;
      }
    }
  }
  return n;
}

function bytes(r, max) {
  const n = Math.floor(r() * (max + 1));
  const b = new Uint8Array(n);
  // Mostly ASCII, sometimes any byte (NUL, 0xFF, broken UTF-8).
  const ascii = r() < 0.5;
  for (let i = 0; i < n; i++) b[i] = ascii ? 32 + Math.floor(r() * 95) : Math.floor(r() * 256);
  return b;
}

function corrupt(r, b) {
  const c = b.slice();
  const how = Math.floor(r() * 4);
  if (how === 0) return c.subarray(0, Math.floor(r() * c.length));
  if (how === 1 && c.length) c[Math.floor(r() * c.length)] = Math.floor(r() * 256);
  if (how === 2 && c.length > 2) c[1 + Math.floor(r() * 2)] ^= 1 << Math.floor(r() * 8);
  if (how === 3) {
    const x = new Uint8Array(c.length + 1 + Math.floor(r() * 8));
    x.set(c);
    return x;
  }
  return c;
}

/** Both engines on the same seeded random input must give the same bytes, items or error code. */
function checkEquivalence(ts, wasm, seed, cases, fail) {
  const r = rng(seed);
  const same = (what, f) => {
    const a = JSON.stringify(outcome(() => f(ts)));
    const b = JSON.stringify(outcome(() => f(wasm)));
    if (a !== b) fail(`seed ${seed} ${what}: ts ${a.slice(0, 200)} != wasm ${b.slice(0, 200)}`);
  };
  for (let i = 0; i < cases; i++) {
    const name = r() < 0.02 ? new Uint8Array(0) : bytes(r, 40);
    const args = Array.from({ length: Math.floor(r() * (r() < 0.05 ? 300 : 8)) }, () =>
      bytes(r, r() < 0.05 ? 600 : 30),
    );
    const m2 = r() < 0.9 ? 0 : Math.floor(r() * 256);
    same(`case ${i} encodeRequest`, (c) => c.encodeRequest(name, args, m2));
    let packet;
    try {
      packet = ts.encodeRequest(name, args, m2);
    } catch {
      packet = bytes(r, 64);
    }
    same(`case ${i} decodeRequest`, (c) => c.decodeRequest(packet));
    const bad = corrupt(r, packet);
    same(`case ${i} decodeRequest(corrupt)`, (c) => c.decodeRequest(bad));
    same(`case ${i} decodeArray(corrupt)`, (c) => c.decodeArray(bad.subarray(4)));
    const result = bytes(r, r() < 0.01 ? 70_000 : 100);
    same(`case ${i} encodeResponse`, (c) => c.encodeResponse(result));
    const answer = ts.encodeResponse(result);
    const badAnswer = corrupt(r, answer);
    same(`case ${i} decodeResponse(corrupt)`, (c) => c.decodeResponse(badAnswer));
    const pairs = Array.from({ length: Math.floor(r() * 5) }, () => [bytes(r, 10), bytes(r, 10)]);
    same(`case ${i} encodeVars`, (c) => c.encodeVars(pairs));
    // A stream of pipelined packets in random chunks: the same frames from both.
    if (i % 8 === 0) {
      const stream = [];
      for (let k = 0; k < 1 + Math.floor(r() * 20); k++)
        stream.push(...ts.encodeRequest(bytes(r, 8).length ? 'f' : 'g', [bytes(r, 50)]));
      const s = new Uint8Array(stream);
      const cuts = [];
      for (let at = 0; at < s.length; ) {
        const n = 1 + Math.floor(r() * 200);
        cuts.push([at, at + n]);
        at += n;
      }
      same(`case ${i} decoder stream`, (c) => {
        const d = c.createDecoder({});
        const frames = [];
        for (const [a, b] of cuts)
          for (const f of d.push(s.subarray(a, b)))
            frames.push({ modifier1: f.modifier1, modifier2: f.modifier2, body: f.body });
        return frames;
      });
    }
  }
  return cases;
}

/**
 * Runs the golden vectors over both engines and `cases` seeded random cases of both engines
 * side by side. Returns { runtime, engines, vectors, cases, failures } (failures capped at 20).
 */
export async function runConformance(
  m,
  vectors,
  { seed = 1, cases = 2000, runtime = 'unknown', codecOptions = {} } = {},
) {
  const failures = [];
  const fail = (msg) => {
    if (failures.length < 20) failures.push(msg);
  };
  const ts = await m.createCodec({ ...codecOptions, engine: 'ts' });
  const wasm = await m.createCodec({ ...codecOptions, engine: 'wasm' });
  let vectorsChecked = 0;
  let casesRun = 0;
  try {
    vectorsChecked = checkVectors(m, [ts, wasm], vectors, fail);
    casesRun = checkEquivalence(ts, wasm, seed, cases, fail);
  } catch (e) {
    fail(`threw: ${e?.stack ? e.stack : e}`);
  }
  return { runtime, engines: [ts.engine, wasm.engine], vectors: vectorsChecked, cases: casesRun, seed, failures };
}
