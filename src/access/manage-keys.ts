import { z } from 'zod';
import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';
import type { ApiKeyRecord, Storage } from '../storage/port.ts';
import type { Keyring } from './api-keys.ts';

export const NEW_KEY_BODY = z
  .object({
    role: z.enum(['admin', 'read', 'site']),
    siteCode: z.string().optional(),
    label: z.string().trim().min(1).max(LIMITS.keyLabelLength),
  })
  .strict()
  .refine((b) => (b.role === 'site') === (b.siteCode !== undefined), { message: 'siteCode is required for a site key, and only for one' });

export interface KeyManagementDeps {
  storage: Storage;
  sites: SiteDirectory;
  keyring: Keyring;
}

/** A key as the API shows it: never its secret or hash; times as ISO 8601. */
export interface KeyView {
  id: number;
  role: ApiKeyRecord['role'];
  siteCode: string | null;
  label: string;
  origin: ApiKeyRecord['origin'];
  createdAt: string;
  lastUsedAt: string | null;
  revokedAt: string | null;
}

const iso = (ms: number | null) => (ms === null ? null : new Date(ms).toISOString());

async function view(deps: KeyManagementDeps, record: ApiKeyRecord, siteCodes = new Map<number, string>()): Promise<KeyView> {
  let siteCode: string | null = null;
  if (record.siteId !== null) {
    siteCode = siteCodes.get(record.siteId) ?? (await deps.storage.siteById(record.siteId))?.code ?? null;
    if (siteCode !== null) siteCodes.set(record.siteId, siteCode);
  }
  return {
    id: record.id,
    role: record.role,
    siteCode,
    label: record.label,
    origin: record.origin,
    createdAt: iso(record.createdAt)!,
    lastUsedAt: iso(record.lastUsedAt),
    revokedAt: iso(record.revokedAt),
  };
}

/** POST /api/keys: the only answer that ever holds the key itself. */
export async function issueKey(deps: KeyManagementDeps, body: z.infer<typeof NEW_KEY_BODY>): Promise<KeyView & { key: string }> {
  const active = (await deps.keyring.list()).filter((k) => k.revokedAt === null).length;
  if (active >= LIMITS.activeKeys) {
    throw new AnoleError('quota_exceeded', `${LIMITS.activeKeys} keys are active already: revoke unused ones first (DELETE /api/keys/{id})`);
  }
  const site = body.siteCode === undefined ? null : await deps.sites.resolve(body.siteCode, { create: true });
  const { key, record } = await deps.keyring.issue({ role: body.role, siteId: site?.id ?? null, label: body.label });
  return { ...(await view(deps, record)), key };
}

export async function listKeys(deps: KeyManagementDeps): Promise<KeyView[]> {
  const siteCodes = new Map<number, string>();
  const views: KeyView[] = [];
  for (const record of await deps.keyring.list()) views.push(await view(deps, record, siteCodes));
  return views;
}

/** DELETE /api/keys/{id}: idempotent; the last active admin key stays, so that nobody locks the server out. */
export async function revokeKey(deps: KeyManagementDeps, id: number): Promise<void> {
  const keys = await deps.keyring.list();
  const target = keys.find((k) => k.id === id);
  if (!target) throw new AnoleError('not_found', `there is no key ${id} (GET /api/keys lists them)`);
  if (target.revokedAt !== null) return;
  if (target.role === 'admin' && keys.filter((k) => k.role === 'admin' && k.revokedAt === null).length === 1) {
    throw new AnoleError('last_admin_key', 'this is the last active admin key: create another admin key (POST /api/keys) before revoking it');
  }
  await deps.keyring.revoke(id);
}
