import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { VisitorEvent } from '../../core/events.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import { FROM_SCRATCH, type SiteRecompute, type Storage } from '../port.ts';
import { at, conversion, everyType, mappingEvent } from './contract-events.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const NOW = Date.UTC(2026, 0, 10);
const LEASE = 60_000;

const identityOf = (e: VisitorEvent) => `${e.identity.kind}:${e.identity.value}`;

/** Every page of a scan of the site, in order. */
async function scanAll(storage: Storage, siteId: number, limit: number): Promise<VisitorEvent[][]> {
  const pages: VisitorEvent[][] = [];
  let cursor: string | null = null;
  do {
    const page = await storage.scanEvents(siteId, { cursor, limit });
    pages.push(page.events);
    cursor = page.cursor;
    expect(pages.length).toBeLessThan(1_000);
  } while (cursor !== null);
  return pages;
}

/** Every part of the recomputations waiting, claimed by one handle. */
async function claimEveryPart(storage: Storage, now: number): Promise<SiteRecompute[]> {
  const parts: SiteRecompute[] = [];
  for (let job = await storage.claimSiteRecompute({ leaseMs: LEASE, now }); job; job = await storage.claimSiteRecompute({ leaseMs: LEASE, now })) {
    parts.push(job);
    expect(parts.length).toBeLessThan(100);
  }
  return parts.sort((a, b) => a.part - b.part);
}

/** A person's contributions with one unit, for the person counts. */
const unit = (key = 'U|5|1|visitor|100') => new Map([[key, [1]]]);

export function recomputeContract(makeStorage: StorageFactory): void {
  describe('site-wide recomputation', () => {
    let fx: StorageFixture;
    let site: number;
    let other: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('recompute', DEFAULT_SITE_SETTINGS)).id;
      other = (await fx.storage.ensureSite('recompute-other', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });

    it('scans every event of the site once, whole identities per page, at any page size', async () => {
      const events: VisitorEvent[] = [];
      for (let i = 0; i < 12; i++) for (let k = 0; k <= i % 4; k++) events.push(conversion(`scan-${i}`, { time: NOW + k }));
      events.push(...everyType('scan-awkward'), mappingEvent('scan-3', 'user-1'), conversion('user-1', { identity: { kind: 'mappingValue', value: 'user-1' } }));
      events.push(conversion('user-2', { identity: { kind: 'mappingValue', value: 'user-2' } }), conversion('scan-0', { identity: { kind: 'mappingValue', value: 'scan-0' } }));
      await fx.storage.appendEvents(at(site, events));
      await fx.storage.appendEvents(at(other, [conversion('scan-0'), conversion('elsewhere')]));
      const expected = events.map((e) => e.nonce).sort();
      for (const limit of [1, 3, 7, 1_000]) {
        const pages = await scanAll(fx.storage, site, limit);
        const all = pages.flat();
        expect(all.map((e) => e.nonce).sort()).toEqual(expected);
        expect(all.find((e) => e.nonce === events.at(-1)!.nonce)).toEqual(events.at(-1));
        // An identity's events are in one page; pages but the last hold at least `limit` events.
        const pageOf = new Map<string, number>();
        pages.forEach((page, i) => {
          for (const e of page) {
            expect(pageOf.get(identityOf(e)) ?? i).toBe(i);
            pageOf.set(identityOf(e), i);
          }
          if (i < pages.length - 1) expect(page.length).toBeGreaterThanOrEqual(limit);
        });
      }
      expect(await scanAll(fx.storage, (await fx.storage.ensureSite('recompute-empty', DEFAULT_SITE_SETTINGS)).id, 10)).toEqual([[]]);
    });

    it('keeps every event stored before a scan began, whatever is appended or forgotten during it', async () => {
      const before: VisitorEvent[] = [];
      for (let i = 0; i < 20; i++) before.push(conversion(`mid-${i}`), conversion(`mid-${i}`, { time: NOW + 1 }));
      await fx.storage.appendEvents(at(site, before));
      let page = await fx.storage.scanEvents(site, { cursor: null, limit: 4 });
      const seen = [...page.events];
      const during = Array.from({ length: 20 }, (_, i) => conversion(`mid-${i}`, { time: NOW + 2 }));
      await fx.storage.appendEvents(at(site, during));
      await fx.storage.forgetVisitors(site, {
        identities: [{ kind: 'visitorCode', value: 'mid-7' }],
        events: [],
        linkVisitorCodes: [],
        linkMappingValues: [],
        mapKeys: [],
        dirty: [{ kind: 'visitorCode', value: 'mid-7' }],
      });
      const later: VisitorEvent[] = [];
      while (page.cursor !== null) {
        page = await fx.storage.scanEvents(site, { cursor: page.cursor, limit: 4 });
        later.push(...page.events);
      }
      seen.push(...later);
      // A page read after an append holds the appended events of its identities.
      for (const e of later) expect(later.map((l) => l.nonce)).toContain(during.find((d) => d.identity.value === e.identity.value)!.nonce);
      const nonces = seen.map((e) => e.nonce);
      expect(new Set(nonces).size).toBe(nonces.length);
      for (const e of before) if (e.identity.value !== 'mid-7') expect(nonces).toContain(e.nonce);
      // Forgotten events are absent unless the page holding them was read before the forget.
      const forgottenSeen = seen.filter((e) => e.identity.value === 'mid-7');
      expect(forgottenSeen.length === 0 || forgottenSeen.every((e) => before.some((b) => b.nonce === e.nonce))).toBe(true);
      await expect(fx.storage.scanEvents(site, { cursor: 'not a cursor', limit: 4 })).rejects.toThrow();
    });

    it('asks for one recomputation of the site, counted in persons, and moves the site\'s marks on', async () => {
      expect(await fx.storage.markAllDirty(site)).toBe(0);
      expect(await fx.storage.claimSiteRecompute({ leaseMs: LEASE, now: NOW })).toBeNull();
      await fx.storage.appendEvents(at(site, [conversion('a'), conversion('b'), mappingEvent('c', 'u1')]));
      await fx.storage.appendEvents(at(other, [conversion('z')]));
      const marks = await fx.storage.claimDirty({ limit: 10, leaseMs: LEASE, now: NOW });
      expect(marks).toHaveLength(4);
      // No person stored yet: the site still has one recomputation to do.
      expect(await fx.storage.markAllDirty(site)).toBe(1);
      expect(await fx.storage.dirtyBacklog()).toBe(4 + 1);
      // The round that claimed the site's marks before keeps them: they moved to a new generation.
      await fx.storage.completeDirty(marks);
      const kept = await fx.storage.claimDirty({ limit: 10, leaseMs: LEASE, now: NOW + 1 });
      expect(kept.map((m) => [m.identity, m.since]).sort()).toEqual([['a', FROM_SCRATCH], ['b', FROM_SCRATCH], ['c', FROM_SCRATCH]]);
      await fx.storage.completeDirty(kept);

      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:a', next: unit() },
        { personKey: 'v:b', next: new Map(), state: '{"q":1}' },
        { personKey: 'm:u1', next: unit() },
        { personKey: 'v:gone', next: new Map() },
      ], { version: await fx.storage.nextDerivedVersion() });
      await fx.storage.replacePersonsContributions(other, [{ personKey: 'v:z', next: unit() }], { version: await fx.storage.nextDerivedVersion() });
      // Replacing the same persons again counts them once; a person dropped counts no more.
      await fx.storage.replacePersonsContributions(site, [{ personKey: 'v:a', next: unit('U|5|2|visitor|100') }, { personKey: 'm:u1', next: new Map() }], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.markAllDirty(site)).toBe(2);
      expect(await fx.storage.dirtyBacklog()).toBe(2);
    });

    it('leases each part of the recomputation to one worker at a time, hands it over after the lease, and restarts it when marked again', async () => {
      await fx.storage.appendEvents(at(site, [conversion('a'), conversion('b')]));
      await fx.storage.completeDirty(await fx.storage.claimDirty({ limit: 10, leaseMs: LEASE, now: NOW }));
      await fx.storage.replacePersonsContributions(site, [
        { personKey: 'v:a', next: unit() },
        { personKey: 'v:b', next: unit() },
        { personKey: 'v:c', next: unit() },
      ], { version: await fx.storage.nextDerivedVersion() });
      expect(await fx.storage.markAllDirty(site)).toBe(3);
      expect(await fx.storage.dirtyBacklog()).toBe(3);
      // However many parts the store makes, each is handed out once, all of one generation.
      const parts = await claimEveryPart(fx.storage, NOW);
      expect(parts.length).toBeGreaterThanOrEqual(1);
      expect(new Set(parts.map((p) => p.part)).size).toBe(parts.length);
      for (const p of parts) expect(p).toMatchObject({ siteId: site, gen: parts[0]!.gen, done: 0 });
      const [job] = parts;
      const another = await fx.openAnother();
      try {
        expect(await another.claimSiteRecompute({ leaseMs: LEASE, now: NOW + 1 })).toBeNull();
        expect(await fx.storage.advanceSiteRecompute(job!, { cursor: 'p1', persons: 2, leaseMs: LEASE, now: NOW + 2 })).toBe(true);
        const left = await fx.storage.dirtyBacklog();
        expect(left).toBeGreaterThanOrEqual(1);
        expect(left).toBeLessThan(3);
        // A stale holder (its cursor moved on) changes nothing.
        expect(await fx.storage.advanceSiteRecompute(job!, { cursor: 'p2', persons: 1, leaseMs: LEASE, now: NOW + 3 })).toBe(false);
        // The other parts' leases still hold; this one's ran out: another worker goes on from where its scan stood.
        for (const p of parts.slice(1)) expect(await fx.storage.advanceSiteRecompute(p, { cursor: p.cursor, persons: 0, leaseMs: 10 * LEASE, now: NOW + 3 })).toBe(true);
        expect(await another.claimSiteRecompute({ leaseMs: LEASE, now: NOW + 2 + LEASE - 1 })).toBeNull();
        const taken = await another.claimSiteRecompute({ leaseMs: LEASE, now: NOW + 2 + LEASE });
        expect(taken).toEqual({ ...job, cursor: 'p1', done: 2 });
        // Marked again (the settings changed once more): every holder must stop, every scan starts over.
        expect(await fx.storage.markAllDirty(site)).toBe(3);
        expect(await another.advanceSiteRecompute(taken!, { cursor: 'p2', persons: 1, leaseMs: LEASE, now: NOW + 2 + LEASE })).toBe(false);
        for (const p of parts.slice(1)) expect(await fx.storage.advanceSiteRecompute(p, { cursor: null, persons: 1, leaseMs: 0, now: NOW + 3 + LEASE })).toBe(false);
        const restarted = await claimEveryPart(fx.storage, NOW + 3 + LEASE);
        expect(restarted.map((p) => [p.part, p.cursor, p.done])).toEqual(parts.map((p) => [p.part, p.cursor, 0]));
        expect(restarted[0]!.gen).not.toBe(job!.gen);
        // A lease of 0 frees a part at once; the end of its scan removes it, and the last part's the recomputation.
        expect(await fx.storage.advanceSiteRecompute(restarted[0]!, { cursor: 'q1', persons: 1, leaseMs: 0, now: NOW + 4 + LEASE })).toBe(true);
        const next = await another.claimSiteRecompute({ leaseMs: LEASE, now: NOW + 4 + LEASE });
        expect(next).toMatchObject({ part: restarted[0]!.part, cursor: 'q1', done: 1 });
        expect(await another.advanceSiteRecompute(next!, { cursor: null, persons: 2, leaseMs: LEASE, now: NOW + 5 + LEASE })).toBe(true);
        for (const p of restarted.slice(1)) {
          expect(await fx.storage.dirtyBacklog()).toBeGreaterThanOrEqual(1);
          expect(await fx.storage.advanceSiteRecompute(p, { cursor: null, persons: 0, leaseMs: 0, now: NOW + 5 + LEASE })).toBe(true);
        }
        expect(await fx.storage.claimSiteRecompute({ leaseMs: LEASE, now: NOW + 10 * LEASE })).toBeNull();
        expect(await fx.storage.dirtyBacklog()).toBe(0);
      } finally {
        await another.close();
      }
    });

    it('never lets a holder of a finished recomputation pass for the next one, even where its cursor is the same', async () => {
      await fx.storage.appendEvents(at(site, [conversion('a')]));
      await fx.storage.completeDirty(await fx.storage.claimDirty({ limit: 10, leaseMs: LEASE, now: NOW }));
      await fx.storage.markAllDirty(site);
      const first = await claimEveryPart(fx.storage, NOW);
      for (const p of first) expect(await fx.storage.advanceSiteRecompute(p, { cursor: null, persons: 0, leaseMs: 0, now: NOW + 1 })).toBe(true);
      expect(await fx.storage.dirtyBacklog()).toBe(0);
      // Asked again with nothing appended or merged since: the same first cursors, a new generation.
      await fx.storage.markAllDirty(site);
      const second = await claimEveryPart(fx.storage, NOW + 2);
      expect(second.map((p) => p.cursor)).toEqual(first.map((p) => p.cursor));
      for (const [i, stale] of first.entries()) {
        expect(second[i]!.gen).not.toBe(stale.gen);
        expect(await fx.storage.advanceSiteRecompute(stale, { cursor: null, persons: 1, leaseMs: 0, now: NOW + 3 })).toBe(false);
      }
      expect(await fx.storage.dirtyBacklog()).toBeGreaterThanOrEqual(1);
    });

    it('scans every event of the site once over the parts of a recomputation, whatever worker scans which part', async () => {
      const events = Array.from({ length: 60 }, (_, i) => conversion(`code-${i % 20}`));
      await fx.storage.appendEvents(at(site, events));
      await fx.storage.appendEvents(at(other, [conversion('code-1')]));
      await fx.storage.completeDirty(await fx.storage.claimDirty({ limit: 100, leaseMs: LEASE, now: NOW }));
      await fx.storage.markAllDirty(site);
      const seen: string[] = [];
      const another = await fx.openAnother();
      try {
        let turn = 0;
        for (const part of await claimEveryPart(fx.storage, NOW)) {
          // Parts scanned alternately by two handles, as by two worker threads.
          const reader = turn++ % 2 === 0 ? fx.storage : another;
          let cursor = part.cursor;
          do {
            const page = await reader.scanEvents(site, { cursor, limit: 7 });
            seen.push(...page.events.map((e) => `${identityOf(e)}/${e.nonce}`));
            cursor = page.cursor;
          } while (cursor !== null);
        }
      } finally {
        await another.close();
      }
      expect(seen.sort()).toEqual(events.map((e) => `${identityOf(e)}/${e.nonce}`).sort());
    });
  });
}
