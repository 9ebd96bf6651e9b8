import type Database from 'better-sqlite3';
import { API_KEY_COLUMNS, fromApiKeyRow, type ApiKeyRow } from '../api-key-rows.ts';
import type { ApiKeyStoragePart, ConfiguredKeyOutcome } from '../port.ts';

/** API keys and server-wide values for the SQLite adapter. */
export function sqliteApiKeys(db: Database.Database): ApiKeyStoragePart {
  const find = db.prepare<[string], ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE hash = ?`);
  const byId = db.prepare<[number], ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys WHERE id = ?`);
  const list = db.prepare<[], ApiKeyRow>(`SELECT ${API_KEY_COLUMNS} FROM api_keys ORDER BY id`);
  const insert = db.prepare<[string, string, number | null, string, string, number], ApiKeyRow>(
    `INSERT INTO api_keys (hash, role, site_id, label, origin, created_at) VALUES (?, ?, ?, ?, ?, ?) RETURNING ${API_KEY_COLUMNS}`,
  );
  const revoke = db.prepare('UPDATE api_keys SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?');
  const revokeOtherConfigured = db.prepare("UPDATE api_keys SET revoked_at = ? WHERE origin = 'configured' AND revoked_at IS NULL AND hash <> ?");
  const touch = db.prepare('UPDATE api_keys SET last_used_at = max(COALESCE(last_used_at, 0), ?) WHERE id = ?');
  const rehash = db.prepare('UPDATE api_keys SET hash = ? WHERE hash = ?');
  const count = db.prepare<[string], { n: number }>('SELECT COUNT(*) AS n FROM api_keys WHERE role = ? AND revoked_at IS NULL');
  const putValue = db.prepare('INSERT INTO server_meta (name, value) VALUES (?, ?) ON CONFLICT (name) DO NOTHING');
  const getValue = db.prepare<[string], { value: string }>('SELECT value FROM server_meta WHERE name = ?');

  const configure = db.transaction((hash: string, now: number): ConfiguredKeyOutcome => {
    const existing = find.get(hash);
    if (existing?.revoked_at != null) return { outcome: 'revoked', revokedAt: Number(existing.revoked_at) };
    const replaced = revokeOtherConfigured.run(now, hash).changes;
    const row = existing ?? insert.get(hash, 'admin', null, 'ANOLE_ADMIN_KEY', 'configured', now)!;
    return { outcome: 'active', id: Number(row.id), replaced };
  });
  const touchAll = db.transaction((ids: readonly number[], now: number) => {
    for (const id of ids) touch.run(now, id);
  });

  return {
    async findApiKey(hash) {
      const row = find.get(hash);
      return row ? fromApiKeyRow(row) : null;
    },
    async createApiKey(key, now) {
      return fromApiKeyRow(insert.get(key.hash, key.role, key.siteId, key.label, key.origin, now)!);
    },
    async listApiKeys() {
      return list.all().map(fromApiKeyRow);
    },
    async revokeApiKey(id, now) {
      revoke.run(now, id);
      const row = byId.get(id);
      return row ? fromApiKeyRow(row) : null;
    },
    async touchApiKeys(ids, now) {
      if (ids.length > 0) touchAll.immediate(ids, now);
    },
    async configureAdminKey(hash, now) {
      return configure.immediate(hash, now);
    },
    async rehashApiKey(oldHash, newHash) {
      return rehash.run(newHash, oldHash).changes > 0;
    },
    async countApiKeys(role) {
      return count.get(role)?.n ?? 0;
    },
    async claimServerValue(name, value) {
      putValue.run(name, value);
      return getValue.get(name)!.value;
    },
  };
}
