import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { VisitorEvent } from '../../core/events.ts';
import type { IdentityLink } from '../../core/identity.ts';
import { at, conversion, mappingEvent } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const byNonce = (links: IdentityLink[]) => [...links].sort((a, b) => (a.nonce < b.nonce ? -1 : 1));

export function linksContract(makeStorage: StorageFactory): void {
  describe('identity links', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('links', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('records a link for a mapping-identifier event, readable from both sides', async () => {
      const event = mappingEvent('device1', 'user@example.com');
      await fx.storage.appendEvents(at(site, [event]));
      const link = { mappingValue: 'user@example.com', visitorCode: 'device1', time: event.time, nonce: event.nonce };
      expect(await fx.storage.linksOfVisitorCodes(site, ['device1'])).toEqual([link]);
      expect(await fx.storage.linksOfMappingValues(site, ['user@example.com'])).toEqual([link]);
      expect(await fx.storage.linksOfVisitorCodes(site, [])).toEqual([]);
      expect(await fx.storage.linksOfMappingValues(site, ['nobody'])).toEqual([]);
    });

    it('records no link for other events, nor for a mapping event sent by mapping value', async () => {
      const byValue = { ...mappingEvent('x', 'u2'), identity: { kind: 'mappingValue' as const, value: 'u2' } };
      const plain = { ...mappingEvent('device2', 'u2'), data: { index: 1, valuesCountMap: { u2: 1 }, overwrite: true, mappingIdentifier: false } } as VisitorEvent;
      await fx.storage.appendEvents(at(site, [byValue, plain, conversion('device2')]));
      expect(await fx.storage.linksOfMappingValues(site, ['u2'])).toEqual([]);
      expect(await fx.storage.linksOfVisitorCodes(site, ['device2', 'u2'])).toEqual([]);
    });

    it('adds no second link when the mapping event is replayed, in the same call or later', async () => {
      const event = mappingEvent('device3', 'u3');
      await fx.storage.appendEvents(at(site, [event, event]));
      await fx.storage.appendEvents(at(site, [event]));
      expect(await fx.storage.linksOfMappingValues(site, ['u3'])).toHaveLength(1);
    });

    it('keeps the whole history when a device is linked again, to the same or another value', async () => {
      const first = mappingEvent('device4', 'u4', 1_000);
      const second = mappingEvent('device4', 'u5', 2_000);
      const third = mappingEvent('device4', 'u4', 3_000);
      const elsewhere = mappingEvent('device5', 'u4', 4_000);
      await fx.storage.appendEvents(at(site, [first, second]));
      await fx.storage.appendEvents(at(site, [third, elsewhere]));
      const link = (e: typeof first, value: string) => ({ mappingValue: value, visitorCode: e.identity.value, time: e.time, nonce: e.nonce });
      expect(byNonce(await fx.storage.linksOfVisitorCodes(site, ['device4']))).toEqual(byNonce([link(first, 'u4'), link(second, 'u5'), link(third, 'u4')]));
      expect(byNonce(await fx.storage.linksOfMappingValues(site, ['u4', 'u5']))).toEqual(
        byNonce([link(first, 'u4'), link(second, 'u5'), link(third, 'u4'), link(elsewhere, 'u4')]),
      );
    });

    it('keeps links of different sites apart', async () => {
      const other = (await fx.storage.ensureSite('links2', DEFAULT_SITE_SETTINGS)).id;
      await fx.storage.appendEvents(at(other, [mappingEvent('device6', 'u6')]));
      expect(await fx.storage.linksOfVisitorCodes(site, ['device6'])).toEqual([]);
      expect(await fx.storage.linksOfVisitorCodes(other, ['device6'])).toHaveLength(1);
    });
  });
}
