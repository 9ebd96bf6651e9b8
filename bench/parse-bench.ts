/**
 * `npm run bench:parse`: the CPU cost per event of ingestion before and after the storage
 * transaction, on one core, without HTTP. Runs realistic 100-event bodies (bench/event-source.ts),
 * in the line format and as JSON arrays, through `ingestEvents` (parse, decode, verdicts, counts)
 * with a committer that only turns the events into the columns the SQLite writer thread receives
 * (`toEventColumns`, what the HTTP thread does before the transaction) and accepts them,
 * then `recordIngest` of the metrics, as POST /visit/events does for a 204 (no per-event verdicts;
 * one case with verdicts=true, as a 200 answers). The same-run baseline is the least any parser must do with
 * the same bodies: `body.split('\n')` and a `URLSearchParams` per line (line format), `JSON.parse`
 * (JSON format).
 *
 *   npm run bench:parse                       # 200 bodies × 100 events, 5 rounds of 2 s per case
 *   flags: --bodies=N --seconds=S --rounds=N
 */
import { DEFAULT_SITE_SETTINGS } from '../src/core/site-settings.ts';
import { createMetrics } from '../src/http/metrics.ts';
import type { GroupCommitter } from '../src/ingest/group-commit.ts';
import { ingestEvents, type IngestDeps, type IngestRequest } from '../src/ingest/ingest-events.ts';
import type { SiteDirectory } from '../src/sites/site-directory.ts';
import { toEventColumns } from '../src/storage/event-columns.ts';
import type { Storage } from '../src/storage/port.ts';
import { eventBody } from './event-source.ts';

function flag(name: string, fallback: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

const BODIES = Math.floor(flag('bodies', 200));
const SECONDS = flag('seconds', 2);
const ROUNDS = Math.floor(flag('rounds', 5));
const EVENTS_PER_BODY = 100;

const lineBodies: string[] = [];
const jsonBodies: string[] = [];
for (let b = 0; b < BODIES; b++) {
  const body = eventBody(b * EVENTS_PER_BODY + 50_000, EVENTS_PER_BODY);
  lineBodies.push(body);
  // The same events as the JSON format carries them: strings as sent, numbers and structures typed.
  jsonBodies.push(
    JSON.stringify(
      body.split('\n').map((line) => {
        const item: Record<string, unknown> = {};
        for (const [name, value] of new URLSearchParams(line)) {
          item[name] = /^\d+(\.\d+)?$/.test(value) && name !== 'nonce' ? Number(value) : /^[[{]/.test(value) ? JSON.parse(value) : value;
        }
        return item;
      }),
    ),
  );
}

const site = { id: 1, code: 'bench', settings: DEFAULT_SITE_SETTINGS };
const sites: SiteDirectory = {
  autoCreate: true,
  resolve: () => Promise.resolve(site),
  lookup: () => Promise.resolve(site),
  forget: () => {},
  cachedSites: 1,
};
let rowBytes = 0;
const committer: GroupCommitter = {
  submit(events) {
    // What the SQLite adapter does on the HTTP thread before the writer's transaction: the columns.
    rowBytes += toEventColumns(events).data.length;
    return Promise.resolve(events.map(() => 'accepted' as const));
  },
  drain: () => Promise.resolve(),
};
// The registry already holds every id (a verdict's registry check finds nothing missing), as on a configured site.
const storage = { stats: () => Promise.resolve({ events: 0, bytes: 0 }), missingRegistryEntries: () => Promise.resolve([]) } as unknown as Storage;
const deps: IngestDeps = { storage, sites, committer };
const metrics = createMetrics(storage);

function request(body: string, format: 'lines' | 'json', verdicts: boolean): IngestRequest {
  return { siteCode: 'bench', format, body, queryIdentity: null, itp: false, sdk: { name: 'BENCH', version: '1' }, dryRun: false, receivedAt: Date.now(), verdicts };
}

async function ingestBody(body: string, format: 'lines' | 'json', verdicts = false): Promise<number> {
  const report = await ingestEvents(deps, request(body, format, verdicts));
  metrics.recordIngest(report);
  if (report.accepted !== EVENTS_PER_BODY) throw new Error(`expected ${EVENTS_PER_BODY} accepted, got ${JSON.stringify(report).slice(0, 400)}`);
  return report.accepted;
}

let sink = 0;
function baselineLines(body: string): number {
  const lines = body.split('\n');
  for (const line of lines) sink += new URLSearchParams(line).size;
  return lines.length;
}
function baselineJson(body: string): number {
  return (JSON.parse(body) as unknown[]).length;
}

interface Case {
  name: string;
  run: (i: number) => number | Promise<number>;
}

const cases: Case[] = [
  { name: 'baseline lines (split + URLSearchParams)', run: (i) => baselineLines(lineBodies[i % BODIES]!) },
  { name: 'ingest lines (204: parse+decode+row)', run: (i) => ingestBody(lineBodies[i % BODIES]!, 'lines') },
  { name: 'ingest lines, verdicts=true', run: (i) => ingestBody(lineBodies[i % BODIES]!, 'lines', true) },
  { name: 'baseline json (JSON.parse)', run: (i) => baselineJson(jsonBodies[i % BODIES]!) },
  { name: 'ingest json (204: parse+decode+row)', run: (i) => ingestBody(jsonBodies[i % BODIES]!, 'json') },
];

async function measure(c: Case): Promise<number> {
  const deadline = performance.now() + SECONDS * 1000;
  const started = performance.now();
  let events = 0;
  let i = 0;
  while (performance.now() < deadline) {
    // 20 bodies between clock reads; the await is there so the ingest cases run as they do in the server.
    for (let k = 0; k < 20; k++) events += await c.run(i++);
  }
  return ((performance.now() - started) * 1000) / events;
}

const best = new Map<string, number>();
for (const c of cases) for (let i = 0; i < 30; i++) await c.run(i); // warm-up
for (let round = 0; round < ROUNDS; round++) {
  for (const c of cases) {
    const us = await measure(c);
    best.set(c.name, Math.min(best.get(c.name) ?? Infinity, us));
  }
}

console.log(`parse bench: ${BODIES} bodies × ${EVENTS_PER_BODY} events, best of ${ROUNDS} rounds of ${SECONDS} s per case, node ${process.version}`);
console.log(`${'case'.padEnd(44)} ${'µs/event'.padStart(9)} ${'events/s'.padStart(11)} ${'× baseline'.padStart(11)}`);
const result: Record<string, { usPerEvent: number; eventsPerSecond: number }> = {};
for (const c of cases) {
  const us = best.get(c.name)!;
  const base = best.get(c.name.includes('json') ? cases[3]!.name : cases[0]!.name)!;
  result[c.name] = { usPerEvent: us, eventsPerSecond: 1e6 / us };
  console.log(`${c.name.padEnd(44)} ${us.toFixed(2).padStart(9)} ${Math.round(1e6 / us).toLocaleString('en-US').padStart(11)} ${(us / base).toFixed(2).padStart(11)}`);
}
console.log(JSON.stringify({ bench: 'anole-parse', bodies: BODIES, rounds: ROUNDS, seconds: SECONDS, result, sink: sink + rowBytes > 0 }));
