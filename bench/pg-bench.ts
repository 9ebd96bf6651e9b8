/**
 * npm run bench:pg [-- --quick] [-- --events N] [-- --two-node-events M]
 *
 * Ingestion on PostgreSQL, end to end: real server processes (src/main.ts) on loopback ports, a
 * throwaway PostgreSQL cluster (fsync on, synchronous_commit on), line-format requests over HTTP.
 * 1. baseline: a bare COPY of the same kind of rows into the same events table (no HTTP, no parsing,
 *    no de-duplication), same run, same server;
 * 2. one node ingests N events (the store grows past N), reported per tenth of the run;
 * 3. two nodes ingest M more events together, on top of those N;
 * 4. the attribution worker (off while ingesting): one node catches up with the backlog the
 *    ingestion left, then recomputes every person after a settings change, first alone, then with a
 *    second node sharing the leased marks (persons/s from the backlog gauge, CPU per phase).
 *    `--no-worker` skips it; `--worker-minutes N` caps each of its phases (default 5).
 * CPU seconds of the node processes and of PostgreSQL are reported per phase, so the figures say
 * where the time went when the machine saturates. Everything stops by itself.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { startPostgresServer } from '../test/helpers/postgres-server.ts';
import { makeTempDir } from '../test/helpers/temp-dir.ts';
import { openPostgresStorage } from '../src/storage/postgres/postgres-storage.ts';
import { copyFrom } from './pg-copy.ts';
import { BENCH_RATE_LIMITS } from './server-process.ts';

function arg(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}
const quick = process.argv.includes('--quick');
const EVENTS = Number(arg('events') ?? (quick ? 600_000 : 10_000_000));
const TWO_NODE_EVENTS = Number(arg('two-node-events') ?? Math.max(200_000, Math.round(EVENTS / 5)));
const BATCH = Number(arg('batch') ?? 500);
const CONCURRENCY = Number(arg('concurrency') ?? 8);
const SITE = 'bench';
const WORKER = !process.argv.includes('--no-worker');
const WORKER_MINUTES = Number(arg('worker-minutes') ?? 5);
const ADMIN_KEY = 'pg-bench-admin-key-0123456789abcdef';

// ---- events ---------------------------------------------------------------------------------

let nonceCounter = Math.floor(Math.random() * 2 ** 40);
const nonce = () => (nonceCounter++).toString(16).padStart(16, '0');
/** A visitor sends about ten events; codes are spread over the key space as random codes are. */
const visitorCode = (n: number) => `v${((Math.floor(n / 10) * 2654435761) % 2 ** 32).toString(36).padStart(7, '0')}${Math.floor(n / 10)}`;

function line(n: number): string {
  const k = n % 997;
  const head = `nonce=${nonce()}&visitorCode=${visitorCode(n)}&`;
  switch (n % 5) {
    case 0:
    case 1:
      return `${head}eventType=page&href=https%3A%2F%2Fshop.example.com%2Fp%2F${k}&title=Product%20${k}`;
    case 2:
      return `${head}eventType=experiment&id=${100 + (k % 8)}&variationId=${k % 3}`;
    case 3:
      return `${head}eventType=customData&index=${k % 20}&valuesCountMap=%7B%22s${k % 13}%22%3A1%7D`;
    default:
      return `${head}eventType=conversion&goalId=${k % 50}&revenue=${(k % 200) + 0.99}`;
  }
}

/** The COPY baseline's rows: what the events table holds for the same kind of events. */
function copyRow(n: number, now: number): string {
  const k = n % 997;
  const data =
    n % 5 < 2
      ? `{"href":"https://shop.example.com/p/${k}","canonicalHref":null,"title":"Product ${k}","keyPagesIndices":[],"referrerHref":null,"referrersIndices":[]}`
      : `{"goalId":${k % 50},"revenue":${(k % 200) + 0.99},"negative":false,"metadata":{}}`;
  const type = n % 5 < 2 ? 'page' : 'conversion';
  return `1\t0\t${visitorCode(n)}\t${nonce()}\t${type}\t${now}\t${now}\t${data}\t0\t\\N\n`;
}

// ---- processes and CPU ----------------------------------------------------------------------

const TICKS = 100; // USER_HZ on Linux

function cpuSecondsOf(pid: number): number {
  try {
    const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(fields[11]) + Number(fields[12])) / TICKS;
  } catch {
    return 0;
  }
}

/** CPU seconds used so far by every PostgreSQL server process (children included once they exit). */
function postgresCpuSeconds(): number {
  let total = 0;
  for (const entry of fs.readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (fs.readFileSync(`/proc/${entry}/comm`, 'utf8').trim() !== 'postgres') continue;
      const fields = fs.readFileSync(`/proc/${entry}/stat`, 'utf8').split(') ')[1]!.split(' ');
      // utime + stime + cutime + cstime: exited backends are accounted to the postmaster.
      total += (Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14])) / TICKS;
    } catch {
      // The process ended while we looked.
    }
  }
  return total;
}

interface NodeProcess {
  url: string;
  child: ChildProcess;
}

async function startNode(databaseUrl: string, dataDir: string, worker = false): Promise<NodeProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts'], {
    env: {
      ANOLE_RATE_LIMITS: BENCH_RATE_LIMITS,
      ...process.env,
      DATABASE_URL: databaseUrl,
      ANOLE_PORT: '0',
      ANOLE_HOST: '127.0.0.1',
      ANOLE_DATA_DIR: dataDir,
      ANOLE_LOG_LEVEL: 'warn',
      ANOLE_WORKER: String(worker),
      ANOLE_PG_POOL_SIZE: '10',
      ANOLE_ADMIN_KEY: ADMIN_KEY,
      // Every node of a fleet hashes keys with the same secret.
      ANOLE_KEY_SECRET: 'fleet-key-secret-0123456789abcdefghijklmnop',
    },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    const timer = setTimeout(() => reject(new Error('node did not start within 60 s')), 60_000);
    child.stdout!.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /anole listening on (http:\/\/[0-9.:]+)/.exec(out);
      if (match) {
        clearTimeout(timer);
        resolve({ url: match[1]!, child });
      }
    });
    child.once('exit', (code) => reject(new Error(`node exited with ${code}`)));
  });
}

async function stopNode(node: NodeProcess): Promise<void> {
  if (node.child.exitCode !== null) return;
  const exited = new Promise((r) => node.child.once('exit', r));
  node.child.kill('SIGTERM');
  const timer = setTimeout(() => node.child.kill('SIGKILL'), 30_000);
  await exited;
  clearTimeout(timer);
}

// ---- load -----------------------------------------------------------------------------------

interface Window {
  storeEvents: number;
  eventsPerSecond: number;
  p99Ms: number;
}

interface PhaseResult {
  events: number;
  seconds: number;
  eventsPerSecond: number;
  p50Ms: number;
  p99Ms: number;
  windows: Window[];
  nodeCpuSeconds: number;
  postgresCpuSeconds: number;
}

const percentile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))] ?? NaN;

/** Posts `count` events starting at event number `first`, CONCURRENCY requests in flight per node. */
async function load(nodes: NodeProcess[], first: number, count: number, windowEvents: number): Promise<PhaseResult> {
  const cpu0 = nodes.reduce((s, n) => s + cpuSecondsOf(n.child.pid!), 0);
  const pg0 = postgresCpuSeconds();
  const start = performance.now();
  const latencies: number[] = [];
  const windows: Window[] = [];
  let windowStart = start;
  let windowLatencies: number[] = [];
  let windowDone = 0;
  let issued = 0;
  let done = 0;

  const client = async (node: NodeProcess) => {
    while (issued < count) {
      const size = Math.min(BATCH, count - issued);
      const from = first + issued;
      issued += size;
      const lines = new Array<string>(size);
      for (let i = 0; i < size; i++) lines[i] = line(from + i);
      const t0 = performance.now();
      const response = await fetch(`${node.url}/visit/events?siteCode=${SITE}`, { method: 'POST', body: lines.join('\n') });
      if (response.status !== 204) throw new Error(`ingest answered ${response.status}: ${await response.text()}`);
      const ms = performance.now() - t0;
      latencies.push(ms);
      windowLatencies.push(ms);
      done += size;
      windowDone += size;
      if (windowDone >= windowEvents) {
        const now = performance.now();
        windows.push({
          storeEvents: first + done,
          eventsPerSecond: Math.round(windowDone / ((now - windowStart) / 1000)),
          p99Ms: Math.round(percentile(windowLatencies.sort((a, b) => a - b), 0.99)),
        });
        console.error(`  store ${(first + done).toLocaleString('en')} events: ${windows.at(-1)!.eventsPerSecond.toLocaleString('en')} events/s, p99 ${windows.at(-1)!.p99Ms} ms`);
        windowStart = now;
        windowLatencies = [];
        windowDone = 0;
      }
    }
  };
  await Promise.all(nodes.flatMap((node) => Array.from({ length: CONCURRENCY }, () => client(node))));
  const seconds = (performance.now() - start) / 1000;
  latencies.sort((a, b) => a - b);
  return {
    events: count,
    seconds: Math.round(seconds * 10) / 10,
    eventsPerSecond: Math.round(count / seconds),
    p50Ms: Math.round(percentile(latencies, 0.5)),
    p99Ms: Math.round(percentile(latencies, 0.99)),
    windows,
    nodeCpuSeconds: Math.round(nodes.reduce((s, n) => s + cpuSecondsOf(n.child.pid!), 0) - cpu0),
    postgresCpuSeconds: Math.round(postgresCpuSeconds() - pg0),
  };
}

// ---- the attribution worker ----------------------------------------------------------------

const api = (node: NodeProcess, route: string, init: RequestInit = {}) =>
  fetch(`${node.url}${route}`, { ...init, headers: { Authorization: `Bearer ${ADMIN_KEY}`, 'Content-Type': 'application/json', ...init.headers } });

/** Identities waiting for the worker, from the node's /metrics. */
async function backlogOf(node: NodeProcess): Promise<number> {
  const match = /^anole_dirty_backlog (\S+)$/m.exec(await (await api(node, '/metrics')).text());
  return match ? Number(match[1]) : NaN;
}

interface Drain {
  nodes: number;
  backlogAtStart: number;
  seconds: number;
  personsPerSecond: number;
  caughtUp: boolean;
  nodeCpuSeconds: number;
  postgresCpuSeconds: number;
}

/** Waits until the backlog is empty (or WORKER_MINUTES passed), watching the first node's gauge. */
async function drain(nodes: NodeProcess[], label: string, started = performance.now(), first?: number): Promise<Drain> {
  const cpu0 = nodes.reduce((s, n) => s + cpuSecondsOf(n.child.pid!), 0);
  const pg0 = postgresCpuSeconds();
  const backlogAtStart = first ?? (await backlogOf(nodes[0]!));
  let backlog = backlogAtStart;
  let lastLog = performance.now();
  while (backlog > 0 && performance.now() - started < WORKER_MINUTES * 60_000) {
    await new Promise((resolve) => setTimeout(resolve, 200));
    backlog = await backlogOf(nodes[0]!);
    if (performance.now() - lastLog > 10_000) {
      lastLog = performance.now();
      console.error(`  ${label}: ${Math.round((lastLog - started) / 1000)} s, backlog ${backlog.toLocaleString('en')}`);
    }
  }
  const seconds = (performance.now() - started) / 1000;
  const handled = backlogAtStart - backlog;
  const result = {
    nodes: nodes.length,
    backlogAtStart,
    seconds: Math.round(seconds * 10) / 10,
    personsPerSecond: Math.round(handled / seconds),
    caughtUp: backlog === 0,
    nodeCpuSeconds: Math.round(nodes.reduce((s, n) => s + cpuSecondsOf(n.child.pid!), 0) - cpu0),
    postgresCpuSeconds: Math.round(postgresCpuSeconds() - pg0),
  };
  console.error(`${label}: ${handled.toLocaleString('en')} identities in ${result.seconds} s = ${result.personsPerSecond.toLocaleString('en')}/s${result.caughtUp ? '' : ' (did NOT finish)'}`);
  return result;
}

let periodStart = 0;
/**
 * The whole site recomputed: the analysis period of one experiment set to start at a new instant
 * near epoch 0 changes no figure but, like any period change, asks for a full recompute (one leased
 * scan of the site, whose steps any node may take in turn; the backlog counts the persons it has left).
 */
async function fullRecompute(nodes: NodeProcess[], label: string): Promise<Drain> {
  const { experiments: items } = (await (await api(nodes[0]!, `/api/sites/${SITE}/experiments`)).json()) as { experiments: { id: number }[] };
  if (items.length === 0) throw new Error('no experiment is registered: the worker registers them as it attributes');
  const id = items[0]!.id;
  const record = (await (await api(nodes[0]!, `/api/sites/${SITE}/experiments/${id}`)).json()) as Record<string, unknown>;
  const started = performance.now();
  const put = await api(nodes[0]!, `/api/sites/${SITE}/experiments/${id}`, {
    method: 'PUT',
    body: JSON.stringify({ name: record.name, variations: record.variations, referenceVariationId: record.referenceVariationId, analysisPeriod: { start: periodStart++, end: null } }),
  });
  if (!put.ok) throw new Error(`PUT experiment answered ${put.status}: ${await put.text()}`);
  return drain(nodes, label, started);
}

// ---- run ------------------------------------------------------------------------------------

async function main(): Promise<void> {
  const memoryGb = os.totalmem() / 2 ** 30;
  const sharedBuffers = `${Math.max(1, Math.min(8, Math.floor(memoryGb / 4)))}GB`;
  console.error(`pg-bench: ${EVENTS.toLocaleString('en')} events on one node, then ${TWO_NODE_EVENTS.toLocaleString('en')} on two; ${os.cpus().length} cores, ${Math.round(memoryGb)} GiB`);
  const server = await startPostgresServer({
    port: 55432,
    settings: {
      shared_buffers: `'${sharedBuffers}'`,
      max_wal_size: "'16GB'",
      checkpoint_timeout: "'15min'",
      wal_buffers: "'64MB'",
      max_connections: '100',
    },
  });
  const temp = makeTempDir('anole-pg-bench-');
  const nodes: NodeProcess[] = [];
  const admin = new pg.Client({ connectionString: server.adminUrl });
  try {
    await admin.connect();
    const urlOf = (db: string) => {
      const u = new URL(server.adminUrl);
      u.pathname = `/${db}`;
      return u.toString();
    };

    // 1. Bare COPY into the same table, same kind of rows, same count.
    await admin.query('CREATE DATABASE anole_copy');
    await (await openPostgresStorage({ url: urlOf('anole_copy'), poolSize: 1 })).close();
    const copyClient = new pg.Client({ connectionString: urlOf('anole_copy') });
    await copyClient.connect();
    const now = Date.now();
    function* chunks(): Generator<Buffer> {
      for (let n = 0; n < EVENTS; n += 10_000) {
        let text = '';
        for (let i = n; i < Math.min(EVENTS, n + 10_000); i++) text += copyRow(i, now);
        yield Buffer.from(text);
      }
    }
    const pg0 = postgresCpuSeconds();
    const copyStart = performance.now();
    const copied = await copyFrom(copyClient, 'COPY events (site_id, id_kind, identity, nonce, type, time, received_at, data, itp, sdk) FROM STDIN', chunks());
    const copySeconds = (performance.now() - copyStart) / 1000;
    const copyPgCpu = Math.round(postgresCpuSeconds() - pg0);
    await copyClient.end();
    await admin.query('DROP DATABASE anole_copy');
    const copy = { events: copied, seconds: Math.round(copySeconds * 10) / 10, eventsPerSecond: Math.round(copied / copySeconds), postgresCpuSeconds: copyPgCpu };
    console.error(`COPY baseline: ${copy.eventsPerSecond.toLocaleString('en')} events/s`);

    // 2. One node.
    await admin.query('CREATE DATABASE anole_bench');
    const url = urlOf('anole_bench');
    nodes.push(await startNode(url, path.join(temp.dir, 'node0')));
    const windowEvents = Math.max(BATCH * CONCURRENCY, Math.round(EVENTS / 10));
    const oneNode = await load(nodes, 0, EVENTS, windowEvents);
    console.error(`one node: ${oneNode.eventsPerSecond.toLocaleString('en')} events/s, p99 ${oneNode.p99Ms} ms`);

    // 3. Two nodes, on top of the store the first phase filled.
    nodes.push(await startNode(url, path.join(temp.dir, 'node1')));
    const twoNodes = await load(nodes, EVENTS, TWO_NODE_EVENTS, Math.max(BATCH * CONCURRENCY * 2, Math.round(TWO_NODE_EVENTS / 4)));
    console.error(`two nodes: ${twoNodes.eventsPerSecond.toLocaleString('en')} events/s, p99 ${twoNodes.p99Ms} ms`);

    const db = new pg.Client({ connectionString: url });
    await db.connect();
    const stored = await db.query<{ n: string; bytes: string }>("SELECT count(*) AS n, pg_total_relation_size('events') AS bytes FROM events");
    await db.end();
    const oneNodeTail = oneNode.windows.at(-1)?.eventsPerSecond ?? oneNode.eventsPerSecond;

    // 4. The worker: the ingestion's backlog on one node, then a full recompute on one and on two.
    let worker: { catchUp: Drain; fullRecomputeOneNode: Drain; fullRecomputeTwoNodes: Drain; twoNodeSpeedup: number } | null = null;
    if (WORKER) {
      for (const node of nodes.splice(0)) await stopNode(node);
      nodes.push(await startNode(url, path.join(temp.dir, 'node0'), true));
      const catchUp = await drain(nodes, 'worker, one node, catch-up after the ingestion');
      const fullRecomputeOneNode = await fullRecompute(nodes, 'worker, one node, full recompute');
      nodes.push(await startNode(url, path.join(temp.dir, 'node1'), true));
      const fullRecomputeTwoNodes = await fullRecompute(nodes, 'worker, two nodes, full recompute');
      worker = {
        catchUp,
        fullRecomputeOneNode,
        fullRecomputeTwoNodes,
        twoNodeSpeedup: Math.round((fullRecomputeTwoNodes.personsPerSecond / fullRecomputeOneNode.personsPerSecond) * 100) / 100,
      };
    }
    const report = {
      machine: { cores: os.cpus().length, memoryGiB: Math.round(memoryGb), postgres: (await admin.query<{ v: string }>("SELECT current_setting('server_version') AS v")).rows[0]?.v },
      settings: { batch: BATCH, concurrencyPerNode: CONCURRENCY, sharedBuffers, fsync: 'on', synchronousCommit: 'on' },
      copy,
      oneNode,
      twoNodes,
      twoNodeSpeedupVsOneNodeTail: Math.round((twoNodes.eventsPerSecond / oneNodeTail) * 100) / 100,
      worker,
      storedEvents: Number(stored.rows[0]!.n),
      eventsTableBytes: Number(stored.rows[0]!.bytes),
    };
    console.log(JSON.stringify(report, null, 2));
  } finally {
    for (const node of nodes) await stopNode(node);
    await admin.end().catch(() => undefined);
    await server.stop();
    temp.remove();
  }
}

await main();
