import type pg from 'pg';

/** Deadlock and serialization failures roll the whole transaction back, so it can simply run again. */
const RETRYABLE = new Set(['40P01', '40001']);
const MAX_ATTEMPTS = 5;

export type Transaction = <T>(work: (client: pg.PoolClient) => Promise<T>) => Promise<T>;

/** Runs `work` in one transaction on a pooled connection, retrying it when PostgreSQL says it may. */
export function transactionOn(pool: pg.Pool): Transaction {
  return async (work) => {
    for (let attempt = 1; ; attempt++) {
      const client = await pool.connect();
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        client.release();
        return result;
      } catch (error) {
        const rolledBack = await client.query('ROLLBACK').then(
          () => true,
          () => false,
        );
        // A client whose connection broke goes back to the pool as broken, not for reuse.
        client.release(rolledBack ? undefined : (error as Error));
        const code = (error as { code?: string }).code;
        if (attempt >= MAX_ATTEMPTS || !code || !RETRYABLE.has(code)) throw error;
      }
    }
  };
}

/**
 * Marks identities dirty for the attribution workers; callers pass them sorted, so lock order is
 * global. A new mark is claimable from `claimed_until` on (the receive time: workers claim the
 * oldest first; 0: at once) and remembers the oldest event time that touched it (`since`); a mark
 * touched again keeps its place.
 */
export const MARK_DIRTY = `
  INSERT INTO dirty_identities (site_id, id_kind, identity, gen, claimed_until, since)
  SELECT site_id, id_kind, identity, 1, claimable, since
  FROM unnest($1::integer[], $2::smallint[], $3::text[], $4::bigint[], $5::bigint[]) AS t(site_id, id_kind, identity, claimable, since)
  ON CONFLICT (site_id, id_kind, identity) DO UPDATE
  SET gen = dirty_identities.gen + 1, since = least(dirty_identities.since, excluded.since)`;
