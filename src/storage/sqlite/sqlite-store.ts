import fs from 'node:fs';
import path from 'node:path';
import Database from 'better-sqlite3';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { toEventColumns, VERDICT_CODES, VERDICT_NAMES, type EventColumns } from '../event-columns.ts';
import { fromEventRow, fromSiteRow, type SiteRow } from '../event-rows.ts';
import type { AppendVerdict, Storage } from '../port.ts';
import { SQLITE_MIGRATIONS } from './schema.ts';
import { sqliteEventLog } from './sqlite-event-log.ts';
import { keyHash, type LoggedKey } from './sqlite-event-keys.ts';
import { sqliteForget } from './sqlite-forget.ts';
import { sqliteDerived } from './sqlite-derived.ts';
import { sqliteEventScan } from './sqlite-event-scan.ts';
import { sqliteMaps } from './sqlite-maps.ts';
import { sqliteApiKeys } from './sqlite-api-keys.ts';
import { sqlitePlainReads } from './sqlite-plain-reads.ts';
import { sqliteIdentityCounts, type IdentityCounts } from './sqlite-identity-counts.ts';
import { openLogFeedWriter } from './sqlite-log-feed.ts';
import { sqliteDirtyMarks } from './sqlite-dirty-marks.ts';
import { LIMITS } from '../../core/limits.ts';

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
  /** Memory of the filter that spares index probes for keys never seen (sqlite-key-filter.ts), in MiB; 16 by default. */
  keyFilterMb?: number;
  /** Events one identity may hold (LIMITS.eventsPerIdentity by default); later ones are `over_limit`. */
  eventsPerIdentity?: number;
}

/** The in-thread store, plus the append the writer thread calls with a batch already in columns. */
export interface SqliteStore extends Storage {
  /** Stores the rows in one transaction; one verdict code per row (see VERDICT_NAMES). */
  appendColumns(columns: EventColumns): Uint8Array;
}

export function migrate(db: Database.Database): void {
  // The version is read inside each step's write transaction: two handles opening a fresh file at
  // once (two processes, two writer threads) then apply each migration once, one after the other.
  for (;;) {
    const done = db
      .transaction(() => {
        const version = db.pragma('user_version', { simple: true }) as number;
        if (version >= SQLITE_MIGRATIONS.length) return true;
        db.exec(SQLITE_MIGRATIONS[version] ?? '');
        db.pragma(`user_version = ${version + 1}`);
        return false;
      })
      .immediate();
    if (done) return;
  }
}

/**
 * The embedded store on the thread that calls it: one SQLite file in WAL mode with synchronous=FULL,
 * so a commit is on disk (the WAL is fsync'd) before an append resolves. better-sqlite3 is
 * synchronous, so every call holds this thread until it is done: the server runs this store on a
 * writer thread of its own (sqlite-storage.ts), never on the HTTP thread.
 */
export function openSqliteStore(options: SqliteOptions): SqliteStore {
  fs.mkdirSync(path.dirname(path.resolve(options.file)), { recursive: true });
  // Owner-only: SQLite gives the -wal and -shm files the mode of the database file, so creating it
  // 0600 first covers all three; files of earlier versions (0644) are tightened.
  fs.closeSync(fs.openSync(options.file, 'a', 0o600));
  for (const suffix of ['', '-wal', '-shm']) if (fs.existsSync(options.file + suffix)) fs.chmodSync(options.file + suffix, 0o600);
  const db = new Database(options.file);
  db.pragma('busy_timeout = 5000');
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  db.pragma(`cache_size = ${-1024 * (options.cacheMb ?? 512)}`);
  db.pragma(`wal_autocheckpoint = ${options.walAutocheckpointPages ?? 16_000}`);
  db.pragma('foreign_keys = ON');
  db.function('anole_key_hash', { deterministic: true }, (text: unknown) => keyHash(String(text)));
  migrate(db);

  const siteByCode = db.prepare<[string], SiteRow>('SELECT id, code, settings FROM sites WHERE code = ?');
  const insertSite = db.prepare('INSERT INTO sites (code, settings, created_at) VALUES (?, ?, ?) ON CONFLICT (code) DO NOTHING');
  // The counts read the log's tails only once the log exists (when an event is first appended).
  const counts: IdentityCounts = sqliteIdentityCounts(db, () => log.tails(), {
    filteredAfter: () => log.filteredAfter,
    identityMayBeIndexed: (siteId, vkey) => log.identityMayBeIndexed(siteId, vkey),
  });
  const log = sqliteEventLog(db, {
    mergeAt: options.keyMergeAt ?? 200_000,
    mergeStepMs: options.keyMergeStepMs ?? 10,
    keyFilterMb: options.keyFilterMb ?? 16,
    onFilterWarm: () => counts.filterWarm(),
    // Another handle's appends count toward the cap as soon as this one sees them.
    onForeignRow: (key) => counts.seen(key.siteId, key.vkey),
    onMerged: (merged) => counts.merged(merged),
  });
  const insertLink = db.prepare(
    'INSERT INTO identity_links (site_id, mapping_value, visitor_code, time, nonce) VALUES (?, ?, ?, ?, ?) ON CONFLICT DO NOTHING',
  );
  const addToCounter = db.prepare('UPDATE counters SET value = value + ? WHERE name = ?');

  const marks = sqliteDirtyMarks(db);
  // The reading threads' tail copies follow the log from here rather than by reading it back.
  const feed = openLogFeedWriter(options.file);

  const forgetting = sqliteForget(db, log);
  const cap = options.eventsPerIdentity ?? LIMITS.eventsPerIdentity;
  const append = db.transaction((c: EventColumns): { verdicts: Uint8Array; keys: LoggedKey[] } => {
    log.sync();
    const verdicts = new Uint8Array(c.site.length);
    const keys: LoggedKey[] = [];
    // The index is looked up for the whole batch at once, for the rows it may hold: those of
    // identities with indexed keys, unless the log's key filter rules the row out (trusted only
    // for an identity none of whose indexed keys is older than what the filter holds).
    const rowKeys = new Array<LoggedKey>(c.site.length);
    for (let i = 0; i < c.site.length; i++) rowKeys[i] = log.keyOf(c, i);
    const rowCounts = counts.of(rowKeys);
    const probed: number[] = [];
    const probedKeys: LoggedKey[] = [];
    for (let i = 0; i < c.site.length; i++) {
      const count = rowCounts[i]!;
      if (count.indexed && (count.beforeFilter || log.mayBeIndexed(rowKeys[i]!))) {
        probed.push(i);
        probedKeys.push(rowKeys[i]!);
      }
    }
    const indexed = log.inIndex(c, probed, probedKeys);
    for (let i = 0; i < c.site.length; i++) {
      const siteId = c.site[i]!;
      const kind = c.kind[i]!;
      const identity = c.identity[i]!;
      const nonce = c.nonce[i]!;
      const key = rowKeys[i]!;
      // Held from the lookup above: the same object for every row of the identity, counted up below.
      const count = rowCounts[i]!;
      const duplicate = indexed.has(i) || forgetting.isForgotten(siteId, kind, identity, nonce) || log.isStored(key, kind, identity, nonce, { probeIndex: false });
      if (duplicate) {
        verdicts[i] = VERDICT_CODES.duplicate;
        continue;
      }
      if (count.n >= cap) {
        verdicts[i] = VERDICT_CODES.over_limit;
        continue;
      }
      count.n += 1;
      log.append(key, c, i);
      keys.push(key);
      marks.touch(siteId, kind, identity, c.receivedAt[i]!, c.time[i]!);
      const mappingValue = c.link[i];
      if (mappingValue) insertLink.run(siteId, mappingValue, identity, c.time[i], nonce);
    }
    // Derived state (results) is recomputed from these marks by the attribution worker.
    marks.flush();
    if (keys.length > 0) addToCounter.run(keys.length, 'events');
    log.endAppend();
    return { verdicts, keys };
  });

  let closed = false;

  // Derived state is a function of the events and every mark survives until its person's state is
  // stored, so these writes skip the fsync: WAL commits are ordered, a crash loses only the newest
  // of them, and their marks (completed after the contributions, never before) come back and are
  // recomputed. The next synchronous=FULL append makes them durable anyway.
  const derived = sqliteDerived(db);
  const relaxed = <A extends unknown[], R>(write: (...args: A) => R) => (...args: A): R => {
    db.pragma('synchronous = NORMAL');
    try {
      return write(...args);
    } finally {
      db.pragma('synchronous = FULL');
    }
  };

  function appendColumns(columns: EventColumns): Uint8Array {
    if (columns.site.length === 0) return new Uint8Array(0);
    let result: ReturnType<typeof append>;
    try {
      result = append.immediate(columns);
    } catch (error) {
      log.rolledBack();
      marks.rolledBack();
      counts.reset();
      throw error;
    }
    marks.committed();
    log.committed(result.keys);
    feed.published(result.keys);
    return result.verdicts;
  }

  return {
    engine: 'sqlite',
    // One writer: a second transaction would only wait for the first.
    commitLanes: 1,
    appendColumns,
    ...sqlitePlainReads(db, options.file),
    ...sqliteMaps(db),
    ...sqliteApiKeys(db),
    ...sqliteEventScan(db),
    ...derived,
    async claimDirty(options) {
      marks.claiming();
      let claimed: Awaited<ReturnType<typeof derived.claimDirty>> | null = null;
      try {
        claimed = await relaxed(derived.claimDirty)(options);
        return claimed;
      } finally {
        marks.claimed(claimed);
      }
    },
    claimSiteRecompute: relaxed(derived.claimSiteRecompute),
    advanceSiteRecompute: relaxed(derived.advanceSiteRecompute),
    async completeDirty(done) {
      marks.settled(done);
      return relaxed(derived.completeDirty)(done);
    },
    registerSeen: relaxed(derived.registerSeen),
    nextDerivedVersion: relaxed(derived.nextDerivedVersion),
    replacePersonsContributions: relaxed(derived.replacePersonsContributions),
    async forgetVisitors(siteId, plan) {
      const result = await forgetting.forgetVisitors(siteId, plan);
      counts.reset();
      return result;
    },

    async ensureSite(code, settings) {
      insertSite.run(code, JSON.stringify(settings), Date.now());
      const row = siteByCode.get(code);
      if (!row) throw new Error(`site ${code} vanished after insert`);
      return fromSiteRow(row);
    },

    async appendEvents(events) {
      return [...appendColumns(toEventColumns(events))].map((code): AppendVerdict => VERDICT_NAMES[code]!);
    },

    async alreadyStored(events) {
      log.sync();
      const c = toEventColumns(events);
      return events.map((_, i) => log.isStored(log.keyOf(c, i), c.kind[i]!, c.identity[i]!, c.nonce[i]!) || forgetting.isForgotten(c.site[i]!, c.kind[i]!, c.identity[i]!, c.nonce[i]!));
    },

    async eventsOf(siteId: number, identities: readonly Identity[]): Promise<VisitorEvent[]> {
      log.sync();
      const out: VisitorEvent[] = [];
      for (const identity of identities) for (const row of log.rowsOf(siteId, identity)) out.push(fromEventRow(row));
      return out;
    },

    async eventsSince(siteId, ranges) {
      log.sync();
      return log.eventsInRanges(siteId, ranges);
    },

    async eventPage(siteId, identity, { limit, cursor }) {
      log.sync();
      const page = log.pageOf(siteId, identity, limit, cursor ?? null);
      return { events: page.rows.map(fromEventRow), cursor: page.cursor };
    },

    async ping() {
      if (closed) throw new Error('store is closed');
      db.prepare('SELECT 1').get();
    },

    async close() {
      if (closed) return;
      closed = true;
      log.close();
      feed.close();
      db.pragma('wal_checkpoint(TRUNCATE)');
      db.close();
    },
  };
}
