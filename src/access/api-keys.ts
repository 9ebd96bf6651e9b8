import crypto from 'node:crypto';
import type { ApiKeyRecord, ApiKeyRole, Storage } from '../storage/port.ts';

/**
 * API keys are random secrets shown once. The store keeps only HMAC-SHA-256(key secret, key): a
 * leaked database (a dump, a backup, a replica) holds no key and no way to test a guess without the
 * key secret, which lives outside it (ANOLE_KEY_SECRET or the key-secret file). Keys are looked up
 * by that hash, so no comparison ever handles a stored secret. See docs/security.md.
 */
export function hashKey(secret: string, key: string): string {
  // The prefix tells these hashes from the unkeyed SHA-256 of earlier versions.
  return `h1:${crypto.createHmac('sha256', secret).update(key, 'utf8').digest('hex')}`;
}

/** How earlier versions stored keys: unkeyed SHA-256, re-hashed at start where the key is known. */
export function legacyHashKey(key: string): string {
  return crypto.createHash('sha256').update(key, 'utf8').digest('hex');
}

/** 192 random bits, URL-safe; the prefix lets secret scanners and people recognise a key. */
export function generateKey(): string {
  return `anole_${crypto.randomBytes(24).toString('base64url')}`;
}

/** Longest key accepted in a header: longer ones are refused before any hashing or lookup. */
export const MAX_KEY_LENGTH = 512;

/** What an Authorization header holds. */
export type Credential = { kind: 'none' } | { kind: 'malformed' } | { kind: 'bearer'; key: string };

/** Reads `Authorization: Bearer <key>`; any other scheme, or a key too long to be one, is malformed. */
export function readCredential(header: string | undefined): Credential {
  if (header === undefined || header === '') return { kind: 'none' };
  const match = /^Bearer[ \t]+([!-~]{1,512})[ \t]*$/i.exec(header);
  return match ? { kind: 'bearer', key: match[1]! } : { kind: 'malformed' };
}

export type KeyCheck = { ok: true; key: ApiKeyRecord } | { ok: false; revokedAt: number | null };

export interface KeyringOptions {
  secret: string;
  /**
   * How long a node trusts a key it has looked up before asking the store again: the bound within
   * which a revocation made on another node takes effect here. 0 asks the store on every request.
   */
  cacheMs: number;
  now: () => number;
  /** Failures of the last-use bookkeeping (an outage of the store); they never fail a request. */
  onError: (error: unknown) => void;
}

export interface Keyring {
  check(key: string): Promise<KeyCheck>;
  /** Creates a key and answers it with its secret, the only time the secret is seen. */
  issue(spec: { role: ApiKeyRole; siteId: number | null; label: string }): Promise<{ key: string; record: ApiKeyRecord }>;
  list(): Promise<ApiKeyRecord[]>;
  /** Revokes a key: refused on this node at once, on the others within cacheMs. */
  revoke(id: number): Promise<ApiKeyRecord | null>;
  hash(key: string): string;
  /** Writes the pending last-use times (at stop). */
  flush(): Promise<void>;
}

/** Last-use times are written at most this often per node, so that keyed traffic costs no write per request. */
const TOUCH_EVERY_MS = 60_000;
/** Cached keys per node; a node sees few distinct keys, and a full cache simply starts over. */
const CACHE_ENTRIES = 10_000;

export function createKeyring(storage: Storage, options: KeyringOptions): Keyring {
  const cache = new Map<string, { key: ApiKeyRecord; until: number }>();
  const used = new Set<number>();
  let lastTouch = options.now();
  const hash = (key: string) => hashKey(options.secret, key);

  const flush = async () => {
    if (used.size === 0) return;
    const ids = [...used];
    used.clear();
    lastTouch = options.now();
    await storage.touchApiKeys(ids, lastTouch);
  };
  const noteUse = (id: number) => {
    used.add(id);
    if (options.now() - lastTouch >= TOUCH_EVERY_MS) flush().catch(options.onError);
  };

  return {
    hash,
    flush,
    async check(key) {
      if (key.length > MAX_KEY_LENGTH) return { ok: false, revokedAt: null };
      const h = hash(key);
      const now = options.now();
      const hit = cache.get(h);
      if (hit && hit.until > now) {
        noteUse(hit.key.id);
        return { ok: true, key: hit.key };
      }
      // Only valid keys are cached: a key created on another node works here at once.
      cache.delete(h);
      const found = await storage.findApiKey(h);
      if (!found || found.revokedAt !== null) return { ok: false, revokedAt: found?.revokedAt ?? null };
      if (options.cacheMs > 0) {
        if (cache.size >= CACHE_ENTRIES) cache.clear();
        cache.set(h, { key: found, until: now + options.cacheMs });
      }
      noteUse(found.id);
      return { ok: true, key: found };
    },
    async issue(spec) {
      const key = generateKey();
      const record = await storage.createApiKey({ hash: hash(key), ...spec, origin: 'api' }, options.now());
      return { key, record };
    },
    list: () => storage.listApiKeys(),
    async revoke(id) {
      const record = await storage.revokeApiKey(id, options.now());
      for (const [h, entry] of cache) if (entry.key.id === id) cache.delete(h);
      return record;
    },
  };
}
