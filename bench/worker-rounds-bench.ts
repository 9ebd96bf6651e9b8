/**
 * The attribution worker's ordinary rounds alone, on both engines: persons recomputed per second,
 * and on PostgreSQL the statements a round sends (pg_stat_statements on a throwaway cluster), per
 * round and per person. No HTTP, no load: what a round costs, beside a same-run baseline (the same
 * persons attributed from events already in memory).
 *
 *   npm run bench:rounds                      # 20k persons, both engines
 *   npm run bench:rounds -- --quick           # 4k persons
 *   flags: --persons=N --batch=N --engine=sqlite|postgres|both
 *
 * Each person (a visitor code; 5% are also linked to a user id, which sends an offline
 * conversion) gets its events in two halves: the first makes every person new (rounds from
 * scratch), the second appends to each (rounds that may update incrementally). A third phase
 * adds one page view to each person's last visit: rounds whose persons' contributions stay as they
 * were, the most common round under SDK traffic.
 */
import path from 'node:path';
import pg from 'pg';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { startPostgresServer } from '../test/helpers/postgres-server.ts';
import { markedRound } from '../src/analysis/attribution-worker.ts';
import { attributionSettingsOf, recomputeFromEvents } from '../src/analysis/person-state.ts';
import type { VisitorEvent } from '../src/core/events.ts';
import { DEFAULT_QUOTAS, DEFAULT_SITE_SETTINGS } from '../src/core/site-settings.ts';
import type { Storage } from '../src/storage/port.ts';
import { openPostgresStorage } from '../src/storage/postgres/postgres-storage.ts';
import { attachSqliteStorage, openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';
import { parseArgs, positive } from './bench-args.ts';

const args = parseArgs(process.argv.slice(2));
const quick = 'quick' in args;
const PERSONS = positive(args.persons, quick ? 4_000 : 20_000, 'persons');
const BATCH = positive(args.batch, 500, 'batch');
const ENGINE = args.engine ?? 'both';
const T0 = Date.UTC(2026, 10, 2);
const MIN = 60_000;

let nonce = 0;
function event(kind: 'visitorCode' | 'mappingValue', value: string, time: number, body: { type: string; data: object }): VisitorEvent {
  return { identity: { kind, value }, nonce: (++nonce).toString(16).padStart(16, '0'), time, receivedAt: time, itp: false, sdk: null, ...body } as unknown as VisitorEvent;
}
const page = { type: 'page', data: { href: 'https://shop.example/', canonicalHref: null, title: '', keyPagesIndices: [], referrerHref: null, referrersIndices: [] } };
const buy = (goalId: number, revenue: number) => ({ type: 'conversion', data: { goalId, revenue, negative: false, metadata: {} } });

/** Person p's events, in two halves (the second a day later: a new visit). */
function personEvents(p: number): [VisitorEvent[], VisitorEvent[]] {
  const code = `c${p}`;
  const t = T0 + (p % 600) * MIN;
  const first = [
    event('visitorCode', code, t, page),
    event('visitorCode', code, t + 1_000, { type: 'experiment', data: { id: 42, variationId: 1 + (p % 3) } }),
    event('visitorCode', code, t + 2_000, page),
    event('visitorCode', code, t + 3_000, buy(1, 0)),
  ];
  const later = t + 1_440 * MIN;
  const second = [event('visitorCode', code, later, page), event('visitorCode', code, later + 1_000, buy(2, 20 + (p % 50)))];
  if (p % 20 === 0) {
    const user = `u${p}`;
    first.push(event('visitorCode', code, t + 4_000, { type: 'customData', data: { index: 1, valuesCountMap: { [user]: 1 }, overwrite: true, mappingIdentifier: true } }));
    second.push(event('mappingValue', user, later + 2_000, buy(2, 99)));
  }
  return [first, second];
}

/** A page view a minute after person p's second half: the same visit, no conversion. */
function pageView(p: number): VisitorEvent {
  return event('visitorCode', `c${p}`, T0 + (p % 600) * MIN + 1_441 * MIN, page);
}

interface Phase {
  persons: number;
  rounds: number;
  seconds: number;
  /** CPU of the whole process (every thread: the writer's too), steadier than wall time on a shared machine. */
  cpuSeconds: number;
}

async function drain(storage: Storage): Promise<Phase> {
  const started = performance.now();
  const cpu = process.cpuUsage();
  let persons = 0;
  let rounds = 0;
  for (;;) {
    const report = await markedRound(storage, { batch: BATCH, leaseMs: 60_000, now: () => T0 + 10 * 1_440 * MIN, quotas: DEFAULT_QUOTAS });
    if (report.marks === 0) break;
    persons += report.persons;
    rounds += 1;
  }
  const used = process.cpuUsage(cpu);
  return { persons, rounds, seconds: (performance.now() - started) / 1000, cpuSeconds: (used.user + used.system) / 1e6 };
}

async function append(storage: Storage, siteId: number, events: readonly VisitorEvent[]): Promise<void> {
  for (let i = 0; i < events.length; i += 5_000) await storage.appendEvents(events.slice(i, i + 5_000).map((e) => ({ siteId, event: e })));
}

/** The same persons attributed from events in memory: the floor a round's reads and writes sit on. */
function baseline(halves: [VisitorEvent[], VisitorEvent[]][], settings: Awaited<ReturnType<typeof attributionSettingsOf>>): number {
  let best = 0;
  // The best of three passes: the first one also pays for compiling the attribution code.
  for (let pass = 0; pass < 3; pass++) {
    const started = performance.now();
    for (const [a, b] of halves) {
      const code = a[0]!.identity.value;
      recomputeFromEvents(new Map([[code, [...a, ...b].sort((x, y) => x.time - y.time)]]), settings, [code]);
    }
    best = Math.max(best, halves.length / ((performance.now() - started) / 1000));
  }
  return best;
}

interface Statement {
  query: string;
  calls: number;
  ms: number;
}

async function run(name: string, storage: Storage, stats: { reset(): Promise<void>; top(): Promise<Statement[]> } | null): Promise<void> {
  const site = await storage.ensureSite('rounds', DEFAULT_SITE_SETTINGS);
  const halves = Array.from({ length: PERSONS }, (_, p) => personEvents(p));
  const report = async (label: string, events: VisitorEvent[]) => {
    await append(storage, site.id, events);
    await stats?.reset();
    const phase = await drain(storage);
    const rate = phase.persons / phase.seconds;
    const cpuPerPerson = (phase.cpuSeconds * 1e6) / phase.persons;
    console.log(`${name} ${label}: ${phase.persons} persons in ${phase.rounds} rounds, ${phase.seconds.toFixed(2)} s, ${rate.toFixed(0)} persons/s, ${cpuPerPerson.toFixed(0)} µs of CPU a person (this process, all threads)`);
    const result: Record<string, unknown> = { persons: phase.persons, rounds: phase.rounds, seconds: phase.seconds, personsPerSecond: rate, cpuMicrosPerPerson: cpuPerPerson };
    if (stats) {
      const top = await stats.top();
      const calls = top.reduce((sum, s) => sum + s.calls, 0);
      console.log(`  statements: ${calls} (${(calls / phase.rounds).toFixed(1)} a round, ${(calls / phase.persons).toFixed(2)} a person); top by time:`);
      for (const s of top.slice(0, 10)) console.log(`  ${String(s.calls).padStart(7)} calls ${s.ms.toFixed(0).padStart(7)} ms  ${s.query.replace(/\s+/g, ' ').slice(0, 110)}`);
      result.statements = calls;
      result.statementsPerPerson = calls / phase.persons;
    }
    return result;
  };
  const first = await report('new persons', halves.flatMap(([a]) => a));
  const second = await report('appended events', halves.flatMap(([, b]) => b));
  const third = await report('page views', halves.map((_, p) => pageView(p)));
  const base = baseline(halves, await attributionSettingsOf(storage, site));
  console.log(`${name} baseline (attribution from memory): ${base.toFixed(0)} persons/s; rounds ÷ baseline ${((first.personsPerSecond as number) / base).toFixed(3)}× and ${((second.personsPerSecond as number) / base).toFixed(3)}×`);
  console.log(JSON.stringify({ engine: name, persons: PERSONS, batch: BATCH, newPersons: first, appended: second, pageViews: third, baselinePersonsPerSecond: base }));
}

const temp = makeTempDir('anole-rounds-');
try {
  if (ENGINE === 'sqlite' || ENGINE === 'both') {
    // As the attribution thread sees the store: its own reading connection, writes through the writer thread.
    const owner = openSqliteStorage({ file: path.join(temp.dir, 'rounds.db'), cacheMb: 64 });
    const attached = attachSqliteStorage((await owner.share()).link);
    try {
      await run('sqlite', attached, null);
    } finally {
      await attached.close();
      await owner.close();
    }
  }
  if (ENGINE === 'postgres' || ENGINE === 'both') {
    const server = await startPostgresServer({ settings: { shared_preload_libraries: "'pg_stat_statements'", 'pg_stat_statements.track': 'all' } });
    const admin = new pg.Client({ connectionString: server.adminUrl });
    try {
      await admin.connect();
      await admin.query('CREATE EXTENSION pg_stat_statements');
      const storage = await openPostgresStorage({ url: server.adminUrl, poolSize: 10 });
      const stats = {
        reset: async () => void (await admin.query('SELECT pg_stat_statements_reset()')),
        async top(): Promise<Statement[]> {
          const { rows } = await admin.query<{ query: string; calls: string; ms: number }>(
            `SELECT query, calls, total_exec_time AS ms FROM pg_stat_statements
             WHERE query NOT LIKE '%pg_stat_statements%' AND dbid = (SELECT oid FROM pg_database WHERE datname = current_database())
             ORDER BY total_exec_time DESC`,
          );
          return rows.map((r) => ({ query: r.query, calls: Number(r.calls), ms: Number(r.ms) }));
        },
      };
      try {
        await run('postgres', storage, stats);
      } finally {
        await storage.close();
      }
    } finally {
      await admin.end();
      await server.stop();
    }
  }
} finally {
  temp.remove();
}
