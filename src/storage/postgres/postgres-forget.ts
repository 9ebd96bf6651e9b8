import type pg from 'pg';
import { identityKindCode } from '../event-rows.ts';
import { forgottenEventDigest } from '../forget-digest.ts';
import { MAP_ROW_BYTES_SQL } from '../map-rows.ts';
import type { ForgetCounts, Storage } from '../port.ts';
import { MARK_DIRTY, type Transaction } from './postgres-transaction.ts';
import { FROM_SCRATCH } from '../port.ts';

interface DeletedEvent {
  id_kind: number;
  identity: string;
  nonce: string;
}

export interface FreshEvent {
  siteId: number;
  idKind: number;
  identity: string;
  nonce: string;
}

export interface PostgresForget extends Pick<Storage, 'forgetVisitors'> {
  /**
   * Of the events just inserted in this transaction, those that were forgotten before (they have
   * a tombstone). Checked after the insert: an insert that waited on a concurrent forget sees that
   * forget's tombstones in its next statement (read committed), so a replay cannot slip back in.
   */
  forgottenAmong(client: pg.PoolClient, fresh: readonly FreshEvent[]): Promise<Set<FreshEvent>>;
}

/** POST /visit/forget for the PostgreSQL adapter: deletes in one transaction and keeps tombstones. */
export function postgresForget(transaction: Transaction): PostgresForget {
  return {
    async forgetVisitors(siteId, plan): Promise<ForgetCounts> {
      return transaction(async (client) => {
        // One statement per kind of deletion, not one per identity: a batch names hundreds.
        const deleted: DeletedEvent[] = [];
        if (plan.identities.length > 0) {
          const { rows } = await client.query<DeletedEvent>(
            `DELETE FROM events e USING unnest($2::smallint[], $3::text[]) AS x(k, v)
             WHERE e.site_id = $1 AND e.id_kind = x.k AND e.identity = x.v RETURNING e.id_kind, e.identity, e.nonce`,
            [siteId, plan.identities.map((i) => identityKindCode(i.kind)), plan.identities.map((i) => i.value)],
          );
          deleted.push(...rows);
        }
        if (plan.events.length > 0) {
          const { rows } = await client.query<DeletedEvent>(
            `DELETE FROM events e USING unnest($2::smallint[], $3::text[], $4::text[]) AS x(k, v, n)
             WHERE e.site_id = $1 AND e.id_kind = x.k AND e.identity = x.v AND e.nonce = x.n RETURNING e.id_kind, e.identity, e.nonce`,
            [siteId, plan.events.map((e) => identityKindCode(e.identity.kind)), plan.events.map((e) => e.identity.value), plan.events.map((e) => e.nonce.toLowerCase())],
          );
          deleted.push(...rows);
        }
        if (deleted.length > 0) {
          // The per-identity cap counts what is stored: deleted events no longer count.
          const gone = new Map<string, { kind: number; identity: string; n: number }>();
          for (const row of deleted) {
            const key = `${row.id_kind}\u0000${row.identity}`;
            const entry = gone.get(key) ?? { kind: Number(row.id_kind), identity: row.identity, n: 0 };
            entry.n += 1;
            gone.set(key, entry);
          }
          const sorted = [...gone.values()].sort((a, b) => a.kind - b.kind || (a.identity < b.identity ? -1 : a.identity > b.identity ? 1 : 0));
          await client.query(
            `UPDATE identity_event_counts c SET events = greatest(0, c.events - q.n)
             FROM unnest($2::smallint[], $3::text[], $4::bigint[]) AS q(id_kind, identity, n)
             WHERE c.site_id = $1 AND c.id_kind = q.id_kind AND c.identity = q.identity`,
            [siteId, sorted.map((g) => g.kind), sorted.map((g) => g.identity), sorted.map((g) => g.n)],
          );
          await client.query(
            `INSERT INTO forgotten_events (site_id, digest, forgotten_at)
             SELECT $1, d, $3 FROM unnest($2::bytea[]) AS d ON CONFLICT DO NOTHING`,
            [siteId, deleted.map((row) => forgottenEventDigest(Number(row.id_kind), row.identity, row.nonce)), Date.now()],
          );
        }
        const links =
          (await client.query('DELETE FROM identity_links WHERE site_id = $1 AND visitor_code = ANY($2::text[])', [siteId, [...plan.linkVisitorCodes]]))
            .rowCount! +
          (await client.query('DELETE FROM identity_links WHERE site_id = $1 AND mapping_value = ANY($2::text[])', [siteId, [...plan.linkMappingValues]]))
            .rowCount!;
        const deletedMaps = await client.query<{ bytes: number }>(
          `DELETE FROM maps WHERE site_id = $1 AND key = ANY($2::text[]) RETURNING ${MAP_ROW_BYTES_SQL} AS bytes`,
          [siteId, [...plan.mapKeys]],
        );
        const maps = deletedMaps.rows.length;
        const mapBytes = deletedMaps.rows.reduce((sum, r) => sum + r.bytes, 0);
        const dirty = [...new Map(plan.dirty.map((i) => [`${identityKindCode(i.kind)}\u0000${i.value}`, i])).values()].sort((a, b) =>
          a.kind === b.kind ? (a.value < b.value ? -1 : a.value > b.value ? 1 : 0) : a.kind < b.kind ? -1 : 1,
        );
        if (dirty.length > 0) {
          await client.query(MARK_DIRTY, [
            dirty.map(() => siteId),
            dirty.map((i) => identityKindCode(i.kind)),
            dirty.map((i) => i.value),
            dirty.map(() => 0),
            dirty.map(() => FROM_SCRATCH),
          ]);
        }
        // The site's row last (the lock order of postgres-maps.ts).
        if (mapBytes > 0) await client.query('UPDATE sites SET map_bytes = map_bytes - $2 WHERE id = $1', [siteId, mapBytes]);
        return { events: deleted.length, links, maps };
      });
    },

    async forgottenAmong(client, fresh) {
      const out = new Set<FreshEvent>();
      if (fresh.length === 0) return out;
      const sites = [...new Set(fresh.map((f) => f.siteId))];
      const { rows } = await client.query<{ site_id: number }>(
        'SELECT s AS site_id FROM unnest($1::integer[]) AS s WHERE EXISTS (SELECT 1 FROM forgotten_events f WHERE f.site_id = s)',
        [sites],
      );
      // Sites that never forgot anything (nearly all writes) cost this one query and no hashing.
      if (rows.length === 0) return out;
      const withTombstones = new Set(rows.map((r) => r.site_id));
      const candidates = fresh.filter((f) => withTombstones.has(f.siteId));
      const digests = candidates.map((f) => forgottenEventDigest(f.idKind, f.identity, f.nonce));
      const found = await client.query<{ site_id: number; digest: Buffer }>(
        `SELECT f.site_id, f.digest FROM unnest($1::integer[], $2::bytea[]) AS q(site_id, digest)
         JOIN forgotten_events f ON f.site_id = q.site_id AND f.digest = q.digest`,
        [candidates.map((f) => f.siteId), digests],
      );
      const hits = new Set(found.rows.map((r) => `${r.site_id}:${r.digest.toString('hex')}`));
      candidates.forEach((f, i) => {
        if (hits.has(`${f.siteId}:${digests[i]!.toString('hex')}`)) out.add(f);
      });
      return out;
    },
  };
}
