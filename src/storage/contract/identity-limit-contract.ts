import { afterEach, describe, expect, it } from 'vitest';
import type { Identity } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { at, conversion } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const mv = (value: string): Identity => ({ kind: 'mappingValue', value });

export function identityLimitContract(makeStorage: StorageFactory): void {
  describe('events per identity', () => {
    let fx: StorageFixture | null = null;
    afterEach(async () => {
      await fx?.cleanup();
      fx = null;
    });
    const open = async (eventsPerIdentity: number) => {
      fx = await makeStorage({ eventsPerIdentity });
      return { fx, site: (await fx.storage.ensureSite('capped', DEFAULT_SITE_SETTINGS)).id };
    };

    it('refuses the events past the cap, counting those accepted before them in the same call; duplicates stay duplicates', async () => {
      const { fx, site } = await open(5);
      const first = [conversion('full'), conversion('full'), conversion('full')];
      expect(await fx.storage.appendEvents(at(site, first))).toEqual(['accepted', 'accepted', 'accepted']);
      const more = [first[0]!, conversion('full'), conversion('full'), conversion('full'), conversion('full', { identity: mv('full') }), conversion('other')];
      expect(await fx.storage.appendEvents(at(site, [...more, more[3]!]))).toEqual(['duplicate', 'accepted', 'accepted', 'over_limit', 'accepted', 'accepted', 'over_limit']);
      expect(await fx.storage.eventsOf(site, [vc('full')])).toHaveLength(5);
      expect((await fx.storage.stats()).events).toBe(7);
      expect(await fx.storage.appendEvents(at(site, [conversion('full')]))).toEqual(['over_limit']);
      // A refused event was not stored: once there is room, it is accepted.
      expect(await fx.storage.appendEvents(at(site, [first[1]!]))).toEqual(['duplicate']);
    });

    it('counts per site, frees room when events are forgotten, and keeps counting after a reopen', async () => {
      const { fx, site } = await open(3);
      const other = (await fx.storage.ensureSite('capped2', DEFAULT_SITE_SETTINGS)).id;
      const events = [conversion('room'), conversion('room'), conversion('room')];
      await fx.storage.appendEvents([...at(site, events), ...at(other, [conversion('room'), conversion('room'), conversion('room')])]);
      expect(await fx.storage.appendEvents(at(site, [conversion('room')]))).toEqual(['over_limit']);
      await fx.storage.forgetVisitors(site, {
        identities: [],
        events: [{ identity: vc('room'), nonce: events[0]!.nonce }],
        linkVisitorCodes: [],
        linkMappingValues: [],
        mapKeys: [],
        dirty: [],
      });
      expect(await fx.storage.appendEvents(at(site, [conversion('room'), conversion('room')]))).toEqual(['accepted', 'over_limit']);
      await fx.storage.close();
      const reopened = await fx.openAnother();
      expect(await reopened.appendEvents(at(site, [conversion('room')]))).toEqual(['over_limit']);
      expect(await reopened.eventsOf(site, [vc('room')])).toHaveLength(3);
    });

    it('holds across two handles appending to one identity at once', async () => {
      const { fx, site } = await open(20);
      const other = await fx.openAnother();
      const batches = Array.from({ length: 6 }, () => Array.from({ length: 7 }, () => conversion('shared')));
      const verdicts = await Promise.all(batches.map((b, k) => (k % 2 ? other : fx.storage).appendEvents(at(site, b))));
      expect(verdicts.flat().filter((v) => v === 'accepted')).toHaveLength(20);
      expect(await fx.storage.eventsOf(site, [vc('shared')])).toHaveLength(20);
    });
  });
}
