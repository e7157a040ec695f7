import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    // Interop suites start real uWSGI and nginx processes: give them room, one file per fork.
    pool: 'forks',
    // Memory bounds measure what is held, not garbage not yet collected (test/helpers/rss.ts).
    execArgv: ['--expose-gc'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Under CI also write a JSON report: .ci/run reads its counts (one file per Node line it runs).
    reporters: process.env.CI ? ['default', 'json'] : ['default'],
    outputFile: { json: process.env.TEST_RESULTS ?? 'test-results.json' },
  },
});
