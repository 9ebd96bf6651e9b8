/**
 * npm run bench:import [-- --rows=1000000,3000000 --concurrency=4 --paths=local,plain,remote,endpoint]
 *
 * For each size in --rows (1M by default; several, comma-separated, to see whether memory grows
 * with the file), a generated CSV (order ids, ~100k visitors, times within the last day) imported
 * by the real `anole import` command in process (`local`: --data-dir, within the import's bounds,
 * src/cli/local-store.ts) and through a running server (`remote`: --url), each into a fresh store,
 * and the same file as one body of POST /api/sites/{site}/imports (`endpoint`), which imports in the
 * server's process. Beside them, two baselines from the same run and size:
 *   (a) csv-parse alone reading the file (the floor of any CSV import);
 *   (b) `plain`: the same rows, as line-format text, posted as 1,000-line bodies to POST /visit/events
 *       by a plain keep-alive HTTP client with the same concurrency (what a hand-written script reaches).
 * Prints rows/s, each process's peak RSS (VmHWM), the command's V8 heaps one by one (peak committed,
 * from --trace-gc: the main thread's first, then each worker's), the ratios to the baselines, the
 * load average beside every figure, and with several sizes a table of peak RSS per path and size.
 * --paths picks the runs (all four by default).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { Readable } from 'node:stream';
import { execFileSync } from 'node:child_process';
import { parse } from 'csv-parse';
import { parseArgs, positive } from './bench-args.ts';
import { httpRequest } from './http-request.ts';
import { startServerProcess } from './server-process.ts';

const args = parseArgs(process.argv.slice(2));
const concurrency = positive(args.concurrency, 4, '--concurrency');
const bin = new URL('../bin/anole.js', import.meta.url).pathname;
const work = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-import-bench-'));
const load = () => os.loadavg().map((x) => x.toFixed(2)).join(' ');
const rate = (n: number, ms: number) => Math.round(n / (ms / 1000));

function line(i: number, now: number): { csv: string; wire: string } {
  const visitor = `v${(i * 7919) % 100_000}`;
  const revenue = ((i % 9973) / 100).toFixed(2);
  const time = now - 3_600_000 - (i % 80_000_000);
  const order = `o${i}`;
  return {
    csv: `${visitor},${1 + (i % 3)},${revenue},${new Date(time).toISOString()},${order}`,
    // The same event as the import sends it (its nonce derived the import's way is not needed here: any nonce is one).
    wire: `nonce=${i.toString(16).padStart(16, '0')}&eventType=conversion&visitorCode=${visitor}&goalId=${1 + (i % 3)}&revenue=${revenue}&time=${time}`,
  };
}

async function writeFile(file: string, rows: number, now: number): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write('visitor_code,goal,revenue,time,order_id\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${line(i, now).csv}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

/** A process's resident high-water mark, in MB (0 once it has exited). */
function peakRssMb(pid: number): number {
  try {
    const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return hwm ? Math.round(Number(hwm[1]) / 1024) : 0;
  } catch {
    return 0;
  }
}

// --trace-gc: "[pid:0xISOLATE]  1234 ms: Mark-Compact 85.2 (118.3) -> 27.7 (81.6) MB, ..."
const GC_LINE = /^\[\d+:(0x[0-9a-f]+)\]\s+\d+ ms: [A-Za-z -]+ [\d.]+ \(([\d.]+)\) -> [\d.]+ \(([\d.]+)\) MB/;

/** Peak committed V8 heap of each isolate, in the order they first collected (the main thread's first). */
function heapPeaks(stdout: string): number[] {
  const peaks = new Map<string, number>();
  for (const text of stdout.split('\n')) {
    const m = GC_LINE.exec(text);
    if (m) peaks.set(m[1]!, Math.max(peaks.get(m[1]!) ?? 0, Number(m[2]), Number(m[3])));
  }
  return [...peaks.values()].map(Math.round);
}

/** Runs the real command (with --trace-gc); answers its wall time, peak RSS, heaps and JSON summary. */
async function runCommand(commandArgs: string[], env: Record<string, string> = {}): Promise<{ ms: number; peakRssMb: number; heapsMb: number[]; summary: Record<string, unknown> }> {
  const started = performance.now();
  const child = spawn(process.execPath, ['--trace-gc', bin, ...commandArgs], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  let peak = 0;
  // VmHWM is the process's resident high-water mark: read until it exits, the last read is the peak.
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(child.pid!))), 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  const summary = stdout.split('\n').find((text) => text.startsWith('{'));
  if (code !== 0 || summary === undefined) throw new Error(`anole ${commandArgs.join(' ')} exited ${code}: ${stdout.slice(-2000)}`);
  return { ms: performance.now() - started, peakRssMb: peak, heapsMb: heapPeaks(stdout), summary: JSON.parse(summary) as Record<string, unknown> };
}

/** Samples a server's peak RSS while `work` runs. */
async function watchingServer<T>(pid: number, work: () => Promise<T>): Promise<{ result: T; peakRssMb: number }> {
  let peak = peakRssMb(pid);
  const poll = setInterval(() => (peak = Math.max(peak, peakRssMb(pid))), 50);
  try {
    const result = await work();
    return { result, peakRssMb: Math.max(peak, peakRssMb(pid)) };
  } finally {
    clearInterval(poll);
  }
}

const heaps = (mb: number[]) => `heaps ${mb.join(' + ')} MB`;

type PathName = 'local' | 'plain' | 'remote' | 'endpoint';
const PATHS: readonly PathName[] = ['local', 'plain', 'remote', 'endpoint'];

function sizesOf(value: string | undefined): number[] {
  const sizes = (value ?? '1000000').split(',').map((part) => positive(part, 0, '--rows'));
  if (sizes.length === 0) throw new Error('--rows needs at least one size');
  return sizes;
}

function pathsOf(value: string | undefined): Set<PathName> {
  if (value === undefined) return new Set(PATHS);
  const picked = value.split(',');
  for (const name of picked) if (!PATHS.includes(name as PathName)) throw new Error(`--paths: unknown path ${name} (known: ${PATHS.join(', ')})`);
  return new Set(picked as PathName[]);
}

/** What one size measured, for the JSON line and the table across sizes. */
type Figures = Record<string, number | number[] | null>;

/** The 1,000-line bodies of the plain client, built as they are sent (never the whole file in memory). */
function* plainBodies(rows: number, now: number): Generator<string> {
  for (let i = 0; i < rows; i += 1000) {
    const body: string[] = [];
    for (let j = i; j < Math.min(rows, i + 1000); j++) body.push(line(j, now).wire);
    yield body.join('\n');
  }
}

async function benchSize(rows: number, paths: Set<PathName>): Promise<Figures> {
  const now = Date.now();
  const dir = fs.mkdtempSync(path.join(work, `rows-${rows}-`));
  const file = path.join(dir, 'orders.csv');
  await writeFile(file, rows, now);
  console.log(`\n${rows} rows: file ${(fs.statSync(file).size / 1_048_576).toFixed(1)} MB   load ${load()}`);
  const figures: Figures = { rows };

  // (a) csv-parse alone.
  let t = performance.now();
  let parsed = 0;
  for await (const _record of fs.createReadStream(file).pipe(parse())) parsed += 1;
  const csvParse = rate(parsed - 1, performance.now() - t);
  figures.csvParseRowsPerS = csvParse;
  console.log(`(a) csv-parse alone:            ${csvParse} rows/s   load ${load()}`);

  const stateDir = path.join(dir, 'state');
  const importArgs = (target: string[]) => ['import', file, '--site', 'bench', ...target, '--id-column', 'order_id', '--json', '--quiet', '--state-dir', stateDir];
  const expectAll = (what: string, summary: Record<string, unknown>) => {
    if (summary.accepted !== rows) throw new Error(`${what}: ${JSON.stringify(summary).slice(0, 500)}`);
  };

  if (paths.has('local')) {
    // In process, into a fresh SQLite store, within an import's bounds.
    const dataDir = path.join(dir, 'in-process');
    fs.mkdirSync(dataDir);
    const local = await runCommand(importArgs(['--data-dir', dataDir]));
    expectAll('in process', local.summary);
    const inProcess = rate(rows, local.ms);
    Object.assign(figures, { inProcessRowsPerS: inProcess, inProcessPeakRssMb: local.peakRssMb, inProcessHeapsMb: local.heapsMb, inProcessVsCsvParse: Number((inProcess / csvParse).toFixed(2)) });
    console.log(`in process (--data-dir):        ${inProcess} rows/s   peak RSS ${local.peakRssMb} MB   ${heaps(local.heapsMb)}   ${(inProcess / csvParse).toFixed(2)}x (a)   load ${load()}`);
  }

  let plain: number | undefined;
  if (paths.has('plain')) {
    // (b) plain keep-alive client, 1,000-line bodies, into a fresh server.
    const server = await startServerProcess(path.join(dir, 'baseline-server'));
    const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
    t = performance.now();
    const bodies = plainBodies(rows, now);
    const baseline = await watchingServer(server.pid, () =>
      Promise.all(
        Array.from({ length: concurrency }, async () => {
          for (let next = bodies.next(); !next.done; next = bodies.next()) {
            const res = await httpRequest(agent, { host: '127.0.0.1', port: server.port }, 'POST', '/visit/events?siteCode=bench', next.value);
            if (res.status !== 204) throw new Error(`baseline: ${res.status} ${res.text.slice(0, 200)}`);
          }
        }),
      ),
    );
    plain = rate(rows, performance.now() - t);
    agent.destroy();
    await server.stop();
    Object.assign(figures, { plainClientRowsPerS: plain, plainClientServerPeakRssMb: baseline.peakRssMb });
    console.log(`(b) plain client, 1000-line bodies: ${plain} rows/s   server peak RSS ${baseline.peakRssMb} MB   load ${load()}`);
  }

  if (paths.has('remote')) {
    // Through a running server, into a fresh store.
    const server = await startServerProcess(path.join(dir, 'remote-server'));
    const remoteRun = await watchingServer(server.pid, () => runCommand(importArgs(['--url', `http://127.0.0.1:${server.port}`, '--concurrency', String(concurrency)])));
    await server.stop();
    const remote = remoteRun.result;
    expectAll('remote', remote.summary);
    const throughServer = rate(rows, remote.ms);
    const ratio = plain === undefined ? null : Number((throughServer / plain).toFixed(2));
    Object.assign(figures, { remoteRowsPerS: throughServer, remotePeakRssMb: remote.peakRssMb, remoteHeapsMb: remote.heapsMb, remoteServerPeakRssMb: remoteRun.peakRssMb, remoteVsPlain: ratio });
    console.log(
      `through a server (--url):       ${throughServer} rows/s   peak RSS ${remote.peakRssMb} MB   ${heaps(remote.heapsMb)}   server peak RSS ${remoteRun.peakRssMb} MB   ${ratio === null ? '' : `${ratio}x (b)   `}load ${load()}`,
    );
  }

  if (paths.has('endpoint')) {
    // The whole file as one body of POST /api/sites/{site}/imports: spooled, then imported in the server's process.
    const adminKey = `bench-${Math.random().toString(36).slice(2)}-admin-key`;
    const server = await startServerProcess(path.join(dir, 'endpoint-server'), { ANOLE_ADMIN_KEY: adminKey, ANOLE_RATE_LIMITS: 'off' });
    t = performance.now();
    const endpointRun = await watchingServer(server.pid, async () => {
      const res = await fetch(`http://127.0.0.1:${server.port}/api/sites/bench/imports?idColumn=order_id`, {
        method: 'POST',
        headers: { authorization: `Bearer ${adminKey}`, 'content-type': 'text/csv' },
        body: Readable.toWeb(fs.createReadStream(file)) as ReadableStream,
        duplex: 'half',
      } as RequestInit);
      return { status: res.status, summary: (await res.json()) as Record<string, unknown> };
    });
    const endpointMs = performance.now() - t;
    await server.stop();
    if (endpointRun.result.status !== 200) throw new Error(`endpoint: ${endpointRun.result.status} ${JSON.stringify(endpointRun.result.summary).slice(0, 500)}`);
    expectAll('endpoint', endpointRun.result.summary);
    const endpoint = rate(rows, endpointMs);
    Object.assign(figures, { endpointRowsPerS: endpoint, endpointServerPeakRssMb: endpointRun.peakRssMb });
    console.log(`POST /api/sites/{site}/imports: ${endpoint} rows/s   server peak RSS ${endpointRun.peakRssMb} MB   load ${load()}`);
  }

  figures.load = os.loadavg()[0]!;
  fs.rmSync(dir, { recursive: true, force: true });
  return figures;
}

/** Peak RSS of each path at each size, and the largest size's over the smallest's. */
function printGrowth(results: Figures[]): void {
  const columns: Array<[string, string]> = [
    ['in process (the command)', 'inProcessPeakRssMb'],
    ['through a server (the command)', 'remotePeakRssMb'],
    ['through a server (the server)', 'remoteServerPeakRssMb'],
    ['POST imports (the server)', 'endpointServerPeakRssMb'],
    ['plain client (the server)', 'plainClientServerPeakRssMb'],
  ];
  console.log(`\npeak RSS by file size (MB): ${results.map((r) => `${r.rows} rows`).join(' | ')} | largest / smallest`);
  for (const [label, key] of columns) {
    const mb = results.map((r) => r[key]);
    if (mb.some((value) => typeof value !== 'number')) continue;
    const first = mb[0] as number;
    const last = mb[mb.length - 1] as number;
    console.log(`  ${label.padEnd(32)} ${mb.join(' | ')} | ${(last / first).toFixed(2)}x`);
  }
}

async function main(): Promise<void> {
  const sizes = sizesOf(args.rows);
  const paths = pathsOf(args.paths);
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  console.log(`bench:import: ${sizes.join(', ')} rows, concurrency ${concurrency}, paths ${[...paths].join(',')}, commit ${commit}, ${os.cpus().length} cores, load ${load()}`);
  const results: Figures[] = [];
  for (const rows of sizes) results.push(await benchSize(rows, paths));
  if (results.length > 1) printGrowth(results);
  for (const figures of results) console.log(JSON.stringify({ commit, concurrency, ...figures }));
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
