/**
 * `npm run bench`: the ingest benchmark. Measures two baselines (a bare fsync'd append and a bare
 * better-sqlite3 batched insert with the usual two indexes), then starts the real server, fills it
 * through HTTP to the target size (reporting events/s per segment as it grows), and measures, on the
 * filled store, 100-event and 1-event ingestion and GET /visit/visitor (alone, then while 100-event
 * requests run). The attribution worker's backlog at the end of the fill and its catch-up time are
 * read from /metrics. Then the server is restarted on the same store with ANOLE_WORKER=false and the
 * 1-event and GET phases run again: what the worker costs them. Every figure is printed with its
 * ratio to the baselines (and to the worker-off pass), then once more as one JSON line, with the
 * load average before each phase (the machine may be shared) and each server thread's share of a
 * core during each phase (`threadsBusy`, from anole_thread_busy_seconds_total).
 *
 *   npm run bench                      # 10M events / 1M visitors
 *   npm run bench -- --quick           # 1M events, shorter phases
 *   flags: --events=N --connections=N --duration=SECONDS --segment=N --baseline-events=N
 *          --get-connections=N --fill-minutes=N   (env: BENCH_EVENTS, BENCH_CONNECTIONS, BENCH_DURATION)
 */
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { measureDurableAppend, measureSqliteInsert } from './baselines.ts';
import { EVENTS_PER_VISITOR } from './event-source.ts';
import { fillStore } from './fill-store.ts';
import type { LoadStats } from './load-client.ts';
import { runLoad } from './run-load.ts';
import { parseArgs, positive } from './bench-args.ts';
import { startServerProcess } from './server-process.ts';

const SITE = 'bench';

const args = parseArgs(process.argv.slice(2));
const quick = args.quick === 'true';
const settings = {
  quick,
  events: Math.floor(positive(args.events ?? process.env.BENCH_EVENTS, quick ? 1_000_000 : 10_000_000, '--events')),
  connections: Math.floor(positive(args.connections ?? process.env.BENCH_CONNECTIONS, 16, '--connections')),
  durationS: positive(args.duration ?? process.env.BENCH_DURATION, quick ? 8 : 20, '--duration'),
  segment: Math.floor(positive(args.segment, quick ? 100_000 : 1_000_000, '--segment')),
  baselineEvents: Math.floor(positive(args['baseline-events'], quick ? 500_000 : 2_000_000, '--baseline-events')),
  getConnections: Math.floor(positive(args['get-connections'], 4, '--get-connections')),
  fillMinutes: positive(args['fill-minutes'], quick ? 5 : 30, '--fill-minutes'),
  catchUpSeconds: positive(args['catch-up-seconds'], quick ? 60 : 300, '--catch-up-seconds'),
  eventsPerRequest: 100,
};

const f0 = (n: number) => (Number.isFinite(n) ? Math.round(n).toLocaleString('en-US') : 'n/a');
const f2 = (n: number) => (Number.isFinite(n) ? n.toFixed(2) : 'n/a');
const ratio = (a: number, b: number) => (Number.isFinite(a) && Number.isFinite(b) && b > 0 ? a / b : NaN);
const log = (line: string) => console.log(line);
const load1 = () => Number(os.loadavg()[0]!.toFixed(2));

/** The key of the bench's server, for /metrics. */
const ADMIN_KEY = `bench-${crypto.randomBytes(16).toString('hex')}`;

const metricsOf = async (port: number): Promise<string> =>
  (await fetch(`http://127.0.0.1:${port}/metrics`, { headers: { Authorization: `Bearer ${ADMIN_KEY}` } })).text();

/** The attribution worker's backlog (dirty marks waiting), from the server's Prometheus metrics. */
async function backlogOf(port: number): Promise<number> {
  const match = /^anole_dirty_backlog (\S+)$/m.exec(await metricsOf(port));
  return match ? Number(match[1]) : NaN;
}

interface BusyReading {
  at: number;
  seconds: Map<string, number>;
}

/** Each server thread's busy seconds so far (anole_thread_busy_seconds_total), and when they were read. */
async function busyOf(port: number): Promise<BusyReading> {
  const text = await metricsOf(port);
  return { at: performance.now(), seconds: new Map([...text.matchAll(/^anole_thread_busy_seconds_total\{thread="([^"]+)"\} (\S+)$/gm)].map((m) => [m[1]!, Number(m[2])])) };
}

/** Each thread's share of a core between two readings (1: busy the whole time). */
function busyShare(from: BusyReading, to: BusyReading): Record<string, number> {
  const seconds = (to.at - from.at) / 1000;
  return Object.fromEntries([...to.seconds].map(([thread, busy]) => [thread, Number(((busy - (from.seconds.get(thread) ?? 0)) / seconds).toFixed(3))]));
}

async function main(): Promise<void> {
  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-bench-'));
  let stopServer: (() => Promise<number | null>) | null = null;
  const cleanup = () => fs.rmSync(tmp, { recursive: true, force: true });
  for (const signal of ['SIGINT', 'SIGTERM'] as const) {
    process.once(signal, () => {
      void (stopServer?.() ?? Promise.resolve()).finally(() => {
        cleanup();
        process.exit(130);
      });
    });
  }
  try {
    log(`anole ingest bench — ${os.cpus().length} cores (${os.cpus()[0]?.model ?? '?'}), ${f0(os.totalmem() / 2 ** 30)} GiB RAM, node ${process.version}`);
    log(`settings: ${JSON.stringify(settings)}`);
    // Other work on the machine skews every figure; the load average says how much there was.
    log(`load average at start: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);
    const loadAtStart = load1();

    log('\n== baselines (same events, this disk) ==');
    const group = settings.connections * settings.eventsPerRequest;
    const append = measureDurableAppend(tmp, { events: Math.min(settings.baselineEvents, 1_000_000), eventsPerFsync: group });
    log(`fsync'd append, ${group} events/fsync: ${f0(append.eventsPerSecond)} events/s (${f0(append.fsyncsPerSecond)} fsync/s)`);
    const appendSmall = measureDurableAppend(tmp, { events: settings.connections * 2_000, eventsPerFsync: settings.connections });
    log(`fsync'd append, ${settings.connections} events/fsync: ${f0(appendSmall.eventsPerSecond)} events/s`);
    const sqlite = measureSqliteInsert(tmp, {
      events: settings.baselineEvents,
      eventsPerTransaction: group,
      segmentEvents: Math.max(group, Math.floor(settings.baselineEvents / 5)),
      maxMs: quick ? 60_000 : 180_000,
      cacheMb: 512,
    });
    for (const s of sqlite.segments) log(`sqlite 2-index insert, ${group}/txn, up to ${f0(s.rows)} rows: ${f0(s.eventsPerSecond)} events/s`);
    log(`sqlite visitor read on ${f0(sqlite.rows)} rows: p50 ${f2(sqlite.read.p50)} ms, p99 ${f2(sqlite.read.p99)} ms`);
    const sqliteSmall = measureSqliteInsert(tmp, {
      events: settings.connections * 1_000,
      eventsPerTransaction: settings.connections,
      segmentEvents: settings.connections * 1_000,
      maxMs: 5_000,
      cacheMb: 512,
    });
    log(`sqlite 2-index insert, ${settings.connections}/txn (young table): ${f0(sqliteSmall.eventsPerSecond)} events/s`);

    log('\n== server: fill through HTTP (100-event requests) ==');
    const dataDir = path.join(tmp, 'server');
    const server = await startServerProcess(dataDir, { ANOLE_ADMIN_KEY: ADMIN_KEY });
    stopServer = () => server.stop();
    log(`server pid ${server.pid} on 127.0.0.1:${server.port}, data in ${dataDir}`);
    log('store size    events/s    req/s   ack p50   ack p99   vs append   vs sqlite');
    // Each phase's share of a core for each server thread: which one the figures wait for.
    const busy: Record<string, Record<string, number>> = {};
    const fillBusy = await busyOf(server.port);
    const fill = await fillStore(
      {
        port: server.port,
        siteCode: SITE,
        events: settings.events,
        connections: settings.connections,
        eventsPerRequest: settings.eventsPerRequest,
        segmentEvents: settings.segment,
        maxMs: settings.fillMinutes * 60_000,
      },
      (s) =>
        log(
          `${f0(s.storeEvents).padStart(10)} ${f0(s.eventsPerSecond).padStart(11)} ${f0(s.requestsPerSecond).padStart(8)} ` +
            `${f2(s.ackP50).padStart(7)}ms ${f2(s.ackP99).padStart(7)}ms ${f2(ratio(s.eventsPerSecond, append.eventsPerSecond)).padStart(10)} ` +
            `${f2(ratio(s.eventsPerSecond, sqlite.finalEventsPerSecond)).padStart(10)}`,
        ),
    );
    if (fill.errors > 0) log(`fill: ${fill.errors} failed requests; first: ${fill.firstError}`);
    busy.fill = busyShare(fillBusy, await busyOf(server.port));
    const loadAtFill = load1();
    const dbBytes = fs.readdirSync(dataDir).reduce((sum, name) => sum + fs.statSync(path.join(dataDir, name)).size, 0);
    log(`filled ${f0(fill.events)} events (${f0(fill.events / EVENTS_PER_VISITOR)} visitors) in ${f0(fill.elapsedMs / 1000)} s: ${f0(fill.eventsPerSecond)} events/s overall; store ${f0(dbBytes / 2 ** 20)} MiB`);

    const loads: Record<string, number> = { start: loadAtStart, fillEnd: loadAtFill };
    // How far the worker is behind once the fill stops, and how long it takes to catch up.
    const backlogAtFillEnd = await backlogOf(server.port);
    const catchUpStarted = performance.now();
    const catchUpBusy = await busyOf(server.port);
    let backlogLeft = backlogAtFillEnd;
    while (backlogLeft > 0 && performance.now() - catchUpStarted < settings.catchUpSeconds * 1000) {
      await new Promise((resolve) => setTimeout(resolve, 250));
      backlogLeft = await backlogOf(server.port);
    }
    const catchUpSeconds = backlogLeft === 0 ? (performance.now() - catchUpStarted) / 1000 : NaN;
    busy.catchUp = busyShare(catchUpBusy, await busyOf(server.port));
    log(`worker backlog at the end of the fill: ${f0(backlogAtFillEnd)} identities; ${backlogLeft === 0 ? `caught up in ${f2(catchUpSeconds)} s` : `${f0(backlogLeft)} left after ${settings.catchUpSeconds} s`}`);

    const visitors = Math.floor(fill.events / EVENTS_PER_VISITOR);
    const timed = (port: number, eventsPerRequest: number, firstEvent: number): Promise<LoadStats & { nextEvent: number }> =>
      runLoad({
        mode: 'post', host: '127.0.0.1', port, siteCode: SITE, connections: settings.connections, eventsPerRequest,
        firstEvent, maxEvents: Number.MAX_SAFE_INTEGER, durationMs: settings.durationS * 1000, segmentEvents: 0, visitors: 0,
      });
    const reads = (port: number) =>
      runLoad({
        mode: 'get', host: '127.0.0.1', port, siteCode: SITE, connections: settings.getConnections, eventsPerRequest: 0,
        firstEvent: 0, maxEvents: 0, durationMs: settings.durationS * 1000, segmentEvents: 0, visitors,
      });
    const phase = async <T>(name: string, port: number, run: () => Promise<T>): Promise<T> => {
      loads[name] = load1();
      const from = await busyOf(port);
      const result = await run();
      busy[name] = busyShare(from, await busyOf(port));
      return result;
    };
    log(`\n== on the filled store, ${settings.durationS} s each ==`);
    const hundred = await phase('hundred', server.port, () => timed(server.port, settings.eventsPerRequest, fill.nextEvent));
    const one = await phase('one', server.port, () => timed(server.port, 1, hundred.nextEvent));
    const get = await phase('get', server.port, () => reads(server.port));
    // Reads while the store takes 100-event requests at full speed.
    const [underLoadPosts, getUnderLoad] = await phase('getUnderLoad', server.port, () =>
      Promise.all([timed(server.port, settings.eventsPerRequest, one.nextEvent), reads(server.port)]),
    );
    const exitCode = await server.stop();
    stopServer = null;

    log('\n== the same store, restarted with ANOLE_WORKER=false ==');
    const serverOff = await startServerProcess(dataDir, { ANOLE_ADMIN_KEY: ADMIN_KEY, ANOLE_WORKER: 'false' });
    stopServer = () => serverOff.stop();
    const oneOff = await phase('oneOff', serverOff.port, () => timed(serverOff.port, 1, underLoadPosts.nextEvent));
    const getOff = await phase('getOff', serverOff.port, () => reads(serverOff.port));
    await serverOff.stop();
    stopServer = null;
    loads.end = load1();

    const rate = (s: LoadStats, n: number) => n / (s.elapsedMs / 1000);
    const sustained = fill.segments.at(-1)?.eventsPerSecond ?? fill.eventsPerSecond;
    const rows: [string, string, string, string, string][] = [
      ['measure', 'value', 'vs append', 'vs sqlite', 'target'],
      ['fill, last segment (events/s)', f0(sustained), f2(ratio(sustained, append.eventsPerSecond)), f2(ratio(sustained, sqlite.finalEventsPerSecond)), '≥ 50,000'],
      ['fill, overall (events/s)', f0(fill.eventsPerSecond), f2(ratio(fill.eventsPerSecond, append.eventsPerSecond)), f2(ratio(fill.eventsPerSecond, sqlite.eventsPerSecond)), ''],
      ['100-event (events/s)', f0(rate(hundred, hundred.events)), f2(ratio(rate(hundred, hundred.events), append.eventsPerSecond)), f2(ratio(rate(hundred, hundred.events), sqlite.finalEventsPerSecond)), '≥ 50,000'],
      ['100-event (req/s)', f0(rate(hundred, hundred.requests)), '', '', ''],
      ['100-event ack p50 / p99 (ms)', `${f2(hundred.latency.p50)} / ${f2(hundred.latency.p99)}`, '', '', 'p99 ≤ 50'],
      ['1-event (req/s)', f0(rate(one, one.requests)), f2(ratio(rate(one, one.requests), appendSmall.eventsPerSecond)), f2(ratio(rate(one, one.requests), sqliteSmall.eventsPerSecond)), '≥ 15,000'],
      ['1-event ack p50 / p99 (ms)', `${f2(one.latency.p50)} / ${f2(one.latency.p99)}`, '', '', 'p99 ≤ 50'],
      ['GET /visit/visitor (req/s)', f0(rate(get, get.requests)), '', '', ''],
      ['GET p50 / p99 (ms)', `${f2(get.latency.p50)} / ${f2(get.latency.p99)}`, '', `${f2(ratio(get.latency.p99, sqlite.read.p99))} (p99)`, 'p99 ≤ 5'],
      ['GET under 100-event load p50 / p99', `${f2(getUnderLoad.latency.p50)} / ${f2(getUnderLoad.latency.p99)}`, '', `${f2(ratio(getUnderLoad.latency.p99, sqlite.read.p99))} (p99)`, 'p99 ≤ 20'],
      ['  100-event meanwhile (events/s)', f0(rate(underLoadPosts, underLoadPosts.events)), f2(ratio(rate(underLoadPosts, underLoadPosts.events), append.eventsPerSecond)), '', ''],
      ['worker backlog at fill end', f0(backlogAtFillEnd), '', '', ''],
      ['worker catch-up (s)', f2(catchUpSeconds), '', '', 'a few'],
    ];
    const offRows: [string, string, string, string, string][] = [
      ['worker off: measure', 'value', 'on ÷ off', 'vs append', 'target'],
      ['1-event (req/s)', f0(rate(oneOff, oneOff.requests)), f2(ratio(rate(one, one.requests), rate(oneOff, oneOff.requests))), f2(ratio(rate(oneOff, oneOff.requests), appendSmall.eventsPerSecond)), 'on ≥ 0.9× off'],
      ['1-event ack p50 / p99 (ms)', `${f2(oneOff.latency.p50)} / ${f2(oneOff.latency.p99)}`, f2(ratio(one.latency.p99, oneOff.latency.p99)), '', ''],
      ['GET p50 / p99 (ms)', `${f2(getOff.latency.p50)} / ${f2(getOff.latency.p99)}`, f2(ratio(get.latency.p99, getOff.latency.p99)), '', ''],
    ];
    log('');
    for (const r of [...rows, ...offRows]) log(`${r[0].padEnd(36)} ${r[1].padStart(16)} ${r[2].padStart(10)} ${r[3].padStart(12)} ${r[4].padStart(14)}`);
    log(`load average (1 min) before each phase: ${JSON.stringify(loads)}`);
    const threads = [...new Set(Object.values(busy).flatMap((shares) => Object.keys(shares)))].filter((thread) => Object.values(busy).some((shares) => (shares[thread] ?? 0) >= 0.01));
    log(`\nthreads busy, share of a core (event loop utilization, anole_thread_busy_seconds_total):`);
    log(`${'phase'.padEnd(14)} ${threads.map((t) => t.replace(/^anole /, '').padStart(14)).join(' ')}`);
    for (const [name, shares] of Object.entries(busy)) log(`${name.padEnd(14)} ${threads.map((t) => f2(shares[t] ?? 0).padStart(14)).join(' ')}`);
    const failures = [hundred, one, get, underLoadPosts, getUnderLoad, oneOff, getOff].filter((s) => s.errors > 0);
    for (const s of failures) log(`failed requests: ${s.errors}; first: ${s.firstError}`);
    log(`server exit code ${exitCode}; load average at end: ${os.loadavg().map((l) => l.toFixed(2)).join(' ')}`);

    const summary = {
      bench: 'anole-ingest',
      settings,
      machine: { cores: os.cpus().length, cpu: os.cpus()[0]?.model, ramGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, loadAvgEnd: os.loadavg() },
      baselines: {
        appendEventsPerSecond: append.eventsPerSecond,
        appendEventsPerFsync: append.eventsPerFsync,
        appendSmallEventsPerSecond: appendSmall.eventsPerSecond,
        sqliteEventsPerSecond: sqlite.eventsPerSecond,
        sqliteFinalEventsPerSecond: sqlite.finalEventsPerSecond,
        sqliteRows: sqlite.rows,
        sqliteSmallEventsPerSecond: sqliteSmall.eventsPerSecond,
        sqliteReadP50: sqlite.read.p50,
        sqliteReadP99: sqlite.read.p99,
      },
      fill: { events: fill.events, errors: fill.errors, eventsPerSecond: fill.eventsPerSecond, storeBytes: dbBytes, segments: fill.segments },
      hundred: { eventsPerSecond: rate(hundred, hundred.events), requestsPerSecond: rate(hundred, hundred.requests), ...hundred.latency, errors: hundred.errors },
      one: { requestsPerSecond: rate(one, one.requests), ...one.latency, errors: one.errors },
      get: { requestsPerSecond: rate(get, get.requests), ...get.latency, errors: get.errors },
      getUnderLoad: {
        requestsPerSecond: rate(getUnderLoad, getUnderLoad.requests),
        ...getUnderLoad.latency,
        errors: getUnderLoad.errors,
        postsEventsPerSecond: rate(underLoadPosts, underLoadPosts.events),
      },
      worker: { backlogAtFillEnd, catchUpSeconds },
      workerOff: {
        one: { requestsPerSecond: rate(oneOff, oneOff.requests), ...oneOff.latency, errors: oneOff.errors },
        get: { requestsPerSecond: rate(getOff, getOff.requests), ...getOff.latency, errors: getOff.errors },
      },
      ratios: {
        oneOnOverOff: ratio(rate(one, one.requests), rate(oneOff, oneOff.requests)),
        oneOverAppend16: ratio(rate(one, one.requests), appendSmall.eventsPerSecond),
        getP99OnOverOff: ratio(get.latency.p99, getOff.latency.p99),
      },
      loadAverage: loads,
      threadsBusy: busy,
    };
    log(JSON.stringify(summary));
  } finally {
    if (stopServer) await stopServer();
    cleanup();
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
