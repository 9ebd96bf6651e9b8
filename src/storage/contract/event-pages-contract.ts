import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Identity, VisitorEvent } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { FROM_SCRATCH, type Storage } from '../port.ts';
import { at, canonical, conversion } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const vc = (value: string): Identity => ({ kind: 'visitorCode', value });
const mv = (value: string): Identity => ({ kind: 'mappingValue', value });
const T0 = Date.UTC(2025, 2, 1);

/** Every page of the identity, in the order answered. */
async function allPages(storage: Storage, site: number, identity: Identity, limit: number): Promise<{ events: VisitorEvent[]; pages: number }> {
  const events: VisitorEvent[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const page = await storage.eventPage(site, identity, { limit, cursor });
    expect(page.events.length).toBeLessThanOrEqual(limit);
    events.push(...page.events);
    cursor = page.cursor;
    pages += 1;
    expect(pages).toBeLessThan(1000);
  } while (cursor !== null);
  return { events, pages };
}

const times = (events: readonly VisitorEvent[]) => events.map((e) => e.time);
const descending = (xs: number[]) => xs.every((x, i) => i === 0 || xs[i - 1]! >= x);

export function eventPagesContract(makeStorage: StorageFactory): void {
  describe('event pages (newest first)', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('pages', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('reads many identities from each one\'s own time on in one call (eventsSince), each event once', async () => {
      // More events than one page of the engines' paged reads, runs of equal times, arrival out of order.
      const long = Array.from({ length: 300 }, (_, i) => conversion('long', { time: T0 + ((i * 37) % 300) * 1_000 }));
      const byValue = Array.from({ length: 5 }, (_, i) => ({ ...conversion('ignored', { time: T0 + i * 1_000 }), identity: mv('long') }));
      const short = [conversion('short', { time: T0 }), conversion('short', { time: T0 + 5_000 }), conversion('short', { time: T0 + 5_000 })];
      const elsewhere = (await fx.storage.ensureSite('pages-other', DEFAULT_SITE_SETTINGS)).id;
      await fx.storage.appendEvents(at(site, [...long.slice(0, 150), ...short, ...byValue, ...long.slice(150)]));
      await fx.storage.appendEvents(at(elsewhere, [conversion('long', { time: T0 + 299_000 })]));
      const since = T0 + 100_000;
      const read = await fx.storage.eventsSince(site, [
        { identity: vc('long'), since },
        { identity: vc('short'), since: T0 + 5_000 },
        { identity: mv('long'), since: FROM_SCRATCH },
        { identity: vc('nobody'), since: FROM_SCRATCH },
        // Named twice: read once, from the smaller time.
        { identity: vc('short'), since: T0 + 6_000 },
      ]);
      const expected = [...long.filter((e) => e.time >= since), short[1]!, short[2]!, ...byValue];
      expect(canonical(read)).toEqual(canonical(expected));
      expect(await fx.storage.eventsSince(site, [])).toEqual([]);
      expect(canonical(await fx.storage.eventsSince(site, [{ identity: vc('long'), since: FROM_SCRATCH }]))).toEqual(canonical(long));
      expect(await fx.storage.eventsSince(site, [{ identity: vc('long'), since: T0 + 300_000 }])).toEqual([]);
    });

    it('pages through an identity newest first, ties in time included, each event once', async () => {
      // Runs of equal times (one request's events share its receive time) and arrival out of order.
      const events = Array.from({ length: 37 }, (_, i) => conversion('pager', { time: T0 + Math.floor(((i * 7) % 37) / 4) * 60_000 }));
      const noise = Array.from({ length: 11 }, (_, i) => conversion(`other${i % 3}`, { time: T0 + i }));
      await fx.storage.appendEvents(at(site, [...events.slice(0, 20), ...noise, ...events.slice(20)]));
      for (const limit of [1, 3, 4, 10, 37, 100]) {
        const { events: read } = await allPages(fx.storage, site, vc('pager'), limit);
        expect(canonical(read)).toEqual(canonical(events));
        expect(descending(times(read))).toBe(true);
      }
      const first = await fx.storage.eventPage(site, vc('pager'), { limit: 5 });
      expect(times(first.events)).toEqual([...times(events)].sort((a, b) => b - a).slice(0, 5));
    });

    it('answers an empty last page for an unknown identity, and keeps kinds and sites apart', async () => {
      const byCode = conversion('same');
      const byValue = conversion('same', { identity: mv('same') });
      const other = (await fx.storage.ensureSite('pages2', DEFAULT_SITE_SETTINGS)).id;
      await fx.storage.appendEvents([...at(site, [byCode, byValue]), ...at(other, [conversion('same')])]);
      expect(await fx.storage.eventPage(site, vc('nobody'), { limit: 10 })).toEqual({ events: [], cursor: null });
      expect((await allPages(fx.storage, site, vc('same'), 10)).events).toEqual([byCode]);
      expect((await allPages(fx.storage, site, mv('same'), 10)).events).toEqual([byValue]);
    });

    it('continues from a cursor after newer events arrived, without repeating or skipping older ones', async () => {
      const old = Array.from({ length: 12 }, (_, i) => conversion('moving', { time: T0 + i * 1000 }));
      await fx.storage.appendEvents(at(site, old));
      const first = await fx.storage.eventPage(site, vc('moving'), { limit: 5 });
      const newer = Array.from({ length: 6 }, (_, i) => conversion('moving', { time: T0 + 100_000 + i }));
      await fx.storage.appendEvents(at(site, newer));
      const rest: VisitorEvent[] = [];
      let cursor = first.cursor;
      while (cursor !== null) {
        const page = await fx.storage.eventPage(site, vc('moving'), { limit: 4, cursor });
        rest.push(...page.events);
        cursor = page.cursor;
      }
      expect(canonical([...first.events, ...rest])).toEqual(canonical(old));
      expect((await fx.storage.eventPage(site, vc('moving'), { limit: 6 })).events.map((e) => e.nonce).sort()).toEqual(newer.map((e) => e.nonce).sort());
    });

    it('leaves forgotten events out of every page', async () => {
      const events = Array.from({ length: 9 }, (_, i) => conversion('fading', { time: T0 + i }));
      await fx.storage.appendEvents(at(site, events));
      await fx.storage.forgetVisitors(site, {
        identities: [],
        events: [events[2]!, events[6]!].map((e) => ({ identity: e.identity, nonce: e.nonce })),
        linkVisitorCodes: [],
        linkMappingValues: [],
        mapKeys: [],
        dirty: [],
      });
      const { events: read } = await allPages(fx.storage, site, vc('fading'), 2);
      expect(canonical(read)).toEqual(canonical(events.filter((_, i) => i !== 2 && i !== 6)));
    });
  });
}
