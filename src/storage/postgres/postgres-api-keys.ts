import type pg from 'pg';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRow } from '../api-key-rows.ts';
import type { ApiKeyStoragePart, ConfiguredKeyOutcome } from '../port.ts';
import type { Transaction } from './postgres-transaction.ts';

/** Transaction-level advisory lock taken while the configured admin key changes ("akey" in ASCII). */
const CONFIGURE_LOCK = 1_634_428_281;

/** API keys and server-wide values for the PostgreSQL adapter. */
export function postgresApiKeys(pool: pg.Pool, transaction: Transaction): ApiKeyStoragePart {
  return {
    async findApiKey(hash) {
      const { rows } = await pool.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE hash = $1`, [hash]);
      return rows[0] ? fromApiKeyRow(rows[0]) : null;
    },
    async createApiKey(key, now) {
      const { rows } = await pool.query<ApiKeyRow>(
        `INSERT INTO api_keys (hash, role, site_id, label, origin, created_at) VALUES ($1, $2, $3, $4, $5, $6) RETURNING ${API_KEY_COLUMNS}`,
        [key.hash, key.role, key.siteId, key.label, key.origin, now],
      );
      return fromApiKeyRow(rows[0]!);
    },
    async listApiKeys() {
      const { rows } = await pool.query<ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY id`);
      return rows.map(fromApiKeyRow);
    },
    async revokeApiKey(id, now) {
      const { rows } = await pool.query<ApiKeyRow>(
        `UPDATE api_keys SET revoked_at = COALESCE(revoked_at, $1) WHERE id = $2 RETURNING ${API_KEY_COLUMNS}`,
        [now, id],
      );
      return rows[0] ? fromApiKeyRow(rows[0]) : null;
    },
    async touchApiKeys(ids, now) {
      if (ids.length === 0) return;
      await pool.query('UPDATE api_keys SET last_used_at = GREATEST(COALESCE(last_used_at, 0), $1) WHERE id = ANY($2::integer[])', [now, [...ids]]);
    },
    async configureAdminKey(hash, now) {
      // Nodes starting together with different values serialize here; the last one started wins.
      return transaction(async (client): Promise<ConfiguredKeyOutcome> => {
        await client.query('SELECT pg_advisory_xact_lock($1)', [CONFIGURE_LOCK]);
        const { rows } = await client.query<{ id: number; revoked_at: string | null }>('SELECT id, revoked_at FROM api_keys WHERE hash = $1', [hash]);
        const existing = rows[0];
        if (existing?.revoked_at != null) return { outcome: 'revoked', revokedAt: Number(existing.revoked_at) };
        const revoked = await client.query(
          "UPDATE api_keys SET revoked_at = $1 WHERE origin = 'configured' AND revoked_at IS NULL AND hash <> $2",
          [now, hash],
        );
        const id = existing
          ? existing.id
          : (
              await client.query<{ id: number }>(
                "INSERT INTO api_keys (hash, role, site_id, label, origin, created_at) VALUES ($1, 'admin', NULL, 'ANOLE_ADMIN_KEY', 'configured', $2) RETURNING id",
                [hash, now],
              )
            ).rows[0]!.id;
        return { outcome: 'active', id: Number(id), replaced: revoked.rowCount ?? 0 };
      });
    },
    async rehashApiKey(oldHash, newHash) {
      const result = await pool.query('UPDATE api_keys SET hash = $1 WHERE hash = $2', [newHash, oldHash]);
      return (result.rowCount ?? 0) > 0;
    },
    async countApiKeys(role) {
      const { rows } = await pool.query<{ n: string }>('SELECT count(*) AS n FROM api_keys WHERE role = $1 AND revoked_at IS NULL', [role]);
      return Number(rows[0]?.n ?? 0);
    },
    async claimServerValue(name, value) {
      await pool.query('INSERT INTO server_meta (name, value) VALUES ($1, $2) ON CONFLICT (name) DO NOTHING', [name, value]);
      const { rows } = await pool.query<{ value: string }>('SELECT value FROM server_meta WHERE name = $1', [name]);
      return rows[0]!.value;
    },
  };
}
