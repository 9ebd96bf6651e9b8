/**
 * Where the server's CPU goes per ingested event: starts the real server (`src/main.ts`) with
 * `--cpu-prof`, posts 100-event line-format bodies for a few seconds from a separate load process,
 * stops it, and prints the profile's self time per event by area (storage, ingest, HTTP framework,
 * Node internals, garbage collection, idle) and the heaviest functions.
 *
 *   ANOLE_WORKER=false npx tsx bench/profile-ingest.ts [--seconds=15] [--connections=16] [--events-per-request=100]
 *
 * The .cpuprofile file is kept (its path is printed) for a closer look in Chrome DevTools; the
 * server's data directory is deleted.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { runLoad } from './run-load.ts';

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}
interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function flag(name: string, fallback: number): number {
  const arg = process.argv.slice(2).find((a) => a.startsWith(`--${name}=`));
  const n = arg ? Number(arg.slice(name.length + 3)) : fallback;
  if (!Number.isFinite(n) || n <= 0) throw new Error(`--${name} must be a positive number`);
  return n;
}

const seconds = flag('seconds', 15);
const connections = Math.floor(flag('connections', 16));
const eventsPerRequest = Math.floor(flag('events-per-request', 100));

/** The area a function belongs to, from its script URL. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame;
  if (functionName === '(garbage collector)') return 'gc';
  if (functionName === '(idle)') return 'idle';
  if (functionName === '(program)') return 'program (native, unattributed)';
  if (url.includes('/src/storage/')) return 'src/storage';
  if (url.includes('/src/ingest/')) return 'src/ingest';
  if (url.includes('/src/http/')) return 'src/http';
  if (url.includes('/src/')) return 'src (other)';
  if (url.includes('better-sqlite3')) return 'better-sqlite3';
  if (url.includes('/prom-client/')) return 'prom-client';
  if (url.includes('/node_modules/fastify') || url.includes('/node_modules/@fastify') || url.includes('find-my-way') || url.includes('/avvio/') || url.includes('light-my-request') || url.includes('/ajv') || url.includes('fast-json-stringify')) return 'fastify';
  if (url.includes('/pino') || url.includes('abstract-logging')) return 'logging';
  if (url.includes('/node_modules/')) return 'node_modules (other)';
  if (url.startsWith('node:')) return 'node internals (http, net, streams)';
  if (url === '') return `native: ${functionName || '(anonymous)'}`;
  return 'other';
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-profile-'));
const profDir = path.join(dir, 'prof');
const port = await new Promise<number>((resolve, reject) => {
  const probe = net.createServer();
  probe.once('error', reject);
  probe.listen(0, '127.0.0.1', () => {
    const { port: free } = probe.address() as net.AddressInfo;
    probe.close(() => resolve(free));
  });
});
// As bench/server-process.ts starts it, plus --cpu-prof (which NODE_OPTIONS does not allow).
const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${profDir}`, '--import', 'tsx', fileURLToPath(new URL('../src/main.ts', import.meta.url))], {
  env: { ...process.env, ANOLE_HOST: '127.0.0.1', ANOLE_PORT: String(port), ANOLE_DATA_DIR: path.join(dir, 'data'), ANOLE_LOG_LEVEL: 'warn' },
  stdio: ['ignore', 'ignore', 'inherit'],
});
const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
const killer = setTimeout(() => child.kill('SIGKILL'), seconds * 1000 + 120_000);
const server = {
  port,
  async stop() {
    child.kill('SIGTERM');
    await exited;
    clearTimeout(killer);
  },
};
for (let ready = false; !ready; ) {
  if (child.exitCode !== null) throw new Error(`server exited with ${child.exitCode} before it was ready`);
  ready = await fetch(`http://127.0.0.1:${port}/health`).then((r) => r.status === 200, () => false);
  if (!ready) await new Promise((resolve) => setTimeout(resolve, 100));
}
let stats;
try {
  stats = await runLoad({
    mode: 'post', host: '127.0.0.1', port: server.port, siteCode: 'profile', connections, eventsPerRequest,
    firstEvent: 0, maxEvents: Number.MAX_SAFE_INTEGER, durationMs: seconds * 1000, segmentEvents: 0, visitors: 0,
  });
} finally {
  await server.stop();
  // Only the profile is kept.
  fs.rmSync(path.join(dir, 'data'), { recursive: true, force: true });
}
const file = fs.readdirSync(profDir).map((f) => path.join(profDir, f)).find((f) => f.endsWith('.cpuprofile'));
if (!file) throw new Error(`no profile written in ${profDir}`);
const profile = JSON.parse(fs.readFileSync(file, 'utf8')) as Profile;

const byId = new Map(profile.nodes.map((n) => [n.id, n]));
const parentOf = new Map<number, number>();
for (const n of profile.nodes) for (const c of n.children ?? []) parentOf.set(c, n.id);
// Only the samples while the load ran: from the first to the last sample inside ingestEvents, so
// that start-up (module loading, migrations) and shutdown do not count.
const inIngest = (id: number): boolean => {
  for (let at: number | undefined = id; at !== undefined; at = parentOf.get(at)) {
    if (byId.get(at)!.callFrame.functionName === 'ingestEvents') return true;
  }
  return false;
};
const stamps: number[] = [];
let clock = profile.startTime;
for (const delta of profile.timeDeltas) stamps.push((clock += delta));
const ingestSamples = profile.samples.map((id, i) => (inIngest(id) ? i : -1)).filter((i) => i >= 0);
const first = ingestSamples[0] ?? 0;
const last = ingestSamples.at(-1) ?? profile.samples.length - 1;
const selfUs = new Map<number, number>();
for (let i = first + 1; i <= last; i++) {
  const id = profile.samples[i]!;
  selfUs.set(id, (selfUs.get(id) ?? 0) + (stamps[i]! - stamps[i - 1]!));
}
const windowMs = (stamps[last]! - stamps[first]!) / 1000;
const areas = new Map<string, number>();
const functions = new Map<string, number>();
let total = 0;
for (const [id, us] of selfUs) {
  const frame = byId.get(id)!.callFrame;
  total += us;
  areas.set(areaOf(frame), (areas.get(areaOf(frame)) ?? 0) + us);
  const where = frame.url ? `${frame.url.replace(/^.*\/(node_modules|src)\//, '$1/')}:${frame.lineNumber + 1}` : '';
  const parent = byId.get(parentOf.get(id) ?? -1)?.callFrame.functionName;
  const key = `${frame.functionName || '(anonymous)'} ${where}${frame.url ? '' : ` ← ${parent || '(anonymous)'}`}`;
  functions.set(key, (functions.get(key) ?? 0) + us);
}

// Events acknowledged during the profiled window, assuming a steady rate over the load.
const events = stats.events * Math.min(1, windowMs / stats.elapsedMs);
const perEvent = (us: number) => (us / events).toFixed(2).padStart(8);
console.log(`profile of the server under ${connections} connections × ${eventsPerRequest}-event requests for ${seconds} s:`);
console.log(`${events.toLocaleString('en-US')} events acknowledged, ${Math.round(events / (stats.elapsedMs / 1000)).toLocaleString('en-US')} events/s, ack p50 ${stats.latency.p50.toFixed(1)} ms, p99 ${stats.latency.p99.toFixed(1)} ms, ${stats.errors} errors`);
console.log(`profiled window ${(windowMs / 1000).toFixed(1)} s of ${(stats.elapsedMs / 1000).toFixed(1)} s of load (start-up and shutdown left out); self time per acknowledged event:`);
console.log(`${'area'.padEnd(40)} ${'µs/event'.padStart(8)} ${'share'.padStart(7)}`);
for (const [area, us] of [...areas].sort((a, b) => b[1] - a[1])) {
  console.log(`${area.padEnd(40)} ${perEvent(us)} ${((us / total) * 100).toFixed(1).padStart(6)}%`);
}
const busy = total - (areas.get('idle') ?? 0);
console.log(`${'busy (all but idle)'.padEnd(40)} ${perEvent(busy)}`);
const storage = (areas.get('better-sqlite3') ?? 0) + (areas.get('src/storage') ?? 0);
console.log(`${'outside storage (busy − storage)'.padEnd(40)} ${perEvent(busy - storage)}`);
console.log('\nheaviest functions (self time):');
for (const [name, us] of [...functions].sort((a, b) => b[1] - a[1]).slice(0, 40)) {
  console.log(`${perEvent(us)} µs/event  ${name}`);
}
console.log(`\nprofile: ${file}`);
