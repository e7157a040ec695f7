#!/usr/bin/env node
// npm run fuzz -- --minutes N [--seed S]: the equivalence properties for N minutes each.
import { spawnSync } from 'node:child_process';

const arg = (name, dflt) => {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 ? process.argv[i + 1] : dflt;
};
/** @type {NodeJS.ProcessEnv} */
const env = { ...process.env, FUZZ_MINUTES: arg('minutes', '1') };
const seed = arg('seed');
if (seed) env.FUZZ_SEED = seed;
const r = spawnSync('npx', ['vitest', 'run', 'test/fuzz/equivalence.test.ts'], { stdio: 'inherit', env });
process.exit(r.status ?? 1);
