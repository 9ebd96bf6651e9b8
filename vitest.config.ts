import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['src/**/*.test.ts', 'test/**/*.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    // Integration tests start real servers and databases; two cores cannot run many at once.
    maxWorkers: 2,
    // One throwaway PostgreSQL for the run; PostgreSQL suites skip with a reason without one (fail in CI).
    globalSetup: ['test/helpers/postgres-global-setup.ts'],
  },
});
