import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

export function sitesContract(makeStorage: StorageFactory): void {
  describe('sites', () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await makeStorage();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('finds no site that was never created', async () => {
      expect(await fx.storage.findSite('nope')).toBeNull();
    });

    it('creates a site once; a second ensureSite returns it unchanged', async () => {
      const custom = { ...DEFAULT_SITE_SETTINGS, visitTimeoutMs: 60_000 };
      const first = await fx.storage.ensureSite('shop1', custom);
      expect(first).toEqual({ id: first.id, code: 'shop1', settings: custom });
      const again = await fx.storage.ensureSite('shop1', DEFAULT_SITE_SETTINGS);
      expect(again).toEqual(first);
      expect(await fx.storage.findSite('shop1')).toEqual(first);
    });

    it('gives different sites different ids and keeps codes case-sensitive', async () => {
      const a = await fx.storage.ensureSite('abc', DEFAULT_SITE_SETTINGS);
      const b = await fx.storage.ensureSite('ABC', DEFAULT_SITE_SETTINGS);
      expect(a.id).not.toBe(b.id);
      expect((await fx.storage.findSite('ABC'))?.id).toBe(b.id);
    });

    it('fills settings missing from a stored site with the defaults', async () => {
      const partial = { visitTimeoutMs: 5_000 } as unknown as typeof DEFAULT_SITE_SETTINGS;
      const site = await fx.storage.ensureSite('partial', partial);
      expect(site.settings).toEqual({ ...DEFAULT_SITE_SETTINGS, visitTimeoutMs: 5_000 });
    });

    it('agrees on one site when two handles create it at once', async () => {
      const other = await fx.openAnother();
      try {
        const results = await Promise.all(
          Array.from({ length: 8 }, (_, i) => (i % 2 ? other : fx.storage).ensureSite('raced', DEFAULT_SITE_SETTINGS)),
        );
        expect(new Set(results.map((s) => s.id)).size).toBe(1);
      } finally {
        await other.close();
      }
    });
  });
}
