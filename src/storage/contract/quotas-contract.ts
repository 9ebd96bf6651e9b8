import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { defaultExperiment, type SeenIds } from '../../core/registry.ts';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { MapPatch } from '../../core/maps.ts';
import { mapRowBytes } from '../map-rows.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;
const LOTS = 2 ** 40;

const seen = (experiments: [number, number[]][], goals: number[] = []): SeenIds => ({
  experiments: new Map(experiments.map(([id, variations]) => [id, new Set(variations)])),
  goals: new Set(goals),
});

/** Per-site quotas: map bytes kept by every write and delete, registry entries counted, both enforced under concurrency. */
export function quotasContract(makeStorage: StorageFactory): void {
  describe('quotas', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('quotas', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });
    const patches = (fields: Record<string, Record<string, unknown>>): MapPatch[] => Object.entries(fields).map(([key, f]) => ({ key, fields: f }));
    const put = (fields: Record<string, Record<string, unknown>>, options: { now?: number; ttlMs?: number; max?: number; siteId?: number } = {}) =>
      fx.storage.putMaps(options.siteId ?? site, patches(fields), {
        now: options.now ?? T0,
        expiresAt: (options.now ?? T0) + (options.ttlMs ?? HOUR),
        maxSiteBytes: options.max ?? LOTS,
      });
    const bytes = async (siteId = site) => (await fx.storage.siteUsage(siteId)).mapBytes;
    const row = (key: string, fields: unknown) => mapRowBytes(key, JSON.stringify(fields));

    it('keeps each site\'s map bytes equal to its keys and JSON through writes, merges, deletes, forget and the purge', async () => {
      const other = (await fx.storage.ensureSite('quotas-other', DEFAULT_SITE_SETTINGS)).id;
      expect(await bytes()).toBe(0);
      await put({ 'clé': { s: 'é' }, b: { n: 1 } });
      expect(await bytes()).toBe(row('clé', { s: 'é' }) + row('b', { n: 1 }));
      await put({ b: { n: null, added: [1, 2] } });
      expect(await bytes()).toBe(row('clé', { s: 'é' }) + row('b', { added: [1, 2] }));
      await put({ 'clé': {} });
      expect(await bytes()).toBe(row('b', { added: [1, 2] }));
      await put({ x: { v: 'other site' } }, { siteId: other });
      expect(await bytes(other)).toBe(row('x', { v: 'other site' }));

      await fx.storage.forgetVisitors(site, { identities: [], events: [], linkVisitorCodes: [], linkMappingValues: [], mapKeys: ['b', 'absent'], dirty: [] });
      expect(await bytes()).toBe(0);
      expect(await bytes(other)).toBe(row('x', { v: 'other site' }));

      await put({ e1: { a: 1 }, e2: { a: 22 } }, { ttlMs: 10 });
      await put({ live: { a: 1 } });
      expect(await bytes()).toBe(row('e1', { a: 1 }) + row('e2', { a: 22 }) + row('live', { a: 1 }));
      // Expired keys count until they are deleted.
      expect(await fx.storage.purgeExpiredMaps(T0 + 10, 1)).toBe(1);
      expect(await fx.storage.purgeExpiredMaps(T0 + 10, 10)).toBe(1);
      expect(await bytes()).toBe(row('live', { a: 1 }));
      // An expired key written again starts afresh: its old bytes go, its new ones come.
      await put({ k: { old: 'x'.repeat(100) } }, { ttlMs: 10 });
      await put({ k: { y: 1 } }, { now: T0 + 20 });
      expect(await bytes()).toBe(row('live', { a: 1 }) + row('k', { y: 1 }));
    });

    it('refuses a write that would cross the quota, writing nothing, and lets writes that do not grow pass', async () => {
      const first = { a: { v: 'x'.repeat(50) } };
      await put(first);
      const used = row('a', first.a);
      const grow = { b: { v: 'y'.repeat(20) } };
      // Exactly at the quota is allowed…
      expect(await put(grow, { max: used + row('b', grow.b) })).toEqual({ ok: true });
      const full = used + row('b', grow.b);
      expect(await bytes()).toBe(full);
      // A write that grows in total is measured in total: two small keys beside one deleted key fit.
      expect(await put({ c: { v: 1 }, a: { v: null }, d: { w: 1 } }, { max: full - 1 })).toEqual({ ok: true });
      const now = await bytes();
      expect(now).toBe(full - used + row('c', { v: 1 }) + row('d', { w: 1 }));
      // One byte over is refused, and nothing of the write lands (not even its other keys).
      const refused = await put({ e: { v: 'z'.repeat(10) }, c: {} }, { max: now + row('e', { v: 'z'.repeat(10) }) - row('c', { v: 1 }) - 1 });
      expect(refused).toEqual({
        ok: false,
        problem: 'site_quota',
        siteBytes: now,
        adding: row('e', { v: 'z'.repeat(10) }) - row('c', { v: 1 }),
        quota: now + row('e', { v: 'z'.repeat(10) }) - row('c', { v: 1 }) - 1,
      });
      expect(await bytes()).toBe(now);
      expect(Object.fromEntries(await fx.storage.getMaps(site, ['e', 'c'], T0))).toEqual({ c: { v: 1 } });
      // Over a lowered quota: shrinking and same-size writes pass, growth does not.
      expect(await put({ b: { v: 'y'.repeat(5) } }, { max: 1 })).toEqual({ ok: true });
      expect(await put({ b: { v: 'q'.repeat(5) } }, { max: 1 })).toEqual({ ok: true });
      expect(await put({ b: { v: 'y'.repeat(6) } }, { max: 1 })).toMatchObject({ ok: false, problem: 'site_quota', quota: 1 });
    });

    it('reclaims the site\'s expired keys before refusing a write at the quota', async () => {
      await put({ old1: { v: 'x'.repeat(200) }, old2: { v: 'x'.repeat(200) } }, { ttlMs: 10 });
      const quota = (await bytes()) + 10;
      // Expired but not purged: they still count, so this write is over the quota unless they go.
      const later = T0 + 100;
      expect(await put({ fresh: { v: 'y'.repeat(100) } }, { now: later, max: quota })).toEqual({ ok: true });
      expect(await bytes()).toBe(row('fresh', { v: 'y'.repeat(100) }));
      expect(Object.fromEntries(await fx.storage.getMaps(site, ['fresh', 'old1'], later))).toEqual({ fresh: { v: 'y'.repeat(100) } });
      expect(await fx.storage.purgeExpiredMaps(later, 100)).toBe(0);
    });

    it('never lets concurrent writers on two handles cross the quota together', async () => {
      const another = await fx.openAnother();
      const one = { v: 'x'.repeat(100) };
      const quota = 10 * row('k00', one);
      const writes = Array.from({ length: 30 }, (_, i) =>
        (i % 2 === 0 ? fx.storage : another).putMaps(site, [{ key: `k${String(i).padStart(2, '0')}`, fields: one }], { now: T0, expiresAt: T0 + HOUR, maxSiteBytes: quota }),
      );
      const results = await Promise.all(writes);
      expect(results.filter((r) => r.ok)).toHaveLength(10);
      expect(await bytes()).toBe(quota);
      const keys = Array.from({ length: 30 }, (_, i) => `k${String(i).padStart(2, '0')}`);
      expect((await fx.storage.getMaps(site, keys, T0)).size).toBe(10);
    });

    it('registers seen ids in order while the registry has room, refuses and counts the rest', async () => {
      await fx.storage.saveGoal(site, { id: 1, name: 'Purchase', kind: 'revenue' }, { maxEntries: 100 });
      expect(await fx.storage.missingRegistryEntries(site, seen([[7, [2, 1]], [5, [9]]], [1, 3]))).toEqual([
        { kind: 'experiment', id: 5 },
        { kind: 'variation', experimentId: 5, id: 9 },
        { kind: 'experiment', id: 7 },
        { kind: 'variation', experimentId: 7, id: 1 },
        { kind: 'variation', experimentId: 7, id: 2 },
        { kind: 'goal', id: 3 },
      ]);
      // Room for 4 more (1 used of 5): experiment 5 and its variation, experiment 7 and its variation 1.
      expect(await fx.storage.registerSeen(site, seen([[7, [2, 1]], [5, [9]]], [1, 3]), { maxEntries: 5 })).toEqual({ refused: 2 });
      const experiments = await fx.storage.listExperiments(site);
      expect(experiments.map((e) => [e.id, e.variations.map((v) => v.id)])).toEqual([
        [5, [9]],
        [7, [1]],
      ]);
      expect((await fx.storage.listGoals(site)).map((g) => g.id)).toEqual([1]);
      expect(await fx.storage.siteUsage(site)).toEqual({ registryEntries: 5, mapBytes: 0, registryRefused: 2 });
      // Known ids cost nothing and are never refused; a later round with room registers the rest.
      expect(await fx.storage.registerSeen(site, seen([[5, [9]]], [1]), { maxEntries: 5 })).toEqual({ refused: 0 });
      expect(await fx.storage.registerSeen(site, seen([[7, [2]]], [3]), { maxEntries: 7 })).toEqual({ refused: 0 });
      expect(await fx.storage.siteUsage(site)).toMatchObject({ registryEntries: 7, registryRefused: 2 });
      expect(await fx.storage.missingRegistryEntries(site, seen([[7, [1, 2]]], [3]))).toEqual([]);
      expect((await fx.storage.stats()).registryRefused).toBe(2);
    });

    it('refuses an admin write whose new entries do not fit, whole, and lets a full registry update what it holds', async () => {
      const quota = { maxEntries: 3 };
      expect(await fx.storage.saveExperiment(site, { ...defaultExperiment(1), variations: [{ id: 1, name: 'A' }] }, quota)).toEqual({ ok: true });
      expect(await fx.storage.saveExperiment(site, { ...defaultExperiment(2), variations: [{ id: 1, name: 'A' }] }, quota)).toEqual({ ok: false, entries: 2, adding: 2, quota: 3 });
      expect(await fx.storage.getExperiment(site, 2)).toBeNull();
      expect(await fx.storage.saveExperiment(site, { ...defaultExperiment(1), name: 'Renamed', variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }] }, quota)).toEqual({ ok: true });
      expect(await fx.storage.saveGoal(site, { id: 9, name: 'Goal 9', kind: 'conversion' }, quota)).toEqual({ ok: false, entries: 3, adding: 1, quota: 3 });
      expect(await fx.storage.listGoals(site)).toEqual([]);
      expect(await fx.storage.saveExperiment(site, { ...defaultExperiment(1), name: 'Again', variations: [{ id: 2, name: 'B2' }] }, quota)).toEqual({ ok: true });
      expect((await fx.storage.getExperiment(site, 1))?.name).toBe('Again');
      expect(await fx.storage.siteUsage(site)).toMatchObject({ registryEntries: 3, registryRefused: 0 });
    });

    it('never lets concurrent registrations on two handles cross the quota together', async () => {
      const another = await fx.openAnother();
      const rounds = Array.from({ length: 20 }, (_, i) => (i % 2 === 0 ? fx.storage : another).registerSeen(site, seen([], [100 + i, 200 + i]), { maxEntries: 15 }));
      const refused = (await Promise.all(rounds)).reduce((sum, r) => sum + r.refused, 0);
      expect(refused).toBe(25);
      expect(await fx.storage.siteUsage(site)).toMatchObject({ registryEntries: 15, registryRefused: 25 });
    });
  });
}
