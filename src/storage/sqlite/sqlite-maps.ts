import type Database from 'better-sqlite3';
import { LIMITS } from '../../core/limits.ts';
import { mergeMap, type MapFields } from '../../core/maps.ts';
import type { Storage } from '../port.ts';

type MapMethods = Pick<Storage, 'putMaps' | 'getMaps' | 'mapBytes' | 'purgeExpiredMaps'>;

/** The map methods of the SQLite adapter: one row per (site, key), fields as JSON text. */
export function sqliteMaps(db: Database.Database): MapMethods {
  const readLive = db.prepare<[number, string, number], { fields: string }>(
    'SELECT fields FROM maps WHERE site_id = ? AND key = ? AND expires_at > ?',
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
  const expiredKeys = db.prepare<[number, number], { site_id: number; key: string }>(
    'SELECT site_id, key FROM maps WHERE expires_at <= ? ORDER BY expires_at LIMIT ?',
  );

  class TooLarge extends Error {
    constructor(readonly key: string) {
      super(`map ${key} too large`);
    }
  }

  const put = db.transaction((siteId: number, patches: Parameters<MapMethods['putMaps']>[1], now: number, expiresAt: number) => {
    for (const { key, fields } of patches) {
      const row = readLive.get(siteId, key, now);
      const merged = mergeMap(row ? (JSON.parse(row.fields) as MapFields) : null, fields);
      if (merged === null) {
        remove.run(siteId, key);
        continue;
      }
      const text = JSON.stringify(merged);
      if (Buffer.byteLength(text) > LIMITS.mapStoredBytes) throw new TooLarge(key);
      upsert.run(siteId, key, text, expiresAt, now);
    }
  });

  const purgeBatch = db.transaction((now: number, limit: number) => {
    const rows = expiredKeys.all(now, limit);
    for (const row of rows) remove.run(row.site_id, row.key);
    return rows.length;
  });

  return {
    async putMaps(siteId, patches, { now, expiresAt }) {
      try {
        put.immediate(siteId, patches, now, expiresAt);
        return { ok: true };
      } catch (error) {
        if (error instanceof TooLarge) return { ok: false, tooLargeKey: error.key };
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
