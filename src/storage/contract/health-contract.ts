import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, conversion } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

export function healthContract(makeStorage: StorageFactory): void {
  describe('stats, ping and close', () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await makeStorage();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('counts stored events, not duplicates, and reports the size on disk', async () => {
      expect((await fx.storage.stats()).events).toBe(0);
      const site = (await fx.storage.ensureSite('stats', DEFAULT_SITE_SETTINGS)).id;
      const a = conversion('s1');
      await fx.storage.appendEvents(at(site, [a, a, conversion('s2')]));
      await fx.storage.appendEvents(at(site, [a]));
      const stats = await fx.storage.stats();
      expect(stats.events).toBe(2);
      expect(stats.bytes === null || stats.bytes > 0).toBe(true);
    });

    it('answers ping while open, refuses it once closed, and closes twice without error', async () => {
      await expect(fx.storage.ping()).resolves.toBeUndefined();
      await fx.storage.close();
      await expect(fx.storage.ping()).rejects.toThrow();
      await expect(fx.storage.close()).resolves.toBeUndefined();
    });
  });
}
