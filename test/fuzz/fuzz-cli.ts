import { createTestDatabaseOn } from './fuzz-postgres.ts';
import { runFuzz, summary, type FuzzOptions } from './fuzz-run.ts';

/**
 * npm run fuzz [-- --cases N --seed S --engine sqlite|postgres --concurrency C --rate-limits on|off]
 * Runs the hostile cases (1,000,000 by default) and exits 1 on any failure. PostgreSQL runs on a
 * throwaway server started for the run (the PostgreSQL binaries the tests use), or on
 * ANOLE_TEST_DATABASE_URL when set.
 */
function flag(name: string, fallback: string): string {
  const at = process.argv.indexOf(`--${name}`);
  return at === -1 ? fallback : process.argv[at + 1] ?? fallback;
}

const engine = flag('engine', 'sqlite');
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engine is sqlite or postgres');
const options: FuzzOptions = {
  cases: Number(flag('cases', '1000000')),
  seed: Number(flag('seed', String(Date.now() % 1_000_000))),
  rawShare: Number(flag('raw-share', '0.02')),
  concurrency: Number(flag('concurrency', '16')),
  loopBoundMs: Number(flag('loop-bound-ms', '100')),
  loopBoundPerMbMs: Number(flag('loop-bound-per-mb-ms', '150')),
  heapGrowthMb: Number(flag('heap-growth-mb', '64')),
  rssLimitMb: Number(flag('rss-limit-mb', '1536')),
  rateLimits: flag('rate-limits', 'off') === 'on',
};
const database = engine === 'postgres' ? await createTestDatabaseOn(process.env.ANOLE_TEST_DATABASE_URL) : null;
if (database) options.databaseUrl = database.url;
let last = 0;
let printed = 0;
const report = await runFuzz({
  ...options,
  onProgress(done, r) {
    // Each failure as soon as it is seen: a run stopped before its end keeps what it found.
    for (const f of r.failures.slice(printed)) console.log(`failure #${f.index} ${f.target}: ${f.problem}\n    ${f.request}`);
    printed = r.failures.length;
    if (r.seconds - last < 10 && done < options.cases) return;
    last = r.seconds;
    console.log(`${done} cases, ${(done / r.seconds).toFixed(0)} cases/s, ${r.failures.length} failures, RSS peak ${r.memory.rssPeakMb} MB, longest loop delay ${r.loopDelayMaxMs.toFixed(0)} ms`);
  },
}).finally(() => database?.drop());
console.log(`\n${summary(report, options)}`);
console.log(`load average: ${(await import('node:os')).loadavg().map((l) => l.toFixed(2)).join(' ')}`);
process.exit(report.failures.length === 0 ? 0 : 1);
