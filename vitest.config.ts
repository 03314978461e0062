import { defineConfig } from 'vitest/config';

const env = { TESTCONTAINERS_RYUK_DISABLED: 'true' };

export default defineConfig({
  test: {
    reporters: ['default'],
    teardownTimeout: 120_000,
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
          env,
          globalSetup: ['src/testing/global-setup.ts'],
          // Suites measure timings: one file at a time on a 2-core machine keeps the figures honest.
          pool: 'forks',
          poolOptions: { forks: { singleFork: true } },
          testTimeout: 300_000,
          hookTimeout: 300_000,
        },
      },
    ],
  },
});
