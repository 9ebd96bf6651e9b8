/**
 * GET /visit/visitor on one visitor code with a long history, against the same read of a visitor
 * with one visit on the same server (the same-run baseline): the read must cost what it returns,
 * not the visitor's history.
 *
 *   npm run bench:visitor                                   # 220,000 events on one code, SQLite
 *   npm run bench:visitor -- --engine=postgres              # on a throwaway PostgreSQL
 *   npm run bench:visitor -- --events=50000 --reads=100
 *
 * The long history is `--events` events in visits of `--visit-events` (20) each, 35 minutes apart
 * (a visit ends after 30 minutes of silence), over months: the site's late-event horizon and the
 * per-identity cap are raised for the run.
 * Prints p50 / p99 / max of each read, the ratio to the baseline and the load average.
 */
import http from 'node:http';
import os from 'node:os';
import { parseArgs, positive } from './bench-args.ts';
import { httpRequest, type Target } from './http-request.ts';
import { LatencyLog } from './latency.ts';
import { startServerProcess } from './server-process.ts';
import { createTestDatabaseOn } from '../test/fuzz/fuzz-postgres.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';

const args = parseArgs(process.argv.slice(2));
const engine = args.engine ?? 'sqlite';
if (engine !== 'sqlite' && engine !== 'postgres') throw new Error('--engine is sqlite or postgres');
const events = positive(args.events, 220_000, '--events');
const visitEvents = positive(args['visit-events'], 20, '--visit-events');
const reads = positive(args.reads, 200, '--reads');
const perRequest = 2_000;

const GAP = 35 * 60_000; // more than a visit's 30 minutes of silence
const ADMIN_KEY = 'visitor-bench-admin-key-0123456789';
const SITE = 'visitorbench';
const nonce = (i: number) => i.toString(16).padStart(16, '0');

const temp = makeTempDir('anole-visitor-bench-');
const database = engine === 'postgres' ? await createTestDatabaseOn(process.env.ANOLE_TEST_DATABASE_URL) : null;
const server = await startServerProcess(temp.dir, {
  ANOLE_MAX_EVENTS_PER_IDENTITY: String(events + 1_000),
  ANOLE_RATE_LIMITS: 'off',
  ANOLE_WORKER: 'false',
  ANOLE_ADMIN_KEY: ADMIN_KEY,
  ...(database ? { DATABASE_URL: database.url } : {}),
});
const target: Target = { host: '127.0.0.1', port: server.port };
const agent = new http.Agent({ keepAlive: true, maxSockets: 4 });

async function post(lines: string[]): Promise<void> {
  const res = await httpRequest(agent, target, 'POST', `/visit/events?siteCode=${SITE}`, lines.join('\n'));
  if (res.status !== 204) throw new Error(`POST /visit/events answered ${res.status}: ${res.text.slice(0, 300)}`);
}

/** `count` page events of `code`, in visits of `visitEvents` 35 minutes apart, the newest 35 minutes ago. */
async function fill(code: string, count: number, offset: number): Promise<void> {
  const visits = Math.ceil(count / visitEvents);
  const start = Date.now() - (visits + 1) * GAP;
  const line = (i: number) => {
    const time = start + Math.floor(i / visitEvents) * GAP + (i % visitEvents) * 100;
    return `eventType=page&href=https%3A%2F%2Fshop.example%2Fp%2F${i % 50}&title=P&nonce=${nonce(offset + i)}&visitorCode=${code}&time=${time}`;
  };
  const batches: Promise<void>[] = [];
  for (let from = 0; from < count; from += perRequest) {
    batches.push(post(Array.from({ length: Math.min(perRequest, count - from) }, (_, k) => line(from + k))));
    if (batches.length === 4) await Promise.all(batches.splice(0));
  }
  await Promise.all(batches);
}

/** `reads` reads of each code, alternated so that both see the same load. */
async function timeReads(codes: string[], query: string): Promise<{ log: LatencyLog; bytes: number }[]> {
  const out = codes.map(() => ({ log: new LatencyLog(), bytes: 0 }));
  for (let i = 0; i < reads; i++) {
    for (const [k, code] of codes.entries()) {
      const t0 = performance.now();
      const res = await httpRequest(agent, target, 'GET', `/visit/visitor?siteCode=${SITE}&visitorCode=${code}&${query}`, null);
      out[k]!.log.add(performance.now() - t0);
      if (res.status !== 200) throw new Error(`GET /visit/visitor answered ${res.status}: ${res.text.slice(0, 300)}`);
      out[k]!.bytes = res.text.length;
    }
  }
  return out;
}

try {
  // The long history spans months: the site is made with one event, then its horizon raised.
  await post([`eventType=page&href=x&nonce=${'f'.repeat(16)}&visitorCode=init`]);
  const patched = await fetch(`http://127.0.0.1:${server.port}/api/sites/${SITE}`, {
    method: 'PATCH',
    headers: { authorization: `Bearer ${ADMIN_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ lateEventHorizonMs: 366 * 24 * 3_600_000 }),
  });
  if (patched.status !== 200) throw new Error(`PATCH /api/sites answered ${patched.status}: ${await patched.text()}`);
  const t0 = performance.now();
  await fill('long', events, 0);
  const visits = Math.ceil(events / visitEvents);
  console.log(`${engine}: ${events.toLocaleString('en')} events on one visitor code (${visits} visits) stored in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
  const f = (ms: number) => ms.toFixed(1);
  let offset = events;
  for (const previous of [1, 25]) {
    // The baseline visitor holds exactly the visits the read answers (the newest visit is 35
    // minutes old, so there is no current visit): the same answer from a short history.
    const baseline = `short${previous}`;
    await fill(baseline, previous * visitEvents, offset);
    offset += previous * visitEvents;
    const query = `maxNumberPreviousVisits=${previous}&currentVisit=true&page=true`;
    const [base, long] = (await timeReads([baseline, 'long'], query)) as [{ log: LatencyLog; bytes: number }, { log: LatencyLog; bytes: number }];
    const [b, l] = [base.log.summary(), long.log.summary()];
    console.log(`GET /visit/visitor?${query} (${reads} reads each, alternated)`);
    console.log(`  ${String(previous).padStart(6)} visits (baseline): p50 ${f(b.p50)} ms, p99 ${f(b.p99)} ms, max ${f(b.max)} ms, ${base.bytes} B answered`);
    console.log(`  ${String(visits).padStart(6)} visits:            p50 ${f(l.p50)} ms, p99 ${f(l.p99)} ms, max ${f(l.max)} ms, ${long.bytes} B answered`);
    console.log(`  ratio to the baseline: p50 ${(l.p50 / b.p50).toFixed(2)}, p99 ${(l.p99 / b.p99).toFixed(2)}`);
  }
  console.log(`load average: ${os.loadavg().map((x) => x.toFixed(2)).join(' ')}`);
} finally {
  agent.destroy();
  await server.stop();
  await database?.drop();
  temp.remove();
}
