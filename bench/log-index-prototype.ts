/**
 * A bare prototype of the write path docs/performance.md proposes, on the bench's events, to see
 * whether its cost stays flat as the store grows (not wired into the server):
 * - events are appended to a rowid-ordered log, so a commit writes only new pages at the end;
 * - the (site, identity, nonce) key index is compact integers and is not updated per commit: keys of
 *   the unindexed tail are held in memory and merged into the index in sorted chunks once the tail is
 *   large, so each index page is rewritten once per merge rather than once per event;
 * - de-duplication checks the in-memory tail, then probes the index (a read, no write).
 *
 *   npx tsx bench/log-index-prototype.ts [--events=N] [--segment=N] [--max-seconds=N] [--merge-at=N]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import Database from 'better-sqlite3';
import { eventLine } from './event-source.ts';

const args = Object.fromEntries(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const EVENTS = Number(args.events ?? 10_000_000);
const SEGMENT = Number(args.segment ?? 1_000_000);
const MAX_MS = Number(args['max-seconds'] ?? 600) * 1000;
const PER_TXN = 1_600;
const MERGE_AT = Number(args['merge-at'] ?? 500_000);
const MERGE_CHUNK = 25_000;

function hash53(s: string): number {
  let h1 = 0xdeadbeef;
  let h2 = 0x41c6ce57;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 2654435761);
    h2 = Math.imul(h2 ^ c, 1597334677);
  }
  h1 = Math.imul(h1 ^ (h1 >>> 16), 2246822507) ^ Math.imul(h2 ^ (h2 >>> 13), 3266489909);
  h2 = Math.imul(h2 ^ (h2 >>> 16), 2246822507) ^ Math.imul(h1 ^ (h1 >>> 13), 3266489909);
  return 4294967296 * (2097151 & h2) + (h1 >>> 0);
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'anole-proto-'));
const db = new Database(path.join(dir, 'proto.db'));
db.pragma('journal_mode = WAL');
db.pragma('synchronous = FULL');
db.pragma('cache_size = -524288');
db.pragma('wal_autocheckpoint = 16000');
db.exec(`
  CREATE TABLE event_log (seq INTEGER PRIMARY KEY, site_id INTEGER NOT NULL, id_kind INTEGER NOT NULL, identity TEXT NOT NULL,
    nonce TEXT NOT NULL, type TEXT NOT NULL, time INTEGER NOT NULL, data TEXT NOT NULL);
  CREATE TABLE event_keys (site_id INTEGER NOT NULL, vkey INTEGER NOT NULL, nkey INTEGER NOT NULL, seq INTEGER NOT NULL,
    PRIMARY KEY (site_id, vkey, nkey, seq)) WITHOUT ROWID;
  CREATE TABLE counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL) WITHOUT ROWID;
  INSERT INTO counters VALUES ('indexed_seq', 0);
`);
const appendRow = db.prepare('INSERT INTO event_log (site_id, id_kind, identity, nonce, type, time, data) VALUES (1, 0, ?, ?, ?, ?, ?)');
const probe = db.prepare<[number, number], { seq: number }>('SELECT seq FROM event_keys WHERE site_id = 1 AND vkey = ? AND nkey = ?');
const rowOf = db.prepare<[number], { identity: string; nonce: string }>('SELECT identity, nonce FROM event_log WHERE seq = ?');
const insertKey = db.prepare('INSERT OR IGNORE INTO event_keys VALUES (1, ?, ?, ?)');
const setIndexed = db.prepare("UPDATE counters SET value = ? WHERE name = 'indexed_seq'");

type Key = [vkey: number, nkey: number, seq: number];
let tail = new Set<string>();
let tailKeys: Key[] = [];
let merging: { exact: Set<string>; keys: Key[]; next: number; maxSeq: number } | null = null;

interface Parsed { visitor: string; nonce: string; type: string; line: string }
function parse(line: string): Parsed {
  const f = new Map(line.split('&').map((p) => p.split('=') as [string, string]));
  return { visitor: f.get('visitorCode')!, nonce: f.get('nonce')!, type: f.get('eventType')!, line };
}

let duplicates = 0;
const commit = db.transaction((batch: Parsed[]) => {
  const added: [string, Key][] = [];
  const seen = new Set<string>();
  for (const e of batch) {
    const exact = `${e.visitor}\u0000${e.nonce}`;
    const vkey = hash53(e.visitor);
    const nkey = hash53(e.nonce);
    const dup = seen.has(exact) || tail.has(exact) || (merging?.exact.has(exact) ?? false) ||
      probe.all(vkey, nkey).some(({ seq }) => { const r = rowOf.get(seq); return r?.identity === e.visitor && r.nonce === e.nonce; });
    if (dup) { duplicates += 1; continue; }
    seen.add(exact);
    const seq = Number(appendRow.run(e.visitor, e.nonce, e.type, Date.now(), e.line).lastInsertRowid);
    added.push([exact, [vkey, nkey, seq]]);
  }
  return added;
});

const mergeChunk = db.transaction((keys: Key[], last: boolean, maxSeq: number) => {
  for (const [v, n, s] of keys) insertKey.run(v, n, s);
  if (last) setIndexed.run(maxSeq);
});

function stepMerge(): void {
  if (!merging && tailKeys.length >= MERGE_AT) {
    const keys = tailKeys.sort((a, b) => a[0] - b[0] || a[1] - b[1] || a[2] - b[2]);
    let maxSeq = 0;
    for (const k of keys) maxSeq = Math.max(maxSeq, k[2]);
    merging = { exact: tail, keys, next: 0, maxSeq };
    tail = new Set();
    tailKeys = [];
  }
  if (!merging) return;
  const chunk = merging.keys.slice(merging.next, merging.next + MERGE_CHUNK);
  merging.next += chunk.length;
  const last = merging.next >= merging.keys.length;
  // The index is derived from the log: a lost merge chunk is redone from the watermark on restart.
  db.pragma('synchronous = NORMAL');
  mergeChunk(chunk, last, merging.maxSeq);
  db.pragma('synchronous = FULL');
  if (last) merging = null;
}

const started = performance.now();
let n = 0;
let segRows = 0;
let segMs = 0;
let maxCommitMs = 0;
console.log('rows        events/s   (commit + merge time only; one core)');
while (n < EVENTS && performance.now() - started < MAX_MS) {
  const batch: Parsed[] = [];
  for (let i = 0; i < PER_TXN; i++) batch.push(parse(eventLine(n + i)));
  const t0 = performance.now();
  for (const [exact, key] of commit.immediate(batch)) {
    tail.add(exact);
    tailKeys.push(key);
  }
  stepMerge();
  const ms = performance.now() - t0;
  maxCommitMs = Math.max(maxCommitMs, ms);
  segMs += ms;
  n += PER_TXN;
  segRows += PER_TXN;
  if (segRows >= SEGMENT) {
    console.log(`${n.toLocaleString('en-US').padStart(10)} ${Math.round(segRows / (segMs / 1000)).toLocaleString('en-US').padStart(10)}   max commit+merge step ${maxCommitMs.toFixed(0)} ms`);
    segRows = 0;
    segMs = 0;
    maxCommitMs = 0;
  }
}
const bytes = fs.readdirSync(dir).reduce((s, f) => s + fs.statSync(path.join(dir, f)).size, 0);
console.log(JSON.stringify({ prototype: 'log+deferred-index', rows: n, duplicates, storeBytes: bytes, loadAvg: os.loadavg() }));
db.close();
fs.rmSync(dir, { recursive: true, force: true });
