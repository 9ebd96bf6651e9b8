import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { Identity } from '../../core/events.ts';
import { at, canonical, conversion, everyType, nonce } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const mv = (value: string): Identity => ({ kind: 'mappingValue', value });

export function eventsContract(makeStorage: StorageFactory): void {
  describe('events', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('events', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('stores every event type and reads it back unchanged', async () => {
      const events = everyType('v\u00e9\u{1F600}-1');
      expect(await fx.storage.appendEvents(at(site, events))).toEqual(events.map(() => 'accepted'));
      expect(canonical(await fx.storage.eventsOf(site, [vc('v\u00e9\u{1F600}-1')]))).toEqual(canonical(events));
    });

    it('answers [] for an empty batch', async () => {
      expect(await fx.storage.appendEvents([])).toEqual([]);
      expect(await fx.storage.alreadyStored([])).toEqual([]);
    });

    it('acknowledges a replay as duplicate and stores it once', async () => {
      const event = conversion('dup1');
      expect(await fx.storage.appendEvents(at(site, [event]))).toEqual(['accepted']);
      expect(await fx.storage.appendEvents(at(site, [{ ...event, time: event.time + 5, receivedAt: event.receivedAt + 9 }]))).toEqual(['duplicate']);
      const stored = await fx.storage.eventsOf(site, [vc('dup1')]);
      expect(stored).toEqual([event]);
    });

    it('gives first-wins verdicts for duplicates inside one call, in request order', async () => {
      const a = conversion('in1');
      const b = conversion('in1');
      const aAgain = { ...a, time: a.time + 1 };
      const verdicts = await fx.storage.appendEvents(at(site, [a, aAgain, b, a, b]));
      expect(verdicts).toEqual(['accepted', 'duplicate', 'accepted', 'duplicate', 'duplicate']);
      expect(canonical(await fx.storage.eventsOf(site, [vc('in1')]))).toEqual(canonical([a, b]));
    });

    it('keys on the identity as sent: visitorCode=X and mappingValue=X are different', async () => {
      const byCode = conversion('same');
      const byValue = { ...byCode, identity: mv('same') };
      const otherVisitor = { ...byCode, identity: vc('other') };
      expect(await fx.storage.appendEvents(at(site, [byCode, byValue, otherVisitor]))).toEqual(['accepted', 'accepted', 'accepted']);
      expect(await fx.storage.eventsOf(site, [vc('same')])).toEqual([byCode]);
      expect(await fx.storage.eventsOf(site, [mv('same')])).toEqual([byValue]);
    });

    it('keeps sites apart', async () => {
      const other = (await fx.storage.ensureSite('events2', DEFAULT_SITE_SETTINGS)).id;
      const event = conversion('shared');
      expect(await fx.storage.appendEvents([...at(site, [event]), ...at(other, [event])])).toEqual(['accepted', 'accepted']);
      expect(await fx.storage.eventsOf(other, [vc('shared')])).toEqual([event]);
      expect(await fx.storage.eventsOf(site, [vc('nobody')])).toEqual([]);
    });

    it('reads several identities at once', async () => {
      const a = conversion('multi-a');
      const b = conversion('multi-b');
      const c = { ...conversion('x'), identity: mv('multi-c') };
      await fx.storage.appendEvents(at(site, [a, b, c]));
      expect(canonical(await fx.storage.eventsOf(site, [vc('multi-a'), vc('multi-b'), mv('multi-c'), vc('none')]))).toEqual(canonical([a, b, c]));
      expect(await fx.storage.eventsOf(site, [])).toEqual([]);
    });

    it('tells which events are already stored without writing', async () => {
      const stored = conversion('dry');
      const fresh = conversion('dry');
      await fx.storage.appendEvents(at(site, [stored]));
      expect(await fx.storage.alreadyStored(at(site, [fresh, stored, fresh]))).toEqual([false, true, false]);
      expect(await fx.storage.eventsOf(site, [vc('dry')])).toEqual([stored]);
      expect((await fx.storage.stats()).events).toBe(1);
    });

    it('handles a large batch with duplicates spread through it', async () => {
      const unique = Array.from({ length: 3000 }, (_, i) => conversion(`big${i % 97}`));
      const batch = unique.flatMap((e, i) => (i % 3 === 0 ? [e, e] : [e]));
      const verdicts = await fx.storage.appendEvents(at(site, batch));
      expect(verdicts.filter((v) => v === 'accepted')).toHaveLength(3000);
      expect(verdicts.filter((v) => v === 'duplicate')).toHaveLength(1000);
      expect((await fx.storage.stats()).events).toBe(3000);
      const again = await fx.storage.appendEvents(at(site, [...unique.slice(0, 10), conversion('big-new')]));
      expect(again).toEqual([...Array(10).fill('duplicate'), 'accepted']);
    });

    it('stores an event exactly once when two handles append overlapping batches at once', async () => {
      const other = await fx.openAnother();
      try {
        const pool = Array.from({ length: 400 }, (_, i) => conversion(`race${i % 13}`));
        const batches = Array.from({ length: 6 }, (_, k) => pool.filter((_, i) => (i + k) % 3 !== 0).reverse().slice(k * 10));
        const results = await Promise.all(batches.map((b, k) => (k % 2 ? other : fx.storage).appendEvents(at(site, b))));
        const acceptedNonces = results.flatMap((verdicts, k) => batches[k]!.filter((_, i) => verdicts[i] === 'accepted').map((e) => e.nonce));
        const offered = new Set(batches.flat().map((e) => e.nonce));
        expect(acceptedNonces.length).toBe(offered.size);
        expect(new Set(acceptedNonces).size).toBe(offered.size);
        const codes = [...new Set(pool.map((e) => e.identity.value))].map(vc);
        expect((await fx.storage.eventsOf(site, codes)).length).toBe(offered.size);
        expect((await other.stats()).events).toBe(offered.size);
      } finally {
        await other.close();
      }
    });

    it('keeps what was acknowledged after the handle is closed and the store reopened', async () => {
      const event = conversion('durable', { nonce: nonce() });
      await fx.storage.appendEvents(at(site, [event]));
      await fx.storage.close();
      const reopened = await fx.openAnother();
      try {
        expect(await reopened.eventsOf(site, [vc('durable')])).toEqual([event]);
        expect(await reopened.appendEvents(at(site, [event]))).toEqual(['duplicate']);
      } finally {
        await reopened.close();
      }
    });
  });
}
