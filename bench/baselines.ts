/**
 * The two baselines every figure is compared with, measured on the same kind of events:
 * - a bare durable append: the events' lines appended to a file, fsync'd once per batch (the
 *   physical limit of any durable store on this disk);
 * - a bare better-sqlite3 batched insert into a table with the usual two indexes, a unique
 *   (site, visitor, nonce) for de-duplication and a (site, visitor, time) for visitor reads, in WAL
 *   mode with synchronous=FULL, one transaction per batch.
 */
import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import { EVENTS_PER_VISITOR, eventLine, visitorCodeOf } from './event-source.ts';
import { LatencyLog, type LatencySummary } from './latency.ts';

export interface AppendBaseline {
  eventsPerFsync: number;
  events: number;
  eventsPerSecond: number;
  fsyncsPerSecond: number;
}

/** Appends `events` lines in batches of `eventsPerFsync`, timing only write + fsync. */
export function measureDurableAppend(dir: string, options: { events: number; eventsPerFsync: number }): AppendBaseline {
  const file = path.join(dir, `append-${options.eventsPerFsync}.log`);
  const fd = fs.openSync(file, 'a');
  let busyMs = 0;
  let written = 0;
  let fsyncs = 0;
  try {
    while (written < options.events) {
      const count = Math.min(options.eventsPerFsync, options.events - written);
      const lines: string[] = new Array(count);
      for (let i = 0; i < count; i++) lines[i] = eventLine(written + i);
      const buffer = Buffer.from(lines.join('\n') + '\n');
      const t0 = performance.now();
      fs.writeSync(fd, buffer);
      fs.fdatasyncSync(fd);
      busyMs += performance.now() - t0;
      written += count;
      fsyncs += 1;
    }
  } finally {
    fs.closeSync(fd);
    fs.rmSync(file, { force: true });
  }
  return { eventsPerFsync: options.eventsPerFsync, events: written, eventsPerSecond: written / (busyMs / 1000), fsyncsPerSecond: fsyncs / (busyMs / 1000) };
}

export interface SqliteBaseline {
  eventsPerTransaction: number;
  /** Rows in the table when the measurement stopped. */
  rows: number;
  /** Rate over the whole fill. */
  eventsPerSecond: number;
  /** Rate over the last segment: what the store sustains at its final size. */
  finalEventsPerSecond: number;
  segments: { rows: number; eventsPerSecond: number }[];
  /** A visitor read (every row of one visitor through the visitor index) on the final table. */
  read: LatencySummary;
}

interface ParsedLine {
  visitor: string;
  nonce: string;
  type: string;
  data: string;
}

/** Just enough parsing to fill the columns; the server's own parsing is not part of this baseline. */
function splitLine(line: string): ParsedLine {
  const fields = new Map<string, string>();
  for (const part of line.split('&')) {
    const eq = part.indexOf('=');
    fields.set(part.slice(0, eq), part.slice(eq + 1));
  }
  return { visitor: fields.get('visitorCode')!, nonce: fields.get('nonce')!, type: fields.get('eventType')!, data: line };
}

/** Fills a fresh table to `events` rows (or until `maxMs`), timing only the inserts and commits. */
export function measureSqliteInsert(
  dir: string,
  options: { events: number; eventsPerTransaction: number; segmentEvents: number; maxMs: number; cacheMb: number },
): SqliteBaseline {
  const file = path.join(dir, 'baseline.db');
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = ${-1024 * options.cacheMb}`);
  db.exec(`
    CREATE TABLE events (
      id INTEGER PRIMARY KEY,
      site_id INTEGER NOT NULL,
      visitor_code TEXT NOT NULL,
      nonce TEXT NOT NULL,
      type TEXT NOT NULL,
      time INTEGER NOT NULL,
      data TEXT NOT NULL
    );
    CREATE UNIQUE INDEX events_dedup ON events (site_id, visitor_code, nonce);
    CREATE INDEX events_by_visitor ON events (site_id, visitor_code, time);
  `);
  const insert = db.prepare('INSERT OR IGNORE INTO events (site_id, visitor_code, nonce, type, time, data) VALUES (1, ?, ?, ?, ?, ?)');
  const insertBatch = db.transaction((rows: ParsedLine[], time: number) => {
    for (const row of rows) insert.run(row.visitor, row.nonce, row.type, time, row.data);
  });

  const segments: SqliteBaseline['segments'] = [];
  let rows = 0;
  let busyMs = 0;
  let segmentMs = 0;
  let segmentRows = 0;
  const reads = new LatencyLog();
  try {
    while (rows < options.events && busyMs < options.maxMs) {
      const count = Math.min(options.eventsPerTransaction, options.events - rows);
      const batch: ParsedLine[] = new Array(count);
      for (let i = 0; i < count; i++) batch[i] = splitLine(eventLine(rows + i));
      const t0 = performance.now();
      insertBatch.immediate(batch, Date.now());
      const ms = performance.now() - t0;
      busyMs += ms;
      segmentMs += ms;
      rows += count;
      segmentRows += count;
      if (segmentRows >= options.segmentEvents) {
        segments.push({ rows, eventsPerSecond: segmentRows / (segmentMs / 1000) });
        segmentRows = 0;
        segmentMs = 0;
      }
    }
    if (segmentRows > 0) segments.push({ rows, eventsPerSecond: segmentRows / (segmentMs / 1000) });
    const select = db.prepare('SELECT * FROM events WHERE site_id = 1 AND visitor_code = ? ORDER BY time');
    const visitors = Math.max(1, Math.floor(rows / EVENTS_PER_VISITOR));
    for (let i = 0; i < 2000; i++) {
      const code = visitorCodeOf(Math.floor(Math.random() * visitors));
      const t0 = performance.now();
      select.all(code);
      reads.add(performance.now() - t0);
    }
  } finally {
    db.close();
    for (const suffix of ['', '-wal', '-shm']) fs.rmSync(file + suffix, { force: true });
  }
  return {
    eventsPerTransaction: options.eventsPerTransaction,
    rows,
    eventsPerSecond: rows / (busyMs / 1000),
    finalEventsPerSecond: segments.at(-1)?.eventsPerSecond ?? NaN,
    segments,
    read: reads.summary(),
  };
}
