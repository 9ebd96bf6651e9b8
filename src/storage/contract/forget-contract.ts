import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { ForgetPlan } from '../port.ts';
import { at, canonical, conversion, everyType, mappingEvent } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const code = (value: string): Identity => ({ kind: 'visitorCode', value });
const value = (v: string): Identity => ({ kind: 'mappingValue', value: v });
const emptyPlan: ForgetPlan = { identities: [], events: [], linkVisitorCodes: [], linkMappingValues: [], mapKeys: [], dirty: [] };

export function forgetContract(makeStorage: StorageFactory): void {
  describe('forget', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('forget', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('deletes what the plan names, and only that, then does nothing the second time', async () => {
      const gone = everyType('gone');
      const byValue = conversion('x', { identity: value('user-9') });
      const keptByValue = conversion('x', { identity: value('user-9') });
      const kept = everyType('kept');
      await fx.storage.appendEvents(at(site, [...gone, mappingEvent('gone', 'user-9'), mappingEvent('kept', 'user-9'), byValue, keptByValue, ...kept]));
      await fx.storage.putMaps(site, [{ key: 'gone', fields: { a: 1 } }, { key: 'kept', fields: { a: 1 } }], { now: 0, expiresAt: 8.64e15, maxSiteBytes: 2 ** 40 });
      const plan: ForgetPlan = {
        ...emptyPlan,
        identities: [code('gone')],
        events: [{ identity: byValue.identity, nonce: byValue.nonce.toUpperCase() }],
        linkVisitorCodes: ['gone'],
        mapKeys: ['gone'],
        dirty: [code('gone'), value('user-9')],
      };
      expect(await fx.storage.forgetVisitors(site, plan)).toEqual({ events: gone.length + 2, links: 1, maps: 1 });
      expect(await fx.storage.eventsOf(site, [code('gone')])).toEqual([]);
      expect(await fx.storage.eventsOf(site, [value('user-9')])).toEqual([keptByValue]);
      expect(canonical(await fx.storage.eventsOf(site, [code('kept')]))).toHaveLength(kept.length + 1);
      expect(await fx.storage.linksOfVisitorCodes(site, ['gone'])).toEqual([]);
      expect((await fx.storage.linksOfMappingValues(site, ['user-9'])).map((l) => l.visitorCode)).toEqual(['kept']);
      expect([...(await fx.storage.getMaps(site, ['gone', 'kept'], 1)).keys()]).toEqual(['kept']);
      expect(await fx.storage.forgetVisitors(site, plan)).toEqual({ events: 0, links: 0, maps: 0 });
    });

    it('deletes every link to a named mapping value', async () => {
      await fx.storage.appendEvents(at(site, [mappingEvent('d1', 'person'), mappingEvent('d2', 'person'), mappingEvent('d3', 'other')]));
      const counts = await fx.storage.forgetVisitors(site, { ...emptyPlan, linkMappingValues: ['person'] });
      expect(counts.links).toBe(2);
      expect(await fx.storage.linksOfMappingValues(site, ['person'])).toEqual([]);
      expect(await fx.storage.linksOfMappingValues(site, ['other'])).toHaveLength(1);
    });

    it('answers a replay of a forgotten event duplicate and stores nothing; new events are stored', async () => {
      const old = [conversion('gone'), mappingEvent('gone', 'user-1')];
      await fx.storage.appendEvents(at(site, old));
      await fx.storage.forgetVisitors(site, { ...emptyPlan, identities: [code('gone')], linkVisitorCodes: ['gone'] });
      const another = await fx.openAnother();
      for (const store of [fx.storage, another]) {
        expect(await store.alreadyStored(at(site, old))).toEqual([true, true]);
        expect(await store.appendEvents(at(site, old))).toEqual(['duplicate', 'duplicate']);
      }
      expect(await fx.storage.eventsOf(site, [code('gone')])).toEqual([]);
      expect(await fx.storage.linksOfVisitorCodes(site, ['gone'])).toEqual([]);
      const fresh = conversion('gone');
      expect(await fx.storage.appendEvents(at(site, [fresh]))).toEqual(['accepted']);
      expect(await fx.storage.eventsOf(site, [code('gone')])).toEqual([fresh]);
    });

    it('keeps tombstones per site: the same identity and nonce elsewhere is not affected', async () => {
      const other = (await fx.storage.ensureSite('forget-other', DEFAULT_SITE_SETTINGS)).id;
      const event = conversion('same');
      await fx.storage.appendEvents(at(site, [event]));
      await fx.storage.forgetVisitors(site, { ...emptyPlan, identities: [code('same')] });
      expect(await fx.storage.appendEvents(at(other, [event]))).toEqual(['accepted']);
      expect(await fx.storage.appendEvents(at(site, [event]))).toEqual(['duplicate']);
    });
  });
}
