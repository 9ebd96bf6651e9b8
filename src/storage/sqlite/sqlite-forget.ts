import type Database from 'better-sqlite3';
import { identityKindCode } from '../event-rows.ts';
import { forgottenEventDigest } from '../forget-digest.ts';
import { MAP_ROW_BYTES_SQL } from '../map-rows.ts';
import { FROM_SCRATCH, type ForgetCounts, type Storage } from '../port.ts';
import type { DeletedRow, EventLog } from './sqlite-event-log.ts';

export interface SqliteForget extends Pick<Storage, 'forgetVisitors'> {
  /**
   * Whether this event was stored once and then forgotten. Called inside the append transaction;
   * sites that never forgot anything (nearly all writes) cost one Set lookup, no hashing.
   */
  isForgotten(siteId: number, kind: number, identity: string, nonce: string): boolean;
}

/** POST /visit/forget for the SQLite adapter: deletes in one transaction and keeps tombstones. */
export function sqliteForget(db: Database.Database, log: EventLog): SqliteForget {
  const deleteLinksOfCode = db.prepare('DELETE FROM identity_links WHERE site_id = ? AND visitor_code = ?');
  const deleteLinksToValue = db.prepare('DELETE FROM identity_links WHERE site_id = ? AND mapping_value = ?');
  const deleteMap = db.prepare<[number, string], { bytes: number }>(`DELETE FROM maps WHERE site_id = ? AND key = ? RETURNING ${MAP_ROW_BYTES_SQL} AS bytes`);
  const freeSiteBytes = db.prepare('UPDATE sites SET map_bytes = map_bytes - ? WHERE id = ?');
  const insertTombstone = db.prepare('INSERT INTO forgotten_events (site_id, digest, forgotten_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING');
  // As the append path, from scratch: the attribution worker recomputes the persons concerned.
  const markDirty = db.prepare(
    `INSERT INTO dirty_identities (site_id, id_kind, identity, gen, claimed_until, since) VALUES (?, ?, ?, 1, 0, ${FROM_SCRATCH})
     ON CONFLICT DO UPDATE SET gen = gen + 1, since = ${FROM_SCRATCH}`,
  );
  const tombstoneExists = db.prepare<[number, Buffer], { one: number }>('SELECT 1 AS one FROM forgotten_events WHERE site_id = ? AND digest = ?');

  const sitesWithTombstones = new Set<number>(
    db.prepare<[], { site_id: number }>('SELECT DISTINCT site_id FROM forgotten_events').all().map((r) => r.site_id),
  );

  const forget = db.transaction((siteId: number, plan: Parameters<Storage['forgetVisitors']>[1], now: number) => {
    log.sync();
    const deleted: DeletedRow[] = [];
    for (const identity of plan.identities) deleted.push(...log.deleteRows(siteId, identity));
    for (const { identity, nonce } of plan.events) deleted.push(...log.deleteRows(siteId, identity, nonce.toLowerCase()));
    for (const row of deleted) insertTombstone.run(siteId, forgottenEventDigest(row.idKind, row.identityValue, row.nonce), now);
    let links = 0;
    for (const code of plan.linkVisitorCodes) links += deleteLinksOfCode.run(siteId, code).changes;
    for (const value of plan.linkMappingValues) links += deleteLinksToValue.run(siteId, value).changes;
    let maps = 0;
    let mapBytes = 0;
    for (const key of plan.mapKeys) {
      const row = deleteMap.get(siteId, key);
      if (!row) continue;
      maps += 1;
      mapBytes += row.bytes;
    }
    if (mapBytes > 0) freeSiteBytes.run(mapBytes, siteId);
    for (const identity of plan.dirty) markDirty.run(siteId, identityKindCode(identity.kind), identity.value);
    const counts: ForgetCounts = { events: deleted.length, links, maps };
    return { counts, deleted };
  });

  return {
    async forgetVisitors(siteId, plan) {
      const { counts, deleted } = forget.immediate(siteId, plan, Date.now());
      log.forgotten(deleted);
      if (counts.events > 0) sitesWithTombstones.add(siteId);
      return counts;
    },

    isForgotten(siteId, kind, identity, nonce) {
      if (!sitesWithTombstones.has(siteId)) return false;
      return tombstoneExists.get(siteId, forgottenEventDigest(kind, identity, nonce)) !== undefined;
    },
  };
}
