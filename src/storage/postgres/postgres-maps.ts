import type pg from 'pg';
import { LIMITS } from '../../core/limits.ts';
import { mergeMap, type MapFields } from '../../core/maps.ts';
import { MAP_ROW_BYTES_SQL, mapRowBytes } from '../map-rows.ts';
import type { PutMapsResult, Storage } from '../port.ts';
import type { Transaction } from './postgres-transaction.ts';

type MapMethods = Pick<Storage, 'putMaps' | 'getMaps' | 'mapBytes' | 'purgeExpiredMaps'>;

class Refused extends Error {
  constructor(readonly result: Exclude<PutMapsResult, { ok: true }>) {
    super('map write refused');
  }
}

/**
 * The map methods of the PostgreSQL adapter: one row per (site, key), fields as JSON text. Each
 * site's `map_bytes` is kept equal to the bytes of its stored rows by every statement that writes or
 * deletes one (putMaps, the purge, forget), in the same transaction. Lock order, so that no two
 * of them wait on each other in a cycle: map rows first, the site's row last; what is taken after the
 * site's row (the reclaim) skips locked rows instead of waiting.
 */
export function postgresMaps(pool: pg.Pool, transaction: Transaction): MapMethods {
  return {
    async putMaps(siteId, patches, { now, expiresAt, maxSiteBytes }) {
      try {
        await transaction(async (client) => {
          // Merging reads then writes: a per-key advisory lock (taken in key order, so no cycles)
          // keeps two nodes from merging into the same key at once, even before the row exists.
          const keys = [...new Set(patches.map((p) => p.key))].sort();
          await client.query('SELECT pg_advisory_xact_lock($1::integer, hashtext(k)) FROM unnest($2::text[]) AS k', [siteId, keys]);
          let delta = 0;
          for (const { key, fields } of patches) {
            // FOR UPDATE: the purge or a forget must not delete the row (and count its bytes) meanwhile.
            const { rows } = await client.query<{ fields: string; expires_at: string; bytes: number }>(
              `SELECT fields, expires_at, ${MAP_ROW_BYTES_SQL} AS bytes FROM maps WHERE site_id = $1 AND key = $2 FOR UPDATE`,
              [siteId, key],
            );
            const row = rows[0];
            const merged = mergeMap(row && Number(row.expires_at) > now ? (JSON.parse(row.fields) as MapFields) : null, fields);
            if (merged === null) {
              if (row) await client.query('DELETE FROM maps WHERE site_id = $1 AND key = $2', [siteId, key]);
              delta -= row?.bytes ?? 0;
              continue;
            }
            const text = JSON.stringify(merged);
            if (Buffer.byteLength(text) > LIMITS.mapStoredBytes) throw new Refused({ ok: false, problem: 'map_too_large', key });
            await client.query(
              `INSERT INTO maps (site_id, key, fields, expires_at, updated_at) VALUES ($1, $2, $3, $4, $5)
               ON CONFLICT (site_id, key) DO UPDATE SET fields = excluded.fields, expires_at = excluded.expires_at, updated_at = excluded.updated_at`,
              [siteId, key, text, expiresAt, now],
            );
            delta += mapRowBytes(key, text) - (row?.bytes ?? 0);
          }
          if (delta === 0) return;
          // The site's row lock orders concurrent writers of the site: each sees the total the one before left.
          const added = await client.query<{ map_bytes: string }>('UPDATE sites SET map_bytes = map_bytes + $2 WHERE id = $1 RETURNING map_bytes', [siteId, delta]);
          let total = Number(added.rows[0]?.map_bytes ?? 0);
          if (delta <= 0 || total <= maxSiteBytes) return;
          // Expired keys still count until the purge deletes them: reclaim some of this site's first.
          const reclaimed = await client.query<{ bytes: number }>(
            `DELETE FROM maps m USING (
               SELECT key FROM maps WHERE site_id = $1 AND expires_at <= $2 ORDER BY expires_at LIMIT $3 FOR UPDATE SKIP LOCKED
             ) x WHERE m.site_id = $1 AND m.key = x.key RETURNING octet_length(m.key) + octet_length(m.fields) AS bytes`,
            [siteId, now, LIMITS.quotaReclaimKeys],
          );
          const freed = reclaimed.rows.reduce((sum, r) => sum + r.bytes, 0);
          if (freed > 0) {
            const after = await client.query<{ map_bytes: string }>('UPDATE sites SET map_bytes = map_bytes - $2 WHERE id = $1 RETURNING map_bytes', [siteId, freed]);
            total = Number(after.rows[0]?.map_bytes ?? 0);
          }
          if (total > maxSiteBytes && delta - freed > 0) {
            throw new Refused({ ok: false, problem: 'site_quota', siteBytes: total - delta + freed, adding: delta - freed, quota: maxSiteBytes });
          }
        });
        return { ok: true };
      } catch (error) {
        if (error instanceof Refused) return error.result;
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
      return transaction(async (client) => {
        // SKIP LOCKED: several nodes purging at once share the work instead of queueing on the same rows.
        const { rows } = await client.query<{ site_id: number; bytes: number }>(
          `DELETE FROM maps m USING (
             SELECT site_id, key FROM maps WHERE expires_at <= $1 ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED
           ) x WHERE m.site_id = x.site_id AND m.key = x.key RETURNING m.site_id, octet_length(m.key) + octet_length(m.fields) AS bytes`,
          [now, limit],
        );
        const freed = new Map<number, number>();
        for (const row of rows) freed.set(row.site_id, (freed.get(row.site_id) ?? 0) + row.bytes);
        const sites = [...freed.keys()].sort((a, b) => a - b);
        if (sites.length > 0) {
          // Site rows locked in id order: two purges on two nodes never wait on each other in a cycle.
          await client.query('SELECT 1 FROM sites WHERE id = ANY($1::integer[]) ORDER BY id FOR UPDATE', [sites]);
          await client.query('UPDATE sites s SET map_bytes = s.map_bytes - f.bytes FROM unnest($1::integer[], $2::bigint[]) AS f(id, bytes) WHERE s.id = f.id', [
            sites,
            sites.map((id) => freed.get(id)!),
          ]);
        }
        return rows.length;
      });
    },
  };
}
