import fc from 'fast-check';
import { beforeAll, describe, it } from 'vitest';
import { createCodec } from '../../src/codec/index.js';
import { type Engines, properties } from './properties.js';

// >= 100,000 generated cases per run, seeded and reproducible:
//   FUZZ_SEED=<seed> npm test   replays a run (the seed is printed, and fast-check prints the
//   failing case's seed and path on failure). `npm run fuzz -- --minutes N` runs for N minutes.
const TOTAL = Number(process.env.FUZZ_CASES ?? 100_000);
const MINUTES = Number(process.env.FUZZ_MINUTES ?? 0);
const seed = Number(process.env.FUZZ_SEED ?? Date.now() % 2 ** 31);

describe('the wasm and ts engines are equivalent (fast-check)', () => {
  // filled before the first case runs; the properties read it then
  const engines = {} as Engines;
  beforeAll(async () => {
    Object.assign(engines, {
      ts: await createCodec({ engine: 'ts' }),
      wasm: await createCodec({ engine: 'wasm' }),
      auto: await createCodec({ engine: 'auto' }),
    });
    console.log(
      `equivalence: seed ${seed}, ${MINUTES ? `${MINUTES} min per property` : `${TOTAL} cases`} (FUZZ_SEED=${seed} to replay)`,
    );
  });

  const list = properties(engines);
  const weights = list.reduce((n, p) => n + p.weight, 0);
  list.forEach(({ name, weight, prop }, i) => {
    it(
      name,
      () => {
        const numRuns = MINUTES ? Number.MAX_SAFE_INTEGER : Math.ceil((TOTAL * weight) / weights);
        fc.assert(prop, {
          seed: seed + i,
          numRuns,
          ...(MINUTES ? { interruptAfterTimeLimit: MINUTES * 60_000, markInterruptAsFailure: false } : {}),
        });
      },
      MINUTES ? MINUTES * 60_000 + 60_000 : 300_000,
    );
  });
});
