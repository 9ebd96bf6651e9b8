import { describe, expect, it } from 'vitest';
import { createTestDatabase, testPostgres } from './helpers/postgres-database.ts';
import { runFuzz, summary, type FuzzOptions } from './fuzz/fuzz-run.ts';

/**
 * A fixed-seed slice of `npm run fuzz` (which runs a million cases): every route of the OpenAPI
 * document, both body formats, encodings, headers, query strings and malformed HTTP on a socket.
 * No 5xx, every 4xx in the contract, no request over its event-loop bound, memory held.
 */
const SLICE: FuzzOptions = {
  cases: 20_000,
  seed: 20_261_201,
  rawShare: 0.02,
  concurrency: 32,
  loopBoundMs: 100,
  loopBoundPerMbMs: 150,
  heapGrowthMb: 64,
  rssLimitMb: 1536,
};

describe('fuzz slice', () => {
  it(`${SLICE.cases} hostile cases on SQLite`, async () => {
    const report = await runFuzz(SLICE);
    expect(report.failures, summary(report, SLICE)).toEqual([]);
    expect(report.cases).toBe(SLICE.cases);
  }, 600_000);

  const postgres = testPostgres();
  it.skipIf(postgres.skip)('2,000 hostile cases on PostgreSQL, rate limits on', async () => {
    const database = await createTestDatabase(postgres.adminUrl!);
    const options = { ...SLICE, cases: 2_000, databaseUrl: database.url, rateLimits: true };
    try {
      const report = await runFuzz(options);
      expect(report.failures, summary(report, options)).toEqual([]);
    } finally {
      await database.drop();
    }
  }, 600_000);
});
