import fs from 'node:fs';
import type Database from 'better-sqlite3';
import { fromEventRow, fromLinkRow, fromSiteRow, type EventRow, type LinkRow, type SiteRow } from '../event-rows.ts';
import type { Storage, StoreStats } from '../port.ts';
import { jsonChunks } from './sqlite-key-sets.ts';

export type PlainReads = Pick<Storage, 'findSite' | 'listSites' | 'latestEvents' | 'linksOfVisitorCodes' | 'linksOfMappingValues' | 'stats'>;

/** Reads that need no knowledge of the log's tail, shared by the writer and every reading connection. */
export function sqlitePlainReads(db: Database.Database, file: string): PlainReads {
  const findSite = db.prepare<[string], SiteRow>('SELECT id, code, settings FROM sites WHERE code = ?');
  const listSites = db.prepare<[number], SiteRow>('SELECT id, code, settings FROM sites ORDER BY code LIMIT ?');
  // The live tail walks events_by_site_received (site, receive time, seq) newest first, so it
  // touches only this site's rows of the window. With a filter, the window's floor is first moved
  // up to the site's `scan`-th newest row, read from the index alone (no row is read for it).
  const scanFloor = db.prepare<[number, number, number], { received_at: number }>(
    `SELECT received_at FROM events INDEXED BY events_by_site_received
     WHERE site_id = ? AND received_at >= ? ORDER BY received_at DESC LIMIT 1 OFFSET ?`,
  );
  const latest = db.prepare<[number, number, string | null, string | null, string | null, string | null, number], EventRow>(
    `SELECT id_kind, identity, nonce, type, time, received_at, data, itp, sdk FROM events INDEXED BY events_by_site_received
     WHERE site_id = ? AND received_at >= ? AND (? IS NULL OR type = ?) AND (? IS NULL OR identity = ?)
     ORDER BY received_at DESC, seq DESC LIMIT ?`,
  );
  // The index does not hold `time`, and without it SQLite's planner prefers the primary key on
  // site_id alone: a scan of every link of the site per lookup (40 µs at 800 links, ms at 40,000).
  // A worker round asks for the links of hundreds of codes at once: as sets (sqlite-key-sets.ts).
  const linksOfCodes = db.prepare<[string, number], LinkRow>(
    `SELECT l.mapping_value, l.visitor_code, l.time, l.nonce FROM json_each(?) j
     CROSS JOIN identity_links l INDEXED BY identity_links_by_code ON l.site_id = ? AND l.visitor_code = j.value`,
  );
  const linksOfValues = db.prepare<[string, number], LinkRow>(
    `SELECT l.mapping_value, l.visitor_code, l.time, l.nonce FROM json_each(?) j
     CROSS JOIN identity_links l ON l.site_id = ? AND l.mapping_value = j.value`,
  );
  const linksOf = (statement: typeof linksOfCodes, siteId: number, keys: readonly string[]) => {
    const out = [];
    for (const chunk of jsonChunks([...new Set(keys)])) for (const row of statement.iterate(chunk, siteId)) out.push(fromLinkRow(row));
    return out;
  };
  const readCounter = db.prepare<[string], { value: number }>('SELECT value FROM counters WHERE name = ?');
  const registryRefused = db.prepare<[], { n: number | null }>('SELECT sum(registry_refused) AS n FROM sites');
  return {
    async findSite(code) {
      const row = findSite.get(code);
      return row ? fromSiteRow(row) : null;
    },
    async listSites(limit) {
      return listSites.all(limit).map(fromSiteRow);
    },
    async latestEvents(siteId, query) {
      const type = query.type ?? null;
      const identity = query.identity ?? null;
      // Without a filter the first `limit` rows are the answer, and limit <= scan.
      const floor = type === null && identity === null ? undefined : scanFloor.get(siteId, query.since, query.scan - 1)?.received_at;
      const since = Math.max(query.since, floor ?? query.since);
      return latest.all(siteId, since, type, type, identity, identity, Math.min(query.limit, query.scan)).map(fromEventRow);
    },
    async linksOfVisitorCodes(siteId, visitorCodes) {
      return linksOf(linksOfCodes, siteId, visitorCodes);
    },
    async linksOfMappingValues(siteId, mappingValues) {
      return linksOf(linksOfValues, siteId, mappingValues);
    },
    async stats(): Promise<StoreStats> {
      const pages = db.pragma('page_count', { simple: true }) as number;
      const pageSize = db.pragma('page_size', { simple: true }) as number;
      let walBytes = 0;
      try {
        walBytes = fs.statSync(`${file}-wal`).size;
      } catch {
        // No WAL file yet.
      }
      return { events: readCounter.get('events')?.value ?? 0, bytes: pages * pageSize + walBytes, registryRefused: registryRefused.get()?.n ?? 0 };
    },
  };
}
