import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { makeTempDir } from '../../test/helpers/temp-dir.ts';
import { openSqliteStorage } from '../storage/sqlite/sqlite-storage.ts';
import type { Storage } from '../storage/port.ts';
import { createKeyring, hashKey, readCredential, type Keyring } from './api-keys.ts';

describe('keyring', () => {
  let temp: ReturnType<typeof makeTempDir>;
  let storage: Storage;
  let now: number;
  let keyring: Keyring;
  const make = (cacheMs: number) => createKeyring(storage, { secret: 's'.repeat(32), cacheMs, now: () => now, onError: (e) => { throw e; } });

  beforeEach(() => {
    temp = makeTempDir();
    storage = openSqliteStorage({ file: `${temp.dir}/anole.db`, cacheMb: 2 });
    now = 1_000_000;
    keyring = make(1_000);
  });
  afterEach(async () => {
    await storage.close();
    temp.remove();
  });

  it('hashes with the secret: another secret gives another hash', () => {
    expect(hashKey('a'.repeat(32), 'k')).not.toBe(hashKey('b'.repeat(32), 'k'));
    expect(hashKey('a'.repeat(32), 'k')).toMatch(/^h1:[0-9a-f]{64}$/);
  });

  it('trusts a looked-up key for cacheMs at most, and forgets it at once when it revokes it', async () => {
    const { key, record } = await keyring.issue({ role: 'read', siteId: null, label: 'x' });
    expect((await keyring.check(key)).ok).toBe(true);
    // Revoked behind this node's back (another node): still trusted until the cache entry expires.
    await storage.revokeApiKey(record.id, now);
    now += 999;
    expect((await keyring.check(key)).ok).toBe(true);
    now += 1;
    expect(await keyring.check(key)).toEqual({ ok: false, revokedAt: 1_000_000 });

    const second = await keyring.issue({ role: 'read', siteId: null, label: 'y' });
    expect((await keyring.check(second.key)).ok).toBe(true);
    await keyring.revoke(second.record.id);
    expect((await keyring.check(second.key)).ok).toBe(false);
  });

  it('asks the store every time with cacheMs 0, and never caches an unknown key', async () => {
    const uncached = make(0);
    expect((await uncached.check('anole_not-yet')).ok).toBe(false);
    const { key, record } = await uncached.issue({ role: 'read', siteId: null, label: 'x' });
    expect((await uncached.check(key)).ok).toBe(true);
    await storage.revokeApiKey(record.id, now);
    expect((await uncached.check(key)).ok).toBe(false);
  });

  it('records last use at most once a minute, and at flush', async () => {
    const { key, record } = await keyring.issue({ role: 'read', siteId: null, label: 'x' });
    await keyring.check(key);
    expect((await storage.findApiKey(keyring.hash(key)))?.lastUsedAt).toBeNull();
    now += 60_000;
    await keyring.check(key);
    // The use is recorded without holding the request: wait for the write, however loaded the machine.
    await vi.waitFor(async () => expect((await storage.findApiKey(keyring.hash(key)))?.lastUsedAt).toBe(now), { timeout: 10_000, interval: 10 });
    now += 5_000;
    await keyring.check(key);
    await keyring.flush();
    expect((await storage.listApiKeys()).find((k) => k.id === record.id)?.lastUsedAt).toBe(now);
  });

  it('reads bearer credentials and refuses anything else', () => {
    expect(readCredential(undefined)).toEqual({ kind: 'none' });
    expect(readCredential('Bearer abc')).toEqual({ kind: 'bearer', key: 'abc' });
    expect(readCredential('bearer   abc  ')).toEqual({ kind: 'bearer', key: 'abc' });
    for (const bad of ['Basic abc', 'Bearer', 'Bearer a b', `Bearer ${'x'.repeat(513)}`, 'Bearer caf\u00e9']) expect(readCredential(bad).kind).toBe('malformed');
  });
});
