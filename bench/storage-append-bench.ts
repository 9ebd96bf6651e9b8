/**
 * The storage part of ingestion alone: `appendEvents` of the SQLite adapter, 1,600 events per call
 * (one group commit of 16 connections × 100 events), on the bench's visitors and nonces, while the
 * store grows. Prints per segment the events/s of storage time and the slowest call, including
 * the merge steps the adapter runs between calls. `--root` points at another checkout to compare.
 *
 *   npx tsx bench/storage-append-bench.ts [--events=N] [--segment=N] [--root=DIR] [--wal-pages=N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { randomNonce, visitorCodeOf, visitorOfEvent } from './event-source.ts';
import type { VisitorEvent } from '../src/core/events.ts';
import type { SiteEvent, Storage } from '../src/storage/port.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const EVENTS = Number(args.events ?? 2_000_000);
const SEGMENT = Number(args.segment ?? 250_000);
const PER_CALL = 1_600;
const root = path.resolve(args.root ?? path.join(import.meta.dirname, '..'));
const { openSqliteStorage } = (await import(pathToFileURL(path.join(root, 'src/storage/sqlite/sqlite-storage.ts')).href)) as {
  openSqliteStorage: (o: { file: string; cacheMb?: number; walAutocheckpointPages?: number }) => Storage;
};

const T = Date.now();
function event(n: number): VisitorEvent {
  const k = n % 997;
  const identity = { kind: 'visitorCode' as const, value: visitorCodeOf(visitorOfEvent(n)) };
  const base = { identity, nonce: randomNonce(), time: T + n, receivedAt: T + n, itp: false, sdk: null };
  return n % 2 === 0
    ? ({ ...base, type: 'page', data: { href: `https://shop.example.com/products/${k}?utm_source=newsletter`, title: `Product ${k} | Example Shop`, referrersIndices: [k % 7] } } as VisitorEvent)
    : ({ ...base, type: 'experiment', data: { id: 100 + (k % 8), variationId: 1000 + (k % 3) } } as VisitorEvent);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-append-'));
const storage = openSqliteStorage({ file: path.join(dir, 'anole.db'), walAutocheckpointPages: Number(args['wal-pages'] ?? 16_000) });
const site = (await storage.ensureSite('bench', { visitTimeoutMs: 1_800_000 } as never)).id;
const yieldLoop = () => new Promise((resolve) => setImmediate(resolve));
console.log(`root ${root}; load average ${os.loadavg().map((l) => l.toFixed(1)).join(' ')}`);
console.log('store size    events/s   slowest call (ms)   p99 call (ms)');
let n = 0;
let segMs = 0;
let segEvents = 0;
let calls: number[] = [];
while (n < EVENTS) {
  const batch: SiteEvent[] = [];
  for (let i = 0; i < PER_CALL; i++) batch.push({ siteId: site, event: event(n + i) });
  const t0 = performance.now();
  await storage.appendEvents(batch);
  // Whatever the adapter scheduled between commits (merge steps) runs here and is counted.
  await yieldLoop();
  const ms = performance.now() - t0;
  calls.push(ms);
  segMs += ms;
  n += PER_CALL;
  segEvents += PER_CALL;
  if (segEvents >= SEGMENT) {
    calls.sort((a, b) => a - b);
    const p99 = calls[Math.floor(calls.length * 0.99)] ?? NaN;
    console.log(`${n.toLocaleString('en-US').padStart(10)} ${Math.round(segEvents / (segMs / 1000)).toLocaleString('en-US').padStart(11)} ${calls.at(-1)!.toFixed(0).padStart(19)} ${p99.toFixed(0).padStart(15)}`);
    segMs = 0;
    segEvents = 0;
    calls = [];
  }
}
const bytes = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
await storage.close();
console.log(JSON.stringify({ bench: 'storage-append', root, events: n, storeBytes: bytes, loadAvgEnd: os.loadavg() }));
fs.rmSync(dir, { recursive: true, force: true });
