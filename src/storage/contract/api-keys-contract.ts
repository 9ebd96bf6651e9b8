import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { NewApiKey } from '../port.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const NOW = Date.UTC(2026, 0, 10);
const hash = (c: string) => `h1:${c.repeat(64)}`;
const key = (c: string, extra: Partial<NewApiKey> = {}): NewApiKey => ({ hash: hash(c), role: 'read', siteId: null, label: `key ${c}`, origin: 'api', ...extra });

export function apiKeysContract(makeStorage: StorageFactory): void {
  describe('API keys', () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await makeStorage();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('creates keys with roles, finds them by hash only, and lists them without hashes', async () => {
      const site = (await fx.storage.ensureSite('keys', DEFAULT_SITE_SETTINGS)).id;
      const read = await fx.storage.createApiKey(key('a'), NOW);
      const bound = await fx.storage.createApiKey(key('b', { role: 'site', siteId: site, label: 'back-end' }), NOW + 1);
      expect(read).toEqual({ id: read.id, role: 'read', siteId: null, label: 'key a', origin: 'api', createdAt: NOW, lastUsedAt: null, revokedAt: null });
      expect(await fx.storage.findApiKey(hash('b'))).toEqual(bound);
      expect(bound).toMatchObject({ role: 'site', siteId: site, label: 'back-end', createdAt: NOW + 1 });
      expect(await fx.storage.findApiKey(hash('c'))).toBeNull();
      const listed = await fx.storage.listApiKeys();
      expect(listed.map((k) => k.id)).toEqual([read.id, bound.id]);
      expect(JSON.stringify(listed)).not.toContain(hash('a'));
      await expect(fx.storage.createApiKey(key('a'), NOW)).rejects.toThrow();
    });

    it('revokes once (the first time stays), keeps revoked keys findable, and counts active keys only', async () => {
      const a = await fx.storage.createApiKey(key('a', { role: 'admin' }), NOW);
      await fx.storage.createApiKey(key('b', { role: 'admin' }), NOW);
      expect(await fx.storage.countApiKeys('admin')).toBe(2);
      expect(await fx.storage.revokeApiKey(a.id, NOW + 5)).toMatchObject({ id: a.id, revokedAt: NOW + 5 });
      expect(await fx.storage.revokeApiKey(a.id, NOW + 9)).toMatchObject({ revokedAt: NOW + 5 });
      expect(await fx.storage.findApiKey(hash('a'))).toMatchObject({ revokedAt: NOW + 5 });
      expect(await fx.storage.countApiKeys('admin')).toBe(1);
      expect(await fx.storage.revokeApiKey(9999, NOW)).toBeNull();
    });

    it('is seen at once by a second handle, as by another node', async () => {
      const other = await fx.openAnother();
      const a = await fx.storage.createApiKey(key('a'), NOW);
      expect(await other.findApiKey(hash('a'))).toMatchObject({ id: a.id, revokedAt: null });
      await fx.storage.revokeApiKey(a.id, NOW + 1);
      expect(await other.findApiKey(hash('a'))).toMatchObject({ revokedAt: NOW + 1 });
    });

    it('records last use, never going back in time', async () => {
      const a = await fx.storage.createApiKey(key('a'), NOW);
      const b = await fx.storage.createApiKey(key('b'), NOW);
      await fx.storage.touchApiKeys([a.id, b.id], NOW + 100);
      await fx.storage.touchApiKeys([a.id], NOW + 50);
      await fx.storage.touchApiKeys([], NOW + 200);
      expect((await fx.storage.findApiKey(hash('a')))?.lastUsedAt).toBe(NOW + 100);
      expect((await fx.storage.findApiKey(hash('b')))?.lastUsedAt).toBe(NOW + 100);
    });

    it('keeps one configured admin key: a new value revokes the old one, and a revoked value is refused', async () => {
      const first = await fx.storage.configureAdminKey(hash('a'), NOW);
      expect(first).toEqual({ outcome: 'active', id: expect.any(Number), replaced: 0 });
      expect(await fx.storage.configureAdminKey(hash('a'), NOW + 1)).toEqual({ outcome: 'active', id: (first as { id: number }).id, replaced: 0 });
      const generated = await fx.storage.createApiKey(key('g', { role: 'admin', origin: 'generated' }), NOW);
      const second = await fx.storage.configureAdminKey(hash('b'), NOW + 2);
      expect(second).toMatchObject({ outcome: 'active', replaced: 1 });
      expect(await fx.storage.findApiKey(hash('a'))).toMatchObject({ origin: 'configured', role: 'admin', label: 'ANOLE_ADMIN_KEY', revokedAt: NOW + 2 });
      // Keys of other origins are not the configured key: they stay.
      expect(await fx.storage.findApiKey(hash('g'))).toMatchObject({ id: generated.id, revokedAt: null });
      expect(await fx.storage.configureAdminKey(hash('a'), NOW + 3)).toEqual({ outcome: 'revoked', revokedAt: NOW + 2 });
      expect(await fx.storage.findApiKey(hash('b'))).toMatchObject({ revokedAt: null });
    });

    it('re-hashes a key stored the old way', async () => {
      await fx.storage.createApiKey(key('a'), NOW);
      expect(await fx.storage.rehashApiKey(hash('a'), hash('z'))).toBe(true);
      expect(await fx.storage.findApiKey(hash('a'))).toBeNull();
      expect(await fx.storage.findApiKey(hash('z'))).toMatchObject({ label: 'key a' });
      expect(await fx.storage.rehashApiKey(hash('q'), hash('y'))).toBe(false);
    });

    it('claims a server-wide value once: later claims answer the first', async () => {
      const other = await fx.openAnother();
      expect(await fx.storage.claimServerValue('check', 'one')).toBe('one');
      expect(await other.claimServerValue('check', 'two')).toBe('one');
      expect(await fx.storage.claimServerValue('another', 'x')).toBe('x');
    });
  });
}
