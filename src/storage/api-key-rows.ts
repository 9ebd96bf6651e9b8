import type { ApiKeyOrigin, ApiKeyRecord, ApiKeyRole } from './port.ts';

/** The columns both adapters read a key with (never the hash). */
export const API_KEY_COLUMNS = 'id, role, site_id, label, origin, created_at, last_used_at, revoked_at';

export interface ApiKeyRow {
  id: number | string;
  role: string;
  site_id: number | null;
  label: string;
  origin: string;
  created_at: number | string;
  last_used_at: number | string | null;
  revoked_at: number | string | null;
}

/** PostgreSQL answers bigint columns as strings; both engines give back the same record. */
export function fromApiKeyRow(row: ApiKeyRow): ApiKeyRecord {
  return {
    id: Number(row.id),
    role: row.role as ApiKeyRole,
    siteId: row.site_id === null ? null : Number(row.site_id),
    label: row.label,
    origin: row.origin as ApiKeyOrigin,
    createdAt: Number(row.created_at),
    lastUsedAt: row.last_used_at === null ? null : Number(row.last_used_at),
    revokedAt: row.revoked_at === null ? null : Number(row.revoked_at),
  };
}
