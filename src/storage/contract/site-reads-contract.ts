import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { conversion, nonce } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const T = Date.UTC(2026, 2, 1, 9, 0, 0);

/** The bounded reads behind the dashboard: the site list, the live tail, aggregates of some kinds. */
export function siteReadsContract(makeStorage: StorageFactory): void {
  describe('dashboard reads', () => {
    let fx: StorageFixture;
    beforeEach(async () => {
      fx = await makeStorage();
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('lists sites in code order, at most the limit', async () => {
      for (const code of ['shop-b', 'Shop-a', 'shop-a']) await fx.storage.ensureSite(code, DEFAULT_SITE_SETTINGS);
      expect((await fx.storage.listSites(10)).map((s) => s.code)).toEqual(['Shop-a', 'shop-a', 'shop-b']);
      expect((await fx.storage.listSites(2)).map((s) => s.code)).toEqual(['Shop-a', 'shop-a']);
      expect((await fx.storage.listSites(10))[0]!.settings).toEqual(DEFAULT_SITE_SETTINGS);
    });

    it('reads a site\'s latest events newest first, filtered, within the scan and the time bound', async () => {
      const site = (await fx.storage.ensureSite('tail', DEFAULT_SITE_SETTINGS)).id;
      const other = (await fx.storage.ensureSite('tail-other', DEFAULT_SITE_SETTINGS)).id;
      // One commit per event, in receive order, alternating sites: 10 of each.
      for (let i = 0; i < 20; i++) {
        const event = conversion(i % 4 < 2 ? 'alice' : 'bob', { receivedAt: T + i * 1000, time: T + i * 1000, nonce: nonce() });
        const typed = i % 5 === 0 ? { ...event, type: 'activity' as const, data: {} } : event;
        await fx.storage.appendEvents([{ siteId: i % 2 === 0 ? site : other, event: typed }]);
      }
      const all = await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 1000 });
      expect(all.map((e) => e.receivedAt)).toEqual([18, 16, 14, 12, 10, 8, 6, 4, 2, 0].map((i) => T + i * 1000));
      expect(all[0]).toMatchObject({ type: 'conversion', identity: { kind: 'visitorCode', value: 'bob' }, data: { goalId: 7, revenue: 12.5 } });

      expect((await fx.storage.latestEvents(site, { since: 0, limit: 3, scan: 1000 })).map((e) => e.receivedAt)).toEqual([T + 18_000, T + 16_000, T + 14_000]);
      // Only the site's 3 newest rows are looked at, whatever the filter; other sites' rows do not count.
      expect((await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 3 })).map((e) => e.receivedAt)).toEqual([T + 18_000, T + 16_000, T + 14_000]);
      expect((await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 6, type: 'activity' })).map((e) => e.receivedAt)).toEqual([T + 10_000]);
      expect((await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 6, identity: 'bob' })).map((e) => e.receivedAt)).toEqual([T + 18_000, T + 14_000, T + 10_000]);
      expect((await fx.storage.latestEvents(site, { since: T + 14_000, limit: 100, scan: 1000 })).length).toBe(3);
      const activity = await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 1000, type: 'activity' });
      expect(activity.map((e) => e.receivedAt)).toEqual([10, 0].map((i) => T + i * 1000));
      const alice = await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 1000, identity: 'alice' });
      expect(alice.map((e) => e.receivedAt)).toEqual([16, 12, 8, 4, 0].map((i) => T + i * 1000));
      expect(await fx.storage.latestEvents(site, { since: 0, limit: 100, scan: 1000, identity: 'nobody' })).toEqual([]);
    });

    it('reads aggregates of the kinds asked for, and all of them by default', async () => {
      const site = (await fx.storage.ensureSite('kinds', DEFAULT_SITE_SETTINGS)).id;
      const next = new Map([
        ['U|5|1|visitor|100', [1]],
        ['G|5|1|3|visitor', [1, 0, 0, 0, 2, 4]],
        ['D|5|1|3|visitor|100', [1, 2, 0]],
        ['H|5', [1, 0, 0]],
      ]);
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:p1', next }], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.resultAggregates(site, 5)).toEqual(next);
      expect(await fx.storage.resultAggregates(site, 5, ['U', 'H'])).toEqual(new Map([['U|5|1|visitor|100', [1]], ['H|5', [1, 0, 0]]]));
      expect(await fx.storage.resultAggregates(site, 5, [])).toEqual(new Map());
      expect(await fx.storage.resultAggregates(site, 6, ['U'])).toEqual(new Map());
    });
  });
}
