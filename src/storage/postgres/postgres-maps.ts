import type pg from 'pg';
import { LIMITS } from '../../core/limits.ts';
import { mergeMap, type MapFields } from '../../core/maps.ts';
import type { Storage } from '../port.ts';
import type { Transaction } from './postgres-transaction.ts';

type MapMethods = Pick<Storage, 'putMaps' | 'getMaps' | 'mapBytes' | 'purgeExpiredMaps'>;

class TooLarge extends Error {
  constructor(readonly key: string) {
    super(`map ${key} too large`);
  }
}

/** The map methods of the PostgreSQL adapter: one row per (site, key), fields as JSON text. */
export function postgresMaps(pool: pg.Pool, transaction: Transaction): MapMethods {
  return {
    async putMaps(siteId, patches, { now, expiresAt }) {
      try {
        await transaction(async (client) => {
          // Merging reads then writes: a per-key advisory lock (taken in key order, so no cycles)
          // keeps two nodes from merging into the same key at once, even before the row exists.
          const keys = [...new Set(patches.map((p) => p.key))].sort();
          await client.query('SELECT pg_advisory_xact_lock($1::integer, hashtext(k)) FROM unnest($2::text[]) AS k', [siteId, keys]);
          for (const { key, fields } of patches) {
            const { rows } = await client.query<{ fields: string }>(
              'SELECT fields FROM maps WHERE site_id = $1 AND key = $2 AND expires_at > $3',
              [siteId, key, now],
            );
            const merged = mergeMap(rows[0] ? (JSON.parse(rows[0].fields) as MapFields) : null, fields);
            if (merged === null) {
              await client.query('DELETE FROM maps WHERE site_id = $1 AND key = $2', [siteId, key]);
              continue;
            }
            const text = JSON.stringify(merged);
            if (Buffer.byteLength(text) > LIMITS.mapStoredBytes) throw new TooLarge(key);
            await client.query(
              `INSERT INTO maps (site_id, key, fields, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (site_id, key) DO UPDATE SET fields = excluded.fields, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
              [siteId, key, text, expiresAt, now],
            );
          }
        });
        return { ok: true };
      } catch (error) {
        if (error instanceof TooLarge) return { ok: false, tooLargeKey: error.key };
        throw error;
      }
    },

    async getMaps(siteId, keys, now) {
      const out = new Map<string, MapFields>();
      if (keys.length === 0) return out;
      const { rows } = await pool.query<{ key: string; fields: string }>(
        'SELECT key, fields FROM maps WHERE site_id = $1 AND key = ANY($2::text[]) AND expires_at > $3',
        [siteId, [...keys], now],
      );
      const found = new Map(rows.map((r) => [r.key, r.fields]));
      // Answer in the order asked, as the SQLite adapter does.
      for (const key of keys) {
        const fields = found.get(key);
        if (fields !== undefined) out.set(key, JSON.parse(fields) as MapFields);
      }
      return out;
    },

    async mapBytes(siteId, keys, now) {
      if (keys.length === 0) return 0;
      const { rows } = await pool.query<{ bytes: string | null }>(
        'SELECT sum(octet_length(fields)) AS bytes FROM maps WHERE site_id = $1 AND key = ANY($2::text[]) AND expires_at > $3',
        [siteId, [...keys], now],
      );
      return Number(rows[0]?.bytes ?? 0);
    },

    async purgeExpiredMaps(now, limit) {
      // SKIP LOCKED: several nodes purging at once share the work instead of queueing on the same rows.
      const result = await pool.query(
        `DELETE FROM maps m USING (
           SELECT site_id, key FROM maps WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
         ) x WHERE m.site_id = x.site_id AND m.key = x.key`,
        [now, limit],
      );
      return result.rowCount ?? 0;
    },
  };
}
