/**
 * `npm run bench:results`: the results benchmark. Starts the real server as a child process, fills
 * it over HTTP with persons exposed to one experiment (3 variations, 3 goals, ~10 events a person,
 * backdated, refunded and cross-device ones among them), waits for the attribution worker to catch
 * up, then measures:
 * - the worker's throughput while it catches up (identities, i.e. persons, per second);
 * - warm latency of GET …/results at visitor and visit level (many sequential requests);
 * - freshness under ingest load: while a background load posts other events at a steady rate, one
 *   conversion at a time is posted and the results are polled until it shows; the delay runs from
 *   the 204 to the first answer that holds it;
 * - the baseline, in the same run: the same figures recomputed from the raw events (read-only
 *   SQLite, same pure attribution, same statistics), which must equal the served ones.
 *
 *   npm run bench:results                 # 1M persons, ~10M events
 *   npm run bench:results -- --quick      # 50k persons, ~500k events
 *   flags: --persons=N --connections=N --load-rate=EVENTS_PER_S[,EVENTS_PER_S…] --probes=N --latency-requests=N
 *          --fill-minutes=N --catch-up-minutes=N --max-minutes=N
 */
import { execSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { ExperimentRecord, GoalRecord } from '../src/core/registry.ts';
import type { SiteSettings } from '../src/core/site-settings.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { LatencyLog, type LatencySummary } from './latency.ts';
import { compareFigures, recomputeFromEvents, type BaselineResult, type ResultsAnswer } from './results-baseline.ts';
import { randomNonce } from './event-source.ts';
import { EXPERIMENT_ID, PROBE_GOAL, mainCodeOf, personKind } from './results-traffic.ts';
import { startResultsLoad, type RunningLoad } from './run-results-load.ts';
import { parseArgs, positive } from './bench-args.ts';
import { startServerProcess, type ServerProcess } from './server-process.ts';

const SITE = 'results-bench';

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === 'true';
const settings = {
  quick,
  persons: Math.floor(positive(args.persons, quick ? 50_000 : 1_000_000, '--persons')),
  connections: Math.floor(positive(args.connections, 16, '--connections')),
  eventsPerRequest: 100,
  activePersons: 2_000,
  loadRates: (args['load-rate'] ?? '2000,5000,10000').split(',').map((r) => Math.floor(positive(r, 5_000, '--load-rate'))),
  probes: Math.floor(positive(args.probes, quick ? 20 : 50, '--probes')),
  latencyRequests: Math.floor(positive(args['latency-requests'], quick ? 200 : 500, '--latency-requests')),
  fillMinutes: positive(args['fill-minutes'], quick ? 10 : 90, '--fill-minutes'),
  catchUpMinutes: positive(args['catch-up-minutes'], quick ? 15 : 120, '--catch-up-minutes'),
  maxMinutes: positive(args['max-minutes'], quick ? 40 : 300, '--max-minutes'),
  probeTimeoutMs: 30_000,
};

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f1 = (n: number) => (Number.isFinite(n) ? n.toFixed(1) : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const log = (line: string) => console.log(line);
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const loadAvg = () => os.loadavg().map((l) => l.toFixed(2)).join(' ');

interface Api {
  get<T>(pathname: string): Promise<T>;
  put(pathname: string, body: unknown): Promise<void>;
  results(query: string): Promise<{ body: ResultsAnswer; ms: number }>;
  postEvents(body: string): Promise<number>;
}

function apiOf(port: number, adminKey: string): Api {
  const base = `http://127.0.0.1:${port}`;
  const headers = { authorization: `Bearer ${adminKey}` };
  const get = async <T>(pathname: string): Promise<T> => {
    const res = await fetch(base + pathname, { headers });
    if (res.status !== 200) throw new Error(`GET ${pathname} answered ${res.status}: ${await res.text()}`);
    return (await res.json()) as T;
  };
  return {
    get,
    async put(pathname, body) {
      const res = await fetch(base + pathname, { method: 'PUT', headers: { ...headers, 'content-type': 'application/json' }, body: JSON.stringify(body) });
      if (res.status !== 200) throw new Error(`PUT ${pathname} answered ${res.status}: ${await res.text()}`);
      await res.arrayBuffer();
    },
    async results(query) {
      const t0 = performance.now();
      const body = await get<ResultsAnswer>(`/api/sites/${SITE}/experiments/${EXPERIMENT_ID}/results${query}`);
      return { body, ms: performance.now() - t0 };
    },
    async postEvents(body) {
      const res = await fetch(`${base}/visit/events?siteCode=${SITE}`, { method: 'POST', body });
      await res.arrayBuffer();
      return res.status;
    },
  };
}

const probeTotal = (answer: ResultsAnswer) =>
  answer.goals.find((g) => g.goalId === PROBE_GOAL)?.variations.reduce((sum, v) => sum + v.conversions, 0) ?? 0;

async function register(api: Api): Promise<void> {
  await api.put(`/api/sites/${SITE}/goals/1`, { name: 'Add to cart' });
  await api.put(`/api/sites/${SITE}/goals/2`, { name: 'Purchase', kind: 'revenue' });
  await api.put(`/api/sites/${SITE}/goals/3`, { name: 'Newsletter sign-up' });
  await api.put(`/api/sites/${SITE}/experiments/${EXPERIMENT_ID}`, {
    name: 'Checkout redesign',
    variations: [
      { id: 1, name: 'Control' },
      { id: 2, name: 'One-page checkout' },
      { id: 3, name: 'Express checkout' },
    ],
    referenceVariationId: 1,
  });
}

interface FillReport {
  endedAt: number;
  events: number;
  errors: number;
  seconds: number;
  eventsPerSecond: number;
  backlogAtEnd: number;
  firstError?: string;
}

async function fill(api: Api, server: ServerProcess, onLoad: (load: RunningLoad | null) => void): Promise<FillReport> {
  log('\n== fill over HTTP (100-event requests) ==');
  log('elapsed    events acked    events/s   ack p50   ack p99   worker backlog');
  const started = performance.now();
  let acked = 0;
  let backlog = NaN;
  let polling = true;
  // The backlog is read beside the load, never in its way: one small results request at a time.
  const poller = (async () => {
    while (polling) {
      try {
        backlog = (await api.results(`?goalId=${PROBE_GOAL}`)).body.pendingRecomputations;
      } catch {
        // The server is busy; the next poll will tell.
      }
      await sleep(2_000);
    }
  })();
  const load = startResultsLoad(
    {
      port: server.port,
      siteCode: SITE,
      connections: settings.connections,
      eventsPerRequest: settings.eventsPerRequest,
      firstPerson: 0,
      persons: settings.persons,
      activePersons: settings.activePersons,
      background: false,
      ratePerSecond: 0,
      durationMs: settings.fillMinutes * 60_000,
      reportEveryMs: quick ? 5_000 : 30_000,
    },
    (w) => {
      acked += w.events;
      log(
        `${f0((performance.now() - started) / 1000).padStart(6)} s ${f0(acked).padStart(14)} ${f0(w.events / (w.elapsedMs / 1000)).padStart(11)} ` +
          `${f2(w.latency.p50).padStart(7)}ms ${f2(w.latency.p99).padStart(7)}ms ${f0(backlog).padStart(16)}`,
      );
    },
  );
  onLoad(load);
  const done = await load.done;
  onLoad(null);
  polling = false;
  await poller;
  const seconds = (performance.now() - started) / 1000;
  const endedAt = performance.now();
  const backlogAtEnd = (await api.results(`?goalId=${PROBE_GOAL}`)).body.pendingRecomputations;
  return {
    endedAt,
    events: done.events,
    errors: done.errors,
    seconds,
    eventsPerSecond: done.events / seconds,
    backlogAtEnd,
    ...(done.firstError ? { firstError: done.firstError } : {}),
  };
}

interface Drain {
  backlogAtStart: number;
  seconds: number;
  identitiesPerSecond: number;
  caughtUp: boolean;
}

/** Polls the worker's backlog from `started` (when it held `backlog` marks) until it is empty. */
async function drain(api: Api, started: number, backlog: number, maxMinutes: number): Promise<Drain> {
  const first = backlog;
  const deadline = started + maxMinutes * 60_000;
  let lastLog = performance.now();
  while (backlog > 0 && performance.now() < deadline) {
    await sleep(backlog > 10_000 ? 1_000 : 50);
    backlog = (await api.results(`?goalId=${PROBE_GOAL}`)).body.pendingRecomputations;
    if (performance.now() - lastLog > (quick ? 5_000 : 30_000)) {
      lastLog = performance.now();
      log(`${f0((lastLog - started) / 1000).padStart(6)} s  backlog ${f0(backlog)}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  return { backlogAtStart: first, seconds, identitiesPerSecond: first / seconds, caughtUp: backlog === 0 };
}

/**
 * Every person recomputed by the worker with nothing else running: the analysis period is set to
 * start at 0 (epoch), which changes no figure but, like any period change, asks for a recomputation
 * of the whole site (one scan of its events); the backlog counts the persons it has left.
 */
async function fullRecompute(api: Api): Promise<Drain> {
  log('\n== full recompute by the worker (analysis period set to start at epoch 0: same figures) ==');
  const experiment = await api.get<ExperimentRecord>(`/api/sites/${SITE}/experiments/${EXPERIMENT_ID}`);
  const started = performance.now();
  await api.put(`/api/sites/${SITE}/experiments/${EXPERIMENT_ID}`, {
    name: experiment.name,
    variations: experiment.variations,
    referenceVariationId: experiment.referenceVariationId,
    analysisPeriod: { start: 0, end: null },
  });
  const backlog = (await api.results(`?goalId=${PROBE_GOAL}`)).body.pendingRecomputations;
  return drain(api, started, backlog, settings.catchUpMinutes);
}

async function warmLatency(api: Api, level: 'visitor' | 'visit'): Promise<LatencySummary & { requests: number }> {
  const latencies = new LatencyLog();
  for (let i = 0; i < Math.ceil(settings.latencyRequests / 10); i++) await api.results(`?level=${level}`);
  for (let i = 0; i < settings.latencyRequests; i++) latencies.add((await api.results(`?level=${level}`)).ms);
  return { ...latencies.summary(), requests: latencies.count };
}

interface Freshness {
  loadRate: number;
  probes: number;
  seen: number;
  delay: LatencySummary;
  /** Results requests made while polling, under the same load. */
  resultsUnderLoad: LatencySummary;
  loadEventsPerSecond: number;
  loadAckP99: number;
  loadErrors: number;
  loadFirstError?: string;
  /** Backlog of the worker as seen by the polls: largest value. */
  maxBacklog: number;
}

/** Probes are conversions of live persons of the fill, each person once: `probePerson` walks them. */
let probePerson = 7;

async function freshness(api: Api, server: ServerProcess, loadRate: number, phase: number, onLoad: (load: RunningLoad | null) => void): Promise<Freshness> {
  log(`\n== freshness under load: background ${f0(loadRate)} events/s, ${settings.probes} conversions one at a time ==`);
  const load = startResultsLoad({
    port: server.port,
    siteCode: SITE,
    connections: Math.min(settings.connections, 8),
    eventsPerRequest: settings.eventsPerRequest,
    // Persons nobody has sent yet, a fresh range per phase: the load keeps exposing new persons.
    firstPerson: settings.persons + phase * 50_000_000,
    persons: 50_000_000,
    activePersons: settings.activePersons,
    background: true,
    ratePerSecond: loadRate,
    durationMs: settings.probes * (settings.probeTimeoutMs + 2_000) + 30_000,
    reportEveryMs: 60_000,
  });
  onLoad(load);
  const delays = new LatencyLog();
  const polls = new LatencyLog();
  let seen = 0;
  let maxBacklog = 0;
  try {
    // Let the load reach its steady state before the first probe.
    await sleep(5_000);
    let expected = probeTotal((await api.results('')).body);
    for (let i = 0; i < settings.probes; i++) {
      // A live person of the fill, exposed minutes ago: its conversion is inside the window.
      do probePerson += 7919;
      while (personKind(probePerson % settings.persons) !== 'live');
      const code = mainCodeOf(probePerson % settings.persons);
      const status = await api.postEvents(`nonce=${randomNonce()}&visitorCode=${code}&eventType=conversion&goalId=${PROBE_GOAL}`);
      const acked = performance.now();
      if (status !== 204) throw new Error(`probe conversion answered ${status}`);
      expected += 1;
      let shown = false;
      let delay = NaN;
      while (performance.now() - acked < settings.probeTimeoutMs) {
        const { body, ms } = await api.results('');
        polls.add(ms);
        maxBacklog = Math.max(maxBacklog, body.pendingRecomputations);
        const total = probeTotal(body);
        if (total >= expected) {
          delay = performance.now() - acked;
          delays.add(delay);
          expected = total;
          shown = true;
          seen += 1;
          break;
        }
        await sleep(10);
      }
      log(`probe ${String(i + 1).padStart(3)}: ${shown ? `${f0(delay)} ms` : `not shown within ${settings.probeTimeoutMs / 1000} s`}`);
      // Probes at irregular moments, so they do not fall in step with the worker's rounds.
      await sleep(200 + Math.random() * 400);
    }
  } finally {
    load.stop();
  }
  const done = await load.done;
  onLoad(null);
  return {
    loadRate,
    probes: settings.probes,
    seen,
    delay: delays.summary(),
    resultsUnderLoad: polls.summary(),
    loadEventsPerSecond: done.events / (done.elapsedMs / 1000),
    loadAckP99: done.latency.p99,
    loadErrors: done.errors,
    ...(done.firstError ? { loadFirstError: done.firstError } : {}),
    maxBacklog,
  };
}

/** The commit the run measures, and whether the working tree differs from it. */
function revision(): string {
  try {
    const head = execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() !== '';
    return `${head}${dirty ? ' (working tree differs)' : ''}`;
  } catch {
    return 'unknown';
  }
}

async function main(): Promise<void> {
  const temp = makeTempDir('anole-results-bench-');
  let server: ServerProcess | null = null;
  let load: RunningLoad | null = null;
  const onLoad = (l: RunningLoad | null) => (load = l);
  const cleanup = async () => {
    load?.stop();
    if (server) await server.stop();
    server = null;
    temp.remove();
  };
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => void cleanup().finally(() => process.exit(130)));
  }
  const guard = setTimeout(() => {
    log(`\nstopped: the run exceeded --max-minutes=${settings.maxMinutes}`);
    void cleanup().finally(() => process.exit(1));
  }, settings.maxMinutes * 60_000);
  guard.unref();

  try {
    log(`anole results bench — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${f0(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}`);
    log(`settings: ${JSON.stringify(settings)}`);
    log(`code: ${revision()}`);
    log(`load average at start: ${loadAvg()}`);
    const adminKey = crypto.randomBytes(24).toString('hex');
    const dataDir = path.join(temp.dir, 'server');
    server = await startServerProcess(dataDir, { ANOLE_ADMIN_KEY: adminKey });
    log(`server pid ${server.pid} on 127.0.0.1:${server.port}, data in ${dataDir}`);
    const api = apiOf(server.port, adminKey);
    await register(api);

    const filled = await fill(api, server, onLoad);
    if (filled.errors > 0) log(`fill: ${filled.errors} failed requests; first: ${filled.firstError}`);
    log(`filled ${f0(filled.events)} events in ${f0(filled.seconds)} s (${f0(filled.eventsPerSecond)} events/s); worker backlog at the end ${f0(filled.backlogAtEnd)}`);

    log('\n== worker catching up after the fill (no load) ==');
    const caught = await drain(api, filled.endedAt, filled.backlogAtEnd, settings.catchUpMinutes);
    log(
      `worker: ${f0(caught.backlogAtStart)} identities left at the end of the fill, done ${f1(caught.seconds)} s later = ${f0(caught.identitiesPerSecond)} persons/s${caught.caughtUp ? '' : ' (did NOT catch up in time)'}; load average ${loadAvg()}`,
    );
    const dbFile = path.join(dataDir, 'anole.db');
    const storeBytes = fs.readdirSync(dataDir).reduce((sum, name) => sum + fs.statSync(path.join(dataDir, name)).size, 0);

    const servedVisitor = (await api.results('?level=visitor')).body;
    const servedVisit = (await api.results('?level=visit')).body;

    log('\n== baseline: the same figures from the raw events (read-only SQLite, same attribution and statistics) ==');
    const siteInfo = await api.get<{ settings: SiteSettings }>(`/api/sites/${SITE}`);
    const experiment = await api.get<ExperimentRecord>(`/api/sites/${SITE}/experiments/${EXPERIMENT_ID}`);
    const { goals } = await api.get<{ goals: GoalRecord[] }>(`/api/sites/${SITE}/goals`);
    const baseline: BaselineResult = await recomputeFromEvents({ file: dbFile, site: { code: SITE, settings: siteInfo.settings }, experiment, goals });
    log(
      `baseline: ${f0(baseline.events)} events, ${f0(baseline.persons)} persons (${f0(baseline.exposedPersons)} exposed) in ${f0(baseline.ms)} ms ` +
        `(scan and attribution ${f0(baseline.scanMs)} ms, statistics ${f1(baseline.statsMs)} ms)`,
    );
    const mismatches = [...compareFigures(servedVisitor, baseline.visitor), ...compareFigures(servedVisit, baseline.visit)];
    log(`served results equal the baseline (units, converted units, conversions, revenue per variation and goal, both levels): ${mismatches.length === 0 ? 'YES' : `NO — ${mismatches.length} differences`}`);
    for (const m of mismatches.slice(0, 20)) log(`  ${m.level} goal ${m.goalId} variation ${m.variationId} ${m.field}: served ${m.served}, baseline ${m.baseline}`);
    for (const g of servedVisitor.goals) {
      log(`  goal ${g.goalId}: ${g.variations.map((v) => `v${v.variationId} ${f0(v.convertedUnits)}/${f0(v.units)} (${f0(v.conversions)} conv, ${f0(v.revenue)} rev)`).join('; ')}`);
    }

    log('\n== warm results latency (sequential requests, no load) ==');
    const visitorLatency = await warmLatency(api, 'visitor');
    log(`visitor level: p50 ${f2(visitorLatency.p50)} ms, p99 ${f2(visitorLatency.p99)} ms, max ${f2(visitorLatency.max)} ms (${visitorLatency.requests} requests)`);
    const visitLatency = await warmLatency(api, 'visit');
    log(`visit level:   p50 ${f2(visitLatency.p50)} ms, p99 ${f2(visitLatency.p99)} ms, max ${f2(visitLatency.max)} ms (${visitLatency.requests} requests)`);

    const recomputed = await fullRecompute(api);
    log(
      `worker: ${f0(recomputed.backlogAtStart)} persons recomputed in ${f1(recomputed.seconds)} s = ${f0(recomputed.identitiesPerSecond)} persons/s` +
        ` (${f2(recomputed.identitiesPerSecond / (baseline.persons / (baseline.scanMs / 1000)))}× the baseline's scan and attribution)${recomputed.caughtUp ? '' : ' (did NOT finish in time)'}; load average ${loadAvg()}`,
    );
    const afterRecompute = [
      ...compareFigures((await api.results('?level=visitor')).body, baseline.visitor),
      ...compareFigures((await api.results('?level=visit')).body, baseline.visit),
    ];
    log(`after the full recompute the served results still equal the baseline: ${afterRecompute.length === 0 ? 'YES' : `NO — ${afterRecompute.length} differences`}`);
    for (const m of afterRecompute.slice(0, 20)) log(`  ${m.level} goal ${m.goalId} variation ${m.variationId} ${m.field}: served ${m.served}, baseline ${m.baseline}`);

    const freshRuns: Freshness[] = [];
    for (const [phase, rate] of settings.loadRates.entries()) {
      const fresh = await freshness(api, server, rate, phase, onLoad);
      freshRuns.push(fresh);
      log(
        `freshness p50 / p99 / max ${f0(fresh.delay.p50)} / ${f0(fresh.delay.p99)} / ${f0(fresh.delay.max)} ms; background load: ${f0(fresh.loadEventsPerSecond)} events/s achieved, ack p99 ${f2(fresh.loadAckP99)} ms, ` +
          `${fresh.loadErrors} errors${fresh.loadFirstError ? ` (first: ${fresh.loadFirstError})` : ''}; worker backlog at most ${f0(fresh.maxBacklog)}; load average ${loadAvg()}`,
      );
    }

    const exitCode = await server.stop();
    server = null;

    const perBaselinePerson = baseline.persons / (baseline.scanMs / 1000);
    const rows: [string, string, string, string, string][] = [
      ['measure', 'value', 'baseline', 'ratio', 'target'],
      ['results, visitor level p50 / p99 (ms)', `${f2(visitorLatency.p50)} / ${f2(visitorLatency.p99)}`, `${f0(baseline.ms)} ms`, `${f0(baseline.ms / visitorLatency.p99)}× faster (p99)`, 'warm ≤ 200 ms'],
      ['results, visit level p50 / p99 (ms)', `${f2(visitLatency.p50)} / ${f2(visitLatency.p99)}`, `${f0(baseline.ms)} ms`, `${f0(baseline.ms / visitLatency.p99)}× faster (p99)`, 'warm ≤ 200 ms'],
      ...freshRuns.flatMap((fresh): [string, string, string, string, string][] => [
        [`freshness at ${f0(fresh.loadRate)} ev/s p50 / p99 / max (ms)`, `${f0(fresh.delay.p50)} / ${f0(fresh.delay.p99)} / ${f0(fresh.delay.max)}`, `${f0(baseline.ms)} ms`, `${f1(baseline.ms / fresh.delay.p99)}× sooner (p99)`, '≤ 2,000 ms'],
        [`  probes shown / load achieved (ev/s)`, `${fresh.seen} / ${fresh.probes}, ${f0(fresh.loadEventsPerSecond)}`, '', '', 'all'],
        [`  results under that load p50 / p99 (ms)`, `${f2(fresh.resultsUnderLoad.p50)} / ${f2(fresh.resultsUnderLoad.p99)}`, '', '', ''],
      ]),
      ['worker, full recompute (persons/s)', f0(recomputed.identitiesPerSecond), `${f0(perBaselinePerson)}/s`, `${f2(recomputed.identitiesPerSecond / perBaselinePerson)}×`, ''],
      ['worker, catch-up after fill (persons/s)', f0(caught.identitiesPerSecond), `${f0(perBaselinePerson)}/s`, `${f2(caught.identitiesPerSecond / perBaselinePerson)}×`, ''],
      ['fill over HTTP (events/s)', f0(filled.eventsPerSecond), '', '', ''],
      ['figures equal the baseline', mismatches.length === 0 ? 'yes' : `NO (${mismatches.length})`, '', '', 'yes'],
      ['… and again after the full recompute', afterRecompute.length === 0 ? 'yes' : `NO (${afterRecompute.length})`, '', '', 'yes'],
    ];
    log('');
    for (const r of rows) log(`${r[0].padEnd(46)} ${r[1].padStart(22)} ${r[2].padStart(12)} ${r[3].padStart(22)} ${r[4].padStart(14)}`);
    log(`server exit code ${exitCode}; store ${f0(storeBytes / 2 ** 20)} MiB; load average at end: ${loadAvg()}`);

    log(
      JSON.stringify({
        bench: 'anole-results',
        settings,
        machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, ramGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvgEnd: os.loadavg() },
        fill: filled,
        storeBytes,
        worker: { catchUp: caught, fullRecompute: recomputed },
        baseline: { ms: baseline.ms, scanMs: baseline.scanMs, statsMs: baseline.statsMs, events: baseline.events, persons: baseline.persons, exposedPersons: baseline.exposedPersons },
        figuresMatch: mismatches.length === 0,
        figuresMatchAfterRecompute: afterRecompute.length === 0,
        mismatches: mismatches.slice(0, 50),
        warmLatency: { visitor: visitorLatency, visit: visitLatency },
        freshness: freshRuns,
      }),
    );
  } finally {
    clearTimeout(guard);
    await cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
