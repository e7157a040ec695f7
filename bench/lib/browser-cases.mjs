// The codec cases measured by bench/browser.bench.mjs, in any runtime (no node:*): the same
// bundle runs them in Chromium and in Node, so the columns compare like with like.

/**
 * @param m the codec entry point (uwsgi-rpc/codec), as the page or Node imported it
 * @param Bench tinybench's Bench, as the page or Node imported it
 * @param {{ time?: number, warmupTime?: number, log?: (line: string) => void }} [options]
 */
export async function runCases(m, Bench, { time = 400, warmupTime = 100, log = () => {} } = {}) {
  const ts = await m.createCodec({ engine: 'ts' });
  const wasm = await m.createCodec({ engine: 'wasm' });
  const auto = await m.createCodec({ engine: 'auto' });
  const engines = { ts, wasm, auto };
  let sink = 0;
  const req = (bytes) => {
    const n = Math.max(1, Math.floor((bytes - 4 - 6 - 2) / 2) - 2);
    return ts.encodeRequest('echo', ['a'.repeat(n), 'b'.repeat(bytes - 4 - 6 - 4 - n)]);
  };
  const one = req(60);
  const pipelined = new Uint8Array(one.length * 64);
  for (let i = 0; i < 64; i++) pipelined.set(one, i * one.length);
  const args60 = ['a'.repeat(24), 'b'.repeat(22)];
  const small = 'Hello World';
  const answer4k = ts.encodeResponse(new Uint8Array(4096).fill(97)).slice();
  const answer70k = ts.encodeResponse(new Uint8Array(70_000).fill(97)).slice();

  const cases = [];
  for (const [label, bytes] of [
    ['60 B', 60],
    ['4 KB', 4096],
    ['60 KB', 60 * 1024],
  ]) {
    const p = req(bytes).slice();
    cases.push([
      `decode request ${label}`,
      p.length,
      (c) => () => {
        const r = c.decodeRequest(p);
        sink ^= r.args.length;
      },
    ]);
  }
  cases.push([
    'decoder.push, items: 64 pipelined requests in one chunk',
    pipelined.length,
    (c) => {
      const d = c.createDecoder({ items: true });
      return () => {
        sink ^= d.push(pipelined).length;
      };
    },
  ]);
  cases.push([
    'decode response 4 KB',
    answer4k.length,
    (c) => () => {
      sink ^= c.decodeResponse(answer4k).result.length;
    },
  ]);
  cases.push([
    'decode response 70 KB (64-bit form)',
    answer70k.length,
    (c) => () => {
      sink ^= c.decodeResponse(answer70k).result.length;
    },
  ]);
  cases.push([
    'encode request ~60 B',
    one.length,
    (c) => () => {
      sink ^= c.encodeRequest('echo', args60).length;
    },
  ]);
  cases.push([
    'encode response "Hello World"',
    15,
    (c) => () => {
      sink ^= c.encodeResponse(small).length;
    },
  ]);

  const rows = [];
  for (const [op, bytes, make] of cases) {
    const bench = new Bench({ time, warmupTime });
    for (const [name, c] of Object.entries(engines)) bench.add(name, make(c));
    await bench.run();
    const row = { op, bytes };
    for (const t of bench.tasks) {
      if (t.result.state !== 'completed') throw new Error(`${op} ${t.name}: ${t.result.state} ${t.result.error ?? ''}`);
      row[t.name] = t.result.throughput.mean;
    }
    log(`  ${op}: ts ${Math.round(row.ts)}/s, wasm ${Math.round(row.wasm)}/s, auto ${Math.round(row.auto)}/s`);
    rows.push(row);
  }
  return { rows, sink };
}
