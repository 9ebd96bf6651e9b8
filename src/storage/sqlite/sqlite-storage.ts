import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { linkFromEvent } from '../../core/identity.ts';
import { fromEventRow, fromLinkRow, fromSiteRow, identityKindCode, toEventRow, type EventRow, type LinkRow, type SiteRow } from '../event-rows.ts';
import type { AppendVerdict, SiteEvent, Storage, StoreStats } from '../port.ts';
import { SQLITE_MIGRATIONS } from './schema.ts';
import { sqliteEventLog } from './sqlite-event-log.ts';
import { keyHash, type LoggedKey } from './sqlite-event-keys.ts';
import { sqliteForget } from './sqlite-forget.ts';
import { sqliteApiKeys } from './sqlite-api-keys.ts';
import { sqliteDerived } from './sqlite-derived.ts';
import { sqliteMaps } from './sqlite-maps.ts';

export interface SqliteOptions {
  /** Path of the database file; its directory is created if needed. */
  file: string;
  /** Page cache size in MiB: the working set of the event index should fit. */
  cacheMb?: number;
  /**
   * WAL size in pages that triggers a checkpoint. Random-key inserts dirty many pages per commit;
   * checkpointing after every commit (SQLite's default of 1000 pages) writes them all twice as often.
   */
  walAutocheckpointPages?: number;
  /** Events whose keys are held in memory before they are merged into the on-disk key index. */
  keyMergeAt?: number;
  /** Longest one merge step holds the writer, in ms. */
  keyMergeStepMs?: number;
}

function migrate(db: Database.Database): void {
  const current = db.pragma('user_version', { simple: true }) as number;
  for (let version = current; version < SQLITE_MIGRATIONS.length; version++) {
    db.transaction(() => {
      db.exec(SQLITE_MIGRATIONS[version] ?? '');
      db.pragma(`user_version = ${version + 1}`);
    }).immediate();
  }
}

/**
 * The embedded store: one SQLite file in WAL mode with synchronous=FULL, so a commit is on disk
 * (the WAL is fsync'd) before appendEvents resolves. better-sqlite3 is synchronous; the port is
 * asynchronous so both adapters look the same to callers.
 */
export function openSqliteStorage(options: SqliteOptions): Storage {
  fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  // Owner-only: SQLite gives the -wal and -shm files the mode of the database file, so creating it
  // 0600 first covers all three; files of earlier versions (0644) are tightened.
  fs.closeSync(fs.openSync(options.file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(options.file + suffix)) fs.chmodSync(options.file + suffix, 0o600);
  const db = new Database(options.file);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = ${-1024 * (options.cacheMb ?? 512)}`);
  db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 16_000}`);
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.function('anole_key_hash', { deterministic: true }, (text: unknown) => keyHash(String(text)));
  migrate(db);

  const findSite = db.prepare<[string], SiteRow>('SELECT id, code, settings FROM sites WHERE code = ?');
  const listSites = db.prepare<[number], SiteRow>('SELECT id, code, settings FROM sites ORDER BY code LIMIT ?');
  const lastSeq = db.prepare<[], { seq: number | null }>('SELECT MAX(seq) AS seq FROM events');
  // The log is in seq (commit) order: walking it backwards from its end reads at most `scan` rows.
  const latest = db.prepare<[number, number, number, string | null, string | null, string | null, string | null, number], EventRow>(
    `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events
     WHERE seq > ? AND site_id = ? AND received_at >= ? AND (? IS NULL OR type = ?) AND (? IS NULL OR identity = ?)
     ORDER BY seq DESC LIMIT ?`,
  );
  const insertSite = db.prepare('INSERT INTO sites (code, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING');
  const log = sqliteEventLog(db, { mergeAt: options.keyMergeAt ?? 200_000, mergeStepMs: options.keyMergeStepMs ?? 10 });
  const insertLink = db.prepare(
    'INSERT INTO identity_links (site_id, mapping_value, visitor_code, time, nonce) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  // The index does not hold `time`, and without it SQLite's planner prefers the primary key on
  // site_id alone: a scan of every link of the site per lookup (40 µs at 800 links, ms at 40,000).
  const linksOfCode = db.prepare<[number, string], LinkRow>(
    'SELECT mapping_value, visitor_code, time, nonce FROM identity_links INDEXED BY identity_links_by_code WHERE site_id = ? AND visitor_code = ?',
  );
  const linksOfValue = db.prepare<[number, string], LinkRow>(
    'SELECT mapping_value, visitor_code, time, nonce FROM identity_links WHERE site_id = ? AND mapping_value = ?',
  );
  const addToCounter = db.prepare('UPDATE counters SET value = value + ? WHERE name = ?');
  const readCounter = db.prepare<[string], { value: number }>('SELECT value FROM counters WHERE name = ?');

  // A new mark is claimable from its receive time on, and workers claim the oldest first, so a mark
  // waits behind the backlog, never behind every identity that sorts before it. A mark touched again
  // keeps its place (and its lease, when claimed).
  const markDirty = db.prepare(
    `INSERT INTO dirty_identities (site_id, id_kind, identity, gen, claimed_until) VALUES (?, ?, ?, 1, ?)
     ON CONFLICT DO UPDATE SET gen = gen + 1`,
  );

  const forgetting = sqliteForget(db, log);
  const append = db.transaction((events: readonly SiteEvent[]): { verdicts: AppendVerdict[]; keys: LoggedKey[] } => {
    log.sync();
    const verdicts: AppendVerdict[] = [];
    const keys: LoggedKey[] = [];
    const inBatch = new Set<string>();
    const touched = new Map<string, [number, number, string, number]>();
    for (const { siteId, event } of events) {
      const key = log.keyOf(siteId, event);
      const duplicate = inBatch.has(key.event) || forgetting.isForgotten(siteId, event) || log.isStored(key, event);
      verdicts.push(duplicate ? 'duplicate' : 'accepted');
      if (duplicate) continue;
      inBatch.add(key.event);
      log.append(key, toEventRow(event));
      keys.push(key);
      const kind = identityKindCode(event.identity.kind);
      if (!touched.has(key.identity)) touched.set(key.identity, [siteId, kind, event.identity.value, event.receivedAt]);
      const link = linkFromEvent(event);
      if (link) insertLink.run(siteId, link.mappingValue, link.visitorCode, link.time, link.nonce);
    }
    // Derived state (results) is recomputed from these marks by the attribution worker.
    for (const [siteId, kind, identity, receivedAt] of touched.values()) markDirty.run(siteId, kind, identity, receivedAt);
    if (keys.length > 0) addToCounter.run(keys.length, 'events');
    log.endAppend();
    return { verdicts, keys };
  });

  let closed = false;

  return {
    engine: 'sqlite',
    // One writer: a second transaction would only wait for the first.
    commitLanes: 1,
    ...sqliteMaps(db),
    ...sqliteDerived(db),
    ...sqliteApiKeys(db),
    forgetVisitors: forgetting.forgetVisitors,

    async findSite(code) {
      const row = findSite.get(code);
      return row ? fromSiteRow(row) : null;
    },

    async ensureSite(code, settings) {
      insertSite.run(code, JSON.stringify(settings), Date.now());
      const row = findSite.get(code);
      if (!row) throw new Error(`site ${code} vanished after insert`);
      return fromSiteRow(row);
    },

    async listSites(limit) {
      return listSites.all(limit).map(fromSiteRow);
    },

    async latestEvents(siteId, query) {
      const from = Math.max(0, (lastSeq.get()?.seq ?? 0) - query.scan);
      const type = query.type ?? null;
      const identity = query.identity ?? null;
      return latest.all(from, siteId, query.since, type, type, identity, identity, query.limit).map(fromEventRow);
    },

    async appendEvents(events) {
      if (events.length === 0) return [];
      let result: ReturnType<typeof append>;
      try {
        result = append.immediate(events);
      } catch (error) {
        log.rolledBack();
        throw error;
      }
      log.committed(result.keys);
      return result.verdicts;
    },

    async alreadyStored(events) {
      log.sync();
      return events.map(({ siteId, event }) => log.isStored(log.keyOf(siteId, event), event) || forgetting.isForgotten(siteId, event));
    },

    async eventsOf(siteId: number, identities: readonly Identity[]): Promise<VisitorEvent[]> {
      log.sync();
      const out: VisitorEvent[] = [];
      for (const identity of identities) for (const row of log.rowsOf(siteId, identity)) out.push(fromEventRow(row));
      return out;
    },

    async linksOfVisitorCodes(siteId, visitorCodes) {
      return visitorCodes.flatMap((code) => linksOfCode.all(siteId, code).map(fromLinkRow));
    },

    async linksOfMappingValues(siteId, mappingValues) {
      return mappingValues.flatMap((value) => linksOfValue.all(siteId, value).map(fromLinkRow));
    },

    async stats(): Promise<StoreStats> {
      const pages = db.pragma('page_count', { simple: true }) as number;
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      let walBytes = 0;
      try {
        walBytes = fs.statSync(`${options.file}-wal`).size;
      } catch {
        // No WAL file yet.
      }
      return { events: readCounter.get('events')?.value ?? 0, bytes: pages * pageSize + walBytes };
    },

    async ping() {
      if (closed) throw new Error('store is closed');
      db.prepare('SELECT 1').get();
    },

    async close() {
      if (closed) return;
      closed = true;
      log.close();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
