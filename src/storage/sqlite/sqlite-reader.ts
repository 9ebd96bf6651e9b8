import Database from 'better-sqlite3';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { fromEventRow } from '../event-rows.ts';
import type { EventRange, Storage } from '../port.ts';
import { identityHash } from './sqlite-event-keys.ts';
import { IdentityTail } from './sqlite-identity-tail.ts';
import { followLogFeed, LOG_FEED_FIELDS } from './sqlite-log-feed.ts';
import { sqliteEventReads } from './sqlite-event-reads.ts';
import { sqliteDerived } from './sqlite-derived.ts';
import { sqliteEventScan } from './sqlite-event-scan.ts';
import { sqliteMaps } from './sqlite-maps.ts';
import { sqliteApiKeys } from './sqlite-api-keys.ts';
import { sqlitePlainReads } from './sqlite-plain-reads.ts';

/** The reads a connection of its own answers; the rest of the port goes to the writer. */
export type ReaderPart = Pick<
  Storage,
  | 'findSite'
  | 'listSites'
  | 'latestEvents'
  | 'mapBytes'
  | 'listApiKeys'
  | 'siteById'
  | 'linksOfVisitorCodes'
  | 'linksOfMappingValues'
  | 'stats'
  | 'getMaps'
  | 'listExperiments'
  | 'lastExposures'
  | 'missingRegistryEntries'
  | 'siteUsage'
  | 'getExperiment'
  | 'listGoals'
  | 'resultAggregates'
  | 'personStates'
  | 'dirtyBacklog'
  | 'findApiKey'
  | 'countApiKeys'
  | 'eventsOf'
  | 'eventsSince'
  | 'eventPage'
  | 'scanEvents'
>;

export interface SqliteReaderOptions {
  file: string;
  cacheMb: number;
  /**
   * Keep a copy of the unmerged tail's visitor keys, so that event reads answer here. Without it
   * (the HTTP thread) this connection serves only the small tables and event reads are refused.
   */
  events: boolean;
}

export interface SqliteReader {
  reads: ReaderPart;
  close(): void;
}

/** Rows per segment of the tail copy: a segment is dropped whole once the index covers it. */
const SEGMENT_ROWS = 50_000;
/**
 * How often a reader looks for log rows the writer's feed did not bring (rows another handle wrote,
 * or a message still on its way): the feed brings a commit's rows as it ends, so this is a fallback.
 */
const SYNC_INTERVAL_MS = 100;

/**
 * A read-only connection to the store, for a thread that must not wait for the writer. With
 * `events`, it follows the log: it takes each commit's rows from the writer's feed, reads the rows
 * committed past the last seq it knows from the log itself (at the start of each event read, inside
 * that read's transaction, and every so often), keeps their visitor keys in segments, and drops a
 * segment once the key index's watermark covers it. So a read sees every event committed before it
 * started, whether merged into the index or not, whether its feed message has arrived or not.
 */
export function openSqliteReader(options: SqliteReaderOptions): SqliteReader {
  const db = new Database(options.file, { fileMustExist: true });
  db.pragma('query_only = ON');
  db.pragma(`cache_size = ${-1024 * options.cacheMb}`);
  db.pragma('busy_timeout = 5000');

  const watermark = db.prepare<[], { value: number }>("SELECT value FROM counters WHERE name = 'indexed_seq'");
  const rowsAfter = db.prepare<[number], { seq: number; site_id: number; id_kind: number; identity: string; time: number }>(
    'SELECT seq, site_id, id_kind, identity, time FROM events WHERE seq > ? ORDER BY seq',
  );
  const segments: { tail: IdentityTail; upTo: number }[] = [];
  let lastSeq = watermark.get()?.value ?? 0;

  function add(siteId: number, vkey: number, seq: number, time: number): void {
    let segment = segments.at(-1);
    if (!segment || segment.tail.size >= SEGMENT_ROWS) segments.push((segment = { tail: new IdentityTail(), upTo: seq }));
    segment.tail.add(siteId, vkey, seq, time);
    segment.upTo = seq;
    lastSeq = seq;
  }

  function dropMerged(): void {
    const merged = watermark.get()?.value ?? 0;
    while (segments.length > 0 && segments[0]!.upTo <= merged) segments.shift();
  }

  /** Reads the log rows committed past the last one this copy holds. */
  function sync(): void {
    for (const row of rowsAfter.iterate(lastSeq)) add(row.site_id, identityHash(row.id_kind, row.identity), row.seq, row.time);
    dropMerged();
  }

  /** A commit's rows from the writer (sqlite-log-feed.ts): read from the log only what does not follow on. */
  function published(entries: Float64Array): void {
    if (entries[2]! > lastSeq + 1) sync();
    for (let at = 0; at < entries.length; at += LOG_FEED_FIELDS) {
      const seq = entries[at + 2]!;
      if (seq > lastSeq) add(entries[at]!, entries[at + 1]!, seq, entries[at + 3]!);
    }
    dropMerged();
  }

  const events = sqliteEventReads(db, () => segments.map((s) => s.tail));
  const eventsOf = db.transaction((siteId: number, identities: readonly Identity[]): VisitorEvent[] => {
    sync();
    return identities.flatMap((identity) => events.rowsOf(siteId, identity).map(fromEventRow));
  });
  const eventsSince = db.transaction((siteId: number, ranges: readonly EventRange[]): VisitorEvent[] => {
    sync();
    return events.eventsInRanges(siteId, ranges);
  });
  const pageOf = db.transaction((siteId: number, identity: Identity, limit: number, cursor: string | null) => {
    sync();
    return events.pageOf(siteId, identity, limit, cursor);
  });
  const refuse = () => Promise.reject(new Error('event reads are not served on this connection'));

  let timer: NodeJS.Timeout | null = null;
  let feed: { close(): void } | null = null;
  if (options.events) {
    feed = followLogFeed(options.file, published);
    sync();
    timer = setInterval(sync, SYNC_INTERVAL_MS);
    timer.unref();
  }

  const derived = sqliteDerived(db);
  const maps = sqliteMaps(db);
  const keys = sqliteApiKeys(db);
  const reads: ReaderPart = {
    ...sqlitePlainReads(db, options.file),
    getMaps: maps.getMaps,
    mapBytes: maps.mapBytes,
    findApiKey: keys.findApiKey,
    listApiKeys: keys.listApiKeys,
    countApiKeys: keys.countApiKeys,
    siteById: derived.siteById,
    listExperiments: derived.listExperiments,
    lastExposures: derived.lastExposures,
    missingRegistryEntries: derived.missingRegistryEntries,
    siteUsage: derived.siteUsage,
    getExperiment: derived.getExperiment,
    listGoals: derived.listGoals,
    resultAggregates: derived.resultAggregates,
    personStates: derived.personStates,
    dirtyBacklog: derived.dirtyBacklog,
    eventsOf: options.events ? async (siteId, identities) => eventsOf(siteId, identities) : refuse,
    eventsSince: options.events ? async (siteId, ranges) => eventsSince(siteId, ranges) : refuse,
    eventPage: options.events
      ? async (siteId, identity, { limit, cursor }) => {
          const page = pageOf(siteId, identity, limit, cursor ?? null);
          return { events: page.rows.map(fromEventRow), cursor: page.cursor };
        }
      : refuse,
    // Reads only what is committed (the scan reads the unmerged stretch itself), but on the log: not on the HTTP thread.
    scanEvents: options.events ? sqliteEventScan(db).scanEvents : refuse,
  };
  return {
    reads,
    close() {
      if (timer) clearInterval(timer);
      feed?.close();
      db.close();
    },
  };
}
