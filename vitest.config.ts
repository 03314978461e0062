import { defineConfig } from 'vitest/config';
import { SharedStackFirst } from './src/testing/sequencer.ts';

const env = { TESTCONTAINERS_RYUK_DISABLED: 'true' };

/** What integration suites share (the nightly ones too). */
const integration = {
  env,
  globalSetup: ['src/testing/global-setup.ts'],
  // Suites measure timings: one file at a time on a 2-core machine keeps the figures honest.
  pool: 'forks' as const,
  poolOptions: { forks: { singleFork: true } },
  testTimeout: 300_000,
  hookTimeout: 300_000,
};

/**
 * The nightly suites (test/nightly/): the long experiment sets that do not fit `npm test`'s 30-minute
 * budget, run by `npm run test:nightly` and the nightly workflow. `npm test` runs a representative subset
 * of each (the same scenarios and stack) under test/integration/.
 */
const nightly = process.env.REFSTACK_NIGHTLY === '1';

export default defineConfig({
  test: {
    reporters: ['default'],
    teardownTimeout: 120_000,
    sequence: { sequencer: SharedStackFirst },
    projects: [
      {
        test: {
          name: 'unit',
          // Unit suites first, then integration: timing suites must not measure each other.
          sequence: { groupOrder: 0 },
          include: ['test/unit/**/*.test.ts', 'sample-app/test/unit/**/*.test.ts', 'src/**/test/unit/**/*.test.ts', 'monitoring/**/test/unit/**/*.test.ts'],
          env,
        },
      },
      {
        test: {
          name: 'integration',
          sequence: { groupOrder: 1 },
          include: ['test/integration/**/*.test.ts', 'sample-app/test/integration/**/*.test.ts'],
          ...integration,
        },
      },
      ...(nightly ? [{ test: { name: 'nightly', sequence: { groupOrder: 2 }, include: ['test/nightly/**/*.test.ts'], ...integration } }] : []),
    ],
  },
});
