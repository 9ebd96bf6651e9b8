import type Database from 'better-sqlite3';
import { LIMITS } from '../../core/limits.ts';
import { mergeMap, type MapFields } from '../../core/maps.ts';
import { MAP_ROW_BYTES_SQL, mapRowBytes } from '../map-rows.ts';
import type { PutMapsResult, Storage } from '../port.ts';

type MapMethods = Pick<Storage, 'putMaps' | 'getMaps' | 'mapBytes' | 'purgeExpiredMaps'>;

/**
 * The map methods of the SQLite adapter: one row per (site, key), fields as JSON text. Each site's
 * `map_bytes` is kept equal to the bytes of its stored rows (expired ones too, until purged) by
 * every statement that writes or deletes one: putMaps, the purge and forget (sqlite-forget.ts).
 */
export function sqliteMaps(db: Database.Database): MapMethods {
  const readLive = db.prepare<[number, string, number], { fields: string }>(
    'SELECT fields FROM maps WHERE site_id = ? AND key = ? AND expires_at > ?',
  );
  // Expired rows too: they still count until deleted.
  const readStored = db.prepare<[number, string], { fields: string; expires_at: number; bytes: number }>(
    `SELECT fields, expires_at, ${MAP_ROW_BYTES_SQL} AS bytes FROM maps WHERE site_id = ? AND key = ?`,
  );
  const upsert = db.prepare(
    `INSERT INTO maps (site_id, key, fields, expires_at, updated_at) VALUES (?, ?, ?, ?, ?)
     ON CONFLICT (site_id, key) DO UPDATE SET fields = excluded.fields, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
  );
  const remove = db.prepare('DELETE FROM maps WHERE site_id = ? AND key = ?');
  // octet_length reads the size from the record, without building the text.
  const liveBytes = db.prepare<[number, string, number], { bytes: number }>(
    'SELECT octet_length(fields) AS bytes FROM maps WHERE site_id = ? AND key = ? AND expires_at > ?',
  );
  const expiredKeys = db.prepare<[number, number], { site_id: number; key: string; bytes: number }>(
    `SELECT site_id, key, ${MAP_ROW_BYTES_SQL} AS bytes FROM maps WHERE expires_at <= ? ORDER BY expires_at LIMIT ?`,
  );
  const reclaimExpired = db.prepare<[{ site: number; now: number; limit: number }], { bytes: number }>(
    `DELETE FROM maps WHERE site_id = @site AND key IN (
       SELECT key FROM maps INDEXED BY maps_by_site_expiry WHERE site_id = @site AND expires_at <= @now ORDER BY expires_at LIMIT @limit)
     RETURNING ${MAP_ROW_BYTES_SQL} AS bytes`,
  );
  const siteBytes = db.prepare<[number], { map_bytes: number }>('SELECT map_bytes FROM sites WHERE id = ?');
  const addSiteBytes = db.prepare('UPDATE sites SET map_bytes = map_bytes + ? WHERE id = ?');

  class Refused extends Error {
    constructor(readonly result: Exclude<PutMapsResult, { ok: true }>) {
      super('map write refused');
    }
  }

  const put = db.transaction((siteId: number, patches: Parameters<MapMethods['putMaps']>[1], options: Parameters<MapMethods['putMaps']>[2]) => {
    const { now, expiresAt, maxSiteBytes } = options;
    let delta = 0;
    for (const { key, fields } of patches) {
      const row = readStored.get(siteId, key);
      const live = row && row.expires_at > now ? (JSON.parse(row.fields) as MapFields) : null;
      const merged = mergeMap(live, fields);
      if (merged === null) {
        if (row) remove.run(siteId, key);
        delta -= row?.bytes ?? 0;
        continue;
      }
      const text = JSON.stringify(merged);
      if (Buffer.byteLength(text) > LIMITS.mapStoredBytes) throw new Refused({ ok: false, problem: 'map_too_large', key });
      upsert.run(siteId, key, text, expiresAt, now);
      delta += mapRowBytes(key, text) - (row?.bytes ?? 0);
    }
    const used = siteBytes.get(siteId)?.map_bytes ?? 0;
    if (delta > 0 && used + delta > maxSiteBytes) {
      // Expired keys still count until the purge deletes them: reclaim some of this site's first.
      for (const { bytes } of reclaimExpired.all({ site: siteId, now, limit: LIMITS.quotaReclaimKeys })) delta -= bytes;
      if (delta > 0 && used + delta > maxSiteBytes) {
        throw new Refused({ ok: false, problem: 'site_quota', siteBytes: used, adding: delta, quota: maxSiteBytes });
      }
    }
    if (delta !== 0) addSiteBytes.run(delta, siteId);
  });

  const purgeBatch = db.transaction((now: number, limit: number) => {
    const rows = expiredKeys.all(now, limit);
    const freed = new Map<number, number>();
    for (const row of rows) {
      remove.run(row.site_id, row.key);
      freed.set(row.site_id, (freed.get(row.site_id) ?? 0) + row.bytes);
    }
    for (const [siteId, bytes] of freed) addSiteBytes.run(-bytes, siteId);
    return rows.length;
  });

  return {
    async putMaps(siteId, patches, options) {
      try {
        put.immediate(siteId, patches, options);
        return { ok: true };
      } catch (error) {
        if (error instanceof Refused) return error.result;
        throw error;
      }
    },

    async getMaps(siteId, keys, now) {
      const out = new Map<string, MapFields>();
      for (const key of keys) {
        const row = readLive.get(siteId, key, now);
        if (row) out.set(key, JSON.parse(row.fields) as MapFields);
      }
      return out;
    },

    async mapBytes(siteId, keys, now) {
      let bytes = 0;
      for (const key of keys) bytes += liveBytes.get(siteId, key, now)?.bytes ?? 0;
      return bytes;
    },

    async purgeExpiredMaps(now, limit) {
      return purgeBatch.immediate(now, limit);
    },
  };
}
