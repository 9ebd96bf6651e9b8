import { monitorEventLoopDelay } from 'node:perf_hooks';
import v8 from 'node:v8';
import vm from 'node:vm';
import { loadConfig } from '../../src/config.ts';
import { ERROR_CODES } from '../../src/core/error-codes.ts';
import { startServer, type RunningServer } from '../../src/main.ts';
import { makeTempDir } from '../helpers/temp-dir.ts';
import { httpCase, routesOf, type HttpCase, type RouteInfo } from './http-cases.ts';
import { caseRandom } from './random.ts';
import { exchange } from './raw-client.ts';
import { rawCase, type RawCase } from './raw-cases.ts';

/**
 * The fuzzer: generated hostile requests against the in-process app (fastify's inject, every route
 * of its OpenAPI document) and raw bytes against its socket (Node's HTTP parser). A case fails on a
 * 5xx, a 4xx outside the {"message","code"} contract, a connection closed without `Connection:
 * close`, a request that holds the event loop past its bound, or no answer at all; the run fails
 * when memory grows past its bound.
 */
export interface FuzzOptions {
  cases: number;
  seed: number;
  /** PostgreSQL URL of an empty database; SQLite in a temp directory without one. */
  databaseUrl?: string;
  /** The server's rate limits on (its defaults) or off: on, most cases of a fast run get 429. */
  rateLimits?: boolean;
  /** Share of cases that are raw bytes on a socket. */
  rawShare: number;
  /** Cases in flight at once (group commit needs several to batch). */
  concurrency: number;
  /** The event-loop bound of a request: base + per MB of its body. */
  loopBoundMs: number;
  loopBoundPerMbMs: number;
  /** Heap growth allowed between the end of the warm-up and the end of the run, after GC. */
  heapGrowthMb: number;
  /** Resident memory never to be exceeded during the run. */
  rssLimitMb: number;
  onProgress?: (done: number, report: FuzzReport) => void;
}

export interface Failure {
  index: number;
  target: string;
  problem: string;
  request: string;
}

export interface FuzzReport {
  cases: number;
  seconds: number;
  byTarget: Map<string, Map<number, number>>;
  failures: Failure[];
  /** Windows whose event-loop delay passed the bound and were replayed case by case. */
  replayedWindows: number;
  loopDelayMaxMs: number;
  memory: { rssStartMb: number; rssPeakMb: number; rssEndMb: number; heapAfterWarmupMb: number; heapEndMb: number };
}

export const ADMIN_KEY = 'fuzz-admin-key-0123456789abcdef';
const MB = 1024 * 1024;

type Case = HttpCase | RawCase;

function caseAt(seed: number, index: number, routes: readonly RouteInfo[], rawShare: number): Case {
  const r = caseRandom(seed, index);
  return r.chance(rawShare) ? rawCase(r) : httpCase(r, routes, ADMIN_KEY);
}

function describe(c: Case): string {
  if (c.kind === 'raw') return JSON.stringify(c.bytes.toString('latin1').slice(0, 300));
  const body = c.payload.length > 0 ? ` body ${c.payload.length} B${c.headers['content-encoding'] ? ` (${c.headers['content-encoding']})` : ''}: ${JSON.stringify(c.payload.toString('latin1').slice(0, 160))}` : '';
  return `${c.method} ${c.url.slice(0, 300)}${body}`;
}

/** A 4xx must be {"message": string, "code": a registered code whose status it is}. */
function contractProblem(status: number, body: string, method: string): string | null {
  if (status >= 500) return `answered ${status}: ${body.slice(0, 200)}`;
  if (status < 400 || method === 'HEAD') return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    return `answered ${status} with a body that is not JSON: ${JSON.stringify(body.slice(0, 120))}`;
  }
  const { message, code } = (parsed ?? {}) as { message?: unknown; code?: unknown };
  if (typeof message !== 'string' || typeof code !== 'string') return `answered ${status} without message and code: ${body.slice(0, 160)}`;
  const registered = (ERROR_CODES as Record<string, { status: number }>)[code];
  if (!registered) return `answered ${status} with unregistered code ${code}`;
  if (registered.status !== status) return `answered ${status} with code ${code}, whose status is ${registered.status}`;
  return null;
}

function loopBound(c: Case, options: FuzzOptions): number {
  const bytes = c.kind === 'raw' ? c.bytes.length : c.headers['content-encoding'] ? Math.max(c.payload.length, 3 * MB) : c.payload.length;
  return options.loopBoundMs + (options.loopBoundPerMbMs * bytes) / MB;
}

interface Outcome {
  statuses: number[];
  problem: string | null;
}

async function runHttp(server: RunningServer, c: HttpCase): Promise<Outcome> {
  const res = await server.app.inject({ method: c.method as 'GET', url: c.url, headers: c.headers, payload: c.payload.length > 0 ? c.payload : undefined });
  return { statuses: [res.statusCode], problem: contractProblem(res.statusCode, res.body, c.method) };
}

const HUNG = 'neither answered nor closed the connection after the client ended its side';

async function runRaw(server: RunningServer, c: RawCase): Promise<Outcome> {
  const result = await exchange(server.url, c.bytes);
  const statuses = result.responses.map((r) => r.status);
  if (result.hung) return { statuses, problem: HUNG };
  for (const response of result.responses) {
    const problem = contractProblem(response.status, response.body, 'GET');
    if (problem) return { statuses, problem };
  }
  const last = result.responses.at(-1);
  if (result.closedByServer && last && last.status >= 400 && last.headers.connection?.toLowerCase() !== 'close') {
    return { statuses, problem: `closed the connection after a ${last.status} without Connection: close` };
  }
  if (result.rest.startsWith('HTTP/') && !result.closedByServer) return { statuses, problem: `left a response unfinished: ${JSON.stringify(result.rest.slice(0, 120))}` };
  return { statuses, problem: null };
}

const runCase = (server: RunningServer, c: Case) => (c.kind === 'raw' ? runRaw(server, c) : runHttp(server, c));

/** Runs `work` on every item with at most `limit` in flight. */
async function inParallel<T>(items: readonly T[], limit: number, work: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (next < items.length) await work(items[next++]!);
  }));
}

function exposeGc(): () => void {
  v8.setFlagsFromString('--expose-gc');
  return vm.runInNewContext('gc') as () => void;
}

export async function startFuzzServer(databaseUrl?: string, rateLimits = false): Promise<{ server: RunningServer; stop: () => Promise<void> }> {
  const temp = makeTempDir('anole-fuzz-');
  const server = await startServer(
    loadConfig({
      ANOLE_DATA_DIR: temp.dir,
      ANOLE_PORT: '0',
      ANOLE_LOG_LEVEL: 'silent',
      ANOLE_ADMIN_KEY: ADMIN_KEY,
      ANOLE_SQLITE_CACHE_MB: '64',
      ...(rateLimits ? {} : { ANOLE_RATE_LIMITS: 'off' }),
      ...(databaseUrl ? { DATABASE_URL: databaseUrl } : {}),
    }),
  );
  return {
    server,
    async stop() {
      await server.stop();
      temp.remove();
    },
  };
}

export async function runFuzz(options: FuzzOptions): Promise<FuzzReport> {
  const gc = exposeGc();
  const { server, stop } = await startFuzzServer(options.databaseUrl, options.rateLimits);
  const routes = routesOf(server.app.swagger() as Parameters<typeof routesOf>[0]);
  const mb = (bytes: number) => Math.round(bytes / MB);
  const report: FuzzReport = {
    cases: 0,
    seconds: 0,
    byTarget: new Map(),
    failures: [],
    replayedWindows: 0,
    loopDelayMaxMs: 0,
    memory: { rssStartMb: mb(process.memoryUsage().rss), rssPeakMb: 0, rssEndMb: 0, heapAfterWarmupMb: 0, heapEndMb: 0 },
  };
  const fail = (index: number, c: Case, problem: string) => {
    if (report.failures.length < 200) report.failures.push({ index, target: c.target, problem, request: describe(c) });
  };
  const count = (c: Case, outcome: Outcome) => {
    const statuses = report.byTarget.get(c.target) ?? new Map<number, number>();
    for (const status of outcome.statuses.length > 0 ? outcome.statuses : [0]) statuses.set(status, (statuses.get(status) ?? 0) + 1);
    report.byTarget.set(c.target, statuses);
  };
  const started = performance.now();
  // Windows are large because a raw case waits on its socket (up to 400 ms for an answer that a
  // malformed request never gets): raw cases run beside the pool, and a window lasts at least that.
  const window = Math.max(64, options.concurrency * 16);
  const warmup = Math.min(options.cases, Math.max(window, Math.floor(options.cases / 20)));
  const delay = monitorEventLoopDelay({ resolution: 5 });
  try {
    for (let start = 0; start < options.cases; start += window) {
      const indices = Array.from({ length: Math.min(window, options.cases - start) }, (_, i) => start + i);
      const cases = indices.map((i) => caseAt(options.seed, i, routes, options.rawShare));
      delay.reset();
      delay.enable();
      // A socket that got no answer while the loop was busy with the rest of the window (a
      // loaded machine can starve it for seconds) is asked again alone before it counts.
      const unanswered: number[] = [];
      const run = async (i: number) => {
        const c = cases[i - start]!;
        const outcome = await runCase(server, c).catch((error: unknown) => ({ statuses: [], problem: `the request failed: ${String(error)}` }));
        count(c, outcome);
        if (outcome.problem === HUNG) unanswered.push(i);
        else if (outcome.problem) fail(i, c, outcome.problem);
      };
      await Promise.all([
        inParallel(indices.filter((i) => cases[i - start]!.kind === 'http'), options.concurrency, run),
        ...indices.filter((i) => cases[i - start]!.kind === 'raw').map(run),
      ]);
      for (const i of unanswered) {
        const c = cases[i - start]!;
        const again = await runCase(server, c).catch((error: unknown) => ({ statuses: [], problem: `the request failed: ${String(error)}` }));
        if (again.problem) fail(i, c, again.problem === HUNG ? `${HUNG}, in the window and alone` : again.problem);
      }
      delay.disable();
      const windowMax = delay.max / 1e6;
      report.loopDelayMaxMs = Math.max(report.loopDelayMaxMs, windowMax);
      // A window that held the loop past the bound of its largest case: find the case by
      // replaying each alone, timed as the event loop sees it.
      if (windowMax > Math.max(...cases.map((c) => loopBound(c, options)))) {
        report.replayedWindows += 1;
        for (const [k, c] of cases.entries()) {
          const begin = performance.now();
          const cpu = process.cpuUsage();
          await runCase(server, c).catch(() => undefined);
          const used = process.cpuUsage(cpu);
          const cpuMs = (used.user + used.system) / 1000;
          const wallMs = performance.now() - begin;
          if (Math.min(cpuMs, wallMs) > loopBound(c, options)) fail(start + k, c, `took ${cpuMs.toFixed(0)} ms of CPU (${wallMs.toFixed(0)} ms) alone; its bound is ${loopBound(c, options).toFixed(0)} ms`);
        }
      }
      report.cases = start + indices.length;
      const rss = process.memoryUsage().rss;
      report.memory.rssPeakMb = Math.max(report.memory.rssPeakMb, mb(rss));
      if (mb(rss) > options.rssLimitMb && !report.failures.some((f) => f.problem.startsWith('resident'))) {
        report.failures.push({ index: report.cases, target: 'process', problem: `resident memory ${mb(rss)} MB passed the bound of ${options.rssLimitMb} MB`, request: '' });
      }
      if (report.cases >= warmup && report.memory.heapAfterWarmupMb === 0) {
        gc();
        report.memory.heapAfterWarmupMb = mb(process.memoryUsage().heapUsed);
      }
      report.seconds = (performance.now() - started) / 1000;
      options.onProgress?.(report.cases, report);
    }
    gc();
    report.memory.heapEndMb = mb(process.memoryUsage().heapUsed);
    report.memory.rssEndMb = mb(process.memoryUsage().rss);
    const growth = report.memory.heapEndMb - report.memory.heapAfterWarmupMb;
    if (growth > options.heapGrowthMb) {
      report.failures.push({ index: report.cases, target: 'process', problem: `the heap grew ${growth} MB after the warm-up (bound ${options.heapGrowthMb} MB)`, request: '' });
    }
  } finally {
    await stop();
  }
  report.seconds = (performance.now() - started) / 1000;
  return report;
}

/** The summary a run prints: cases/s, answers per route and status, failures. */
export function summary(report: FuzzReport, options: FuzzOptions): string {
  const lines = [
    `${report.cases} cases in ${report.seconds.toFixed(1)} s: ${(report.cases / report.seconds).toFixed(0)} cases/s (seed ${options.seed}, ${options.databaseUrl ? 'PostgreSQL' : 'SQLite'}, rate limits ${options.rateLimits ? 'on' : 'off'}, ${options.concurrency} in flight)`,
    `event loop: longest delay ${report.loopDelayMaxMs.toFixed(0)} ms; windows replayed case by case: ${report.replayedWindows}`,
    `memory: RSS ${report.memory.rssStartMb} MB at start, ${report.memory.rssPeakMb} MB peak, ${report.memory.rssEndMb} MB at the end; heap after GC ${report.memory.heapAfterWarmupMb} MB after the warm-up, ${report.memory.heapEndMb} MB at the end`,
    '',
    'answers by route and status:',
  ];
  for (const [target, statuses] of [...report.byTarget].sort(([a], [b]) => a.localeCompare(b))) {
    lines.push(`  ${target.padEnd(64)} ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s === 0 ? 'none' : s}:${n}`).join(' ')}`);
  }
  lines.push('', report.failures.length === 0 ? 'no failures' : `${report.failures.length} failures:`);
  for (const f of report.failures.slice(0, 30)) lines.push(`  #${f.index} ${f.target}: ${f.problem}\n      ${f.request}`);
  return lines.join('\n');
}
