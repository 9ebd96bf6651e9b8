/**
 * npm run bench:import [-- --rows=1000000 --concurrency=4]
 *
 * A generated CSV of --rows rows (1M by default: order ids, ~100k visitors, times within the last
 * day) imported by the real `anole import` command, in process (--data-dir) and through a running
 * server (--url), each into a fresh store (in process twice: default settings, then a smaller key
 * tail and page cache). Beside them, two baselines from the same run:
 *   (a) csv-parse alone reading the file (the floor of any CSV import);
 *   (b) the same rows, already as line-format text, posted as 1,000-line bodies to POST /visit/events
 *       by a plain keep-alive HTTP client with the same concurrency (what a hand-written script reaches).
 * Prints rows/s, the command's peak RSS (VmHWM), the ratios to the baselines, and the load average.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { execFileSync } from 'node:child_process';
import { parse } from 'csv-parse';
import { parseArgs, positive } from './bench-args.ts';
import { httpRequest } from './http-request.ts';
import { startServerProcess } from './server-process.ts';

const args = parseArgs(process.argv.slice(2));
const rows = positive(args.rows, 1_000_000, '--rows');
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

async function writeFile(file: string, now: number): Promise<void> {
  const out = fs.createWriteStream(file);
  out.write('visitor_code,goal,revenue,time,order_id\n');
  for (let i = 0; i < rows; i++) {
    if (!out.write(`${line(i, now).csv}\n`)) await new Promise<void>((resolve) => out.once('drain', () => resolve()));
  }
  await new Promise<void>((resolve) => out.end(() => resolve()));
}

/** Runs the real command; answers its wall time, peak RSS and JSON summary. */
async function runCommand(commandArgs: string[], env: Record<string, string> = {}): Promise<{ ms: number; peakRssMb: number; summary: Record<string, unknown> }> {
  const started = performance.now();
  const child = spawn(process.execPath, [bin, ...commandArgs], { stdio: ['ignore', 'pipe', 'inherit'], env: { ...process.env, ...env } });
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  let peakKb = 0;
  // VmHWM is the process's resident high-water mark: read until it exits, the last read is the peak.
  const poll = setInterval(() => {
    try {
      const hwm = /VmHWM:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (hwm) peakKb = Math.max(peakKb, Number(hwm[1]));
    } catch {
      // The process has exited.
    }
  }, 50);
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  clearInterval(poll);
  if (code !== 0) throw new Error(`anole ${commandArgs.join(' ')} exited ${code}: ${stdout}`);
  return { ms: performance.now() - started, peakRssMb: Math.round(peakKb / 1024), summary: JSON.parse(stdout) as Record<string, unknown> };
}

async function main(): Promise<void> {
  const commit = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { encoding: 'utf8' }).trim();
  console.log(`bench:import: ${rows} rows, concurrency ${concurrency}, commit ${commit}, ${os.cpus().length} cores, load ${load()}`);
  const now = Date.now();
  const file = path.join(work, 'orders.csv');
  await writeFile(file, now);
  console.log(`file: ${(fs.statSync(file).size / 1_048_576).toFixed(1)} MB`);

  // (a) csv-parse alone.
  let t = performance.now();
  let parsed = 0;
  for await (const _record of fs.createReadStream(file).pipe(parse())) parsed += 1;
  const csvParse = rate(parsed - 1, performance.now() - t);
  console.log(`(a) csv-parse alone:            ${csvParse} rows/s   load ${load()}`);

  // In process, into a fresh SQLite store.
  const dataDir = path.join(work, 'in-process');
  fs.mkdirSync(dataDir);
  const local = await runCommand(['import', file, '--site', 'bench', '--data-dir', dataDir, '--id-column', 'order_id', '--json', '--quiet', '--state-dir', path.join(work, 'state')]);
  if (local.summary.accepted !== rows) throw new Error(`in process: ${JSON.stringify(local.summary)}`);
  const inProcess = rate(rows, local.ms);
  console.log(`in process (--data-dir):        ${inProcess} rows/s   peak RSS ${local.peakRssMb} MB   ${(inProcess / csvParse).toFixed(2)}x (a)   load ${load()}`);

  // The same, with the store's memory settings turned down: what bounds the peak is the writer's
  // unmerged key tail (ANOLE_SQLITE_KEY_MERGE_AT) and SQLite's page cache (ANOLE_SQLITE_CACHE_MB).
  const smallDir = path.join(work, 'in-process-small');
  fs.mkdirSync(smallDir);
  const smallEnv = { ANOLE_SQLITE_KEY_MERGE_AT: '50000', ANOLE_SQLITE_CACHE_MB: '32' };
  const small = await runCommand(['import', file, '--site', 'bench', '--data-dir', smallDir, '--id-column', 'order_id', '--json', '--quiet', '--state-dir', path.join(work, 'state')], smallEnv);
  if (small.summary.accepted !== rows) throw new Error(`in process (small): ${JSON.stringify(small.summary)}`);
  const inProcessSmall = rate(rows, small.ms);
  console.log(`in process, merge at 50k, cache 32 MB: ${inProcessSmall} rows/s   peak RSS ${small.peakRssMb} MB   load ${load()}`);

  // (b) plain keep-alive client, 1,000-line bodies, into a fresh server.
  const lines: string[] = [];
  for (let i = 0; i < rows; i += 1000) {
    const body: string[] = [];
    for (let j = i; j < Math.min(rows, i + 1000); j++) body.push(line(j, now).wire);
    lines.push(body.join('\n'));
  }
  let server = await startServerProcess(path.join(work, 'baseline-server'));
  const agent = new http.Agent({ keepAlive: true, maxSockets: concurrency });
  t = performance.now();
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < lines.length) {
        const body = lines[next++]!;
        const res = await httpRequest(agent, { host: '127.0.0.1', port: server.port }, 'POST', '/visit/events?siteCode=bench', body);
        if (res.status !== 204) throw new Error(`baseline: ${res.status} ${res.text.slice(0, 200)}`);
      }
    }),
  );
  const plain = rate(rows, performance.now() - t);
  agent.destroy();
  await server.stop();
  console.log(`(b) plain client, 1000-line bodies: ${plain} rows/s   load ${load()}`);

  // Through a running server, into a fresh store.
  server = await startServerProcess(path.join(work, 'remote-server'));
  const remote = await runCommand([
    'import', file, '--site', 'bench', '--url', `http://127.0.0.1:${server.port}`, '--id-column', 'order_id', '--concurrency', String(concurrency),
    '--json', '--quiet', '--state-dir', path.join(work, 'state'),
  ]);
  await server.stop();
  if (remote.summary.accepted !== rows) throw new Error(`remote: ${JSON.stringify(remote.summary)}`);
  const throughServer = rate(rows, remote.ms);
  console.log(`through a server (--url):       ${throughServer} rows/s   peak RSS ${remote.peakRssMb} MB   ${(throughServer / plain).toFixed(2)}x (b)   load ${load()}`);

  console.log(
    JSON.stringify({ rows, commit, csvParseRowsPerS: csvParse, inProcessRowsPerS: inProcess, inProcessPeakRssMb: local.peakRssMb, inProcessSmallRowsPerS: inProcessSmall, inProcessSmallPeakRssMb: small.peakRssMb, plainClientRowsPerS: plain, remoteRowsPerS: throughServer, remotePeakRssMb: remote.peakRssMb, remoteVsPlain: Number((throughServer / plain).toFixed(2)), load: os.loadavg() }),
  );
}

main()
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  })
  .finally(() => fs.rmSync(work, { recursive: true, force: true }));
