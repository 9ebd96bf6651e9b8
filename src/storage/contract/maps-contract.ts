import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS } from '../../core/site-settings.ts';
import type { StorageFactory, StorageFixture } from './storage-factory.ts';

const T0 = Date.UTC(2024, 4, 1, 12, 0, 0);
const HOUR = 3_600_000;

export function mapsContract(makeStorage: StorageFactory): void {
  describe('maps', () => {
    let fx: StorageFixture;
    let site: number;
    beforeEach(async () => {
      fx = await makeStorage();
      site = (await fx.storage.ensureSite('maps', DEFAULT_SITE_SETTINGS)).id;
    });
    afterEach(async () => {
      await fx.cleanup();
    });
    const put = (fields: Record<string, Record<string, unknown>>, now: number, ttlMs = HOUR, siteId = site) =>
      fx.storage.putMaps(siteId, Object.entries(fields).map(([key, f]) => ({ key, fields: f })), { now, expiresAt: now + ttlMs, maxSiteBytes: 2 ** 40 });
    const get = async (keys: string[], now: number, siteId = site) => Object.fromEntries(await fx.storage.getMaps(siteId, keys, now));

    it('stores JSON values exactly, merges shallowly, deletes null fields and empty keys', async () => {
      const awkward = { s: 'é"\\\u{1F600}', n: -0.5, big: 2 ** 53 - 1, arr: [null, true, { x: [] }], obj: { nested: { deep: 1 } } };
      expect(await put({ a: awkward, b: { keep: 1 } }, T0)).toEqual({ ok: true });
      expect(await get(['a', 'b', 'missing'], T0)).toEqual({ a: awkward, b: { keep: 1 } });
      await put({ a: { s: null, n: 1, added: 'x' }, b: {} }, T0 + 1);
      expect(await get(['a', 'b'], T0 + 1)).toEqual({ a: { n: 1, big: 2 ** 53 - 1, arr: awkward.arr, obj: awkward.obj, added: 'x' } });
      await put({ a: { n: null, big: null, arr: null, obj: null, added: null } }, T0 + 2);
      expect(await get(['a'], T0 + 2)).toEqual({});
    });

    it('counts the bytes of stored JSON of the live keys asked for', async () => {
      await put({ a: { s: 'é' }, b: { n: 1 }, old: { x: 1 } }, T0);
      await put({ old: { x: 1 } }, T0 - 2 * HOUR);
      expect(await fx.storage.mapBytes(site, ['a', 'b', 'missing'], T0)).toBe(Buffer.byteLength('{"s":"é"}') + '{"n":1}'.length);
      expect(await fx.storage.mapBytes(site, ['old'], T0 + HOUR)).toBe(0);
      expect(await fx.storage.mapBytes(site, [], T0)).toBe(0);
    });

    it('hides a key from its expiry on, starts an expired key afresh, and refreshes the expiry on write', async () => {
      await put({ k: { a: 1 } }, T0, 10);
      expect(await get(['k'], T0 + 9)).toEqual({ k: { a: 1 } });
      expect(await get(['k'], T0 + 10)).toEqual({});
      await put({ k: { b: 2 } }, T0 + 20, 10);
      expect(await get(['k'], T0 + 20)).toEqual({ k: { b: 2 } });
      await put({ k: { c: 3 } }, T0 + 25, 10);
      expect(await get(['k'], T0 + 34)).toEqual({ k: { b: 2, c: 3 } });
      expect(await get(['k'], T0 + 35)).toEqual({});
    });

    it('purges expired keys in bounded batches and leaves live ones', async () => {
      await put({ e1: { a: 1 }, e2: { a: 1 }, e3: { a: 1 } }, T0, 10);
      await put({ live: { a: 1 } }, T0, HOUR);
      expect(await fx.storage.purgeExpiredMaps(T0 + 10, 2)).toBe(2);
      expect(await fx.storage.purgeExpiredMaps(T0 + 10, 2)).toBe(1);
      expect(await fx.storage.purgeExpiredMaps(T0 + 10, 2)).toBe(0);
      expect(await get(['live'], T0 + 10)).toEqual({ live: { a: 1 } });
    });

    it('writes nothing when one merged map would exceed 1 MB', async () => {
      const half = 'x'.repeat(600 * 1024);
      await put({ grow: { a: half } }, T0);
      expect(await put({ first: { z: 1 }, grow: { b: half } }, T0 + 1)).toEqual({ ok: false, problem: 'map_too_large', key: 'grow' });
      expect(Object.keys((await get(['grow'], T0 + 1)).grow ?? {})).toEqual(['a']);
      expect(await get(['first'], T0 + 1)).toEqual({});
    });

    it('keeps sites apart and reads back through another handle', async () => {
      const other = (await fx.storage.ensureSite('maps-other', DEFAULT_SITE_SETTINGS)).id;
      await put({ shared: { site: 'one' } }, T0);
      await put({ shared: { site: 'two' } }, T0, HOUR, other);
      const another = await fx.openAnother();
      expect(Object.fromEntries(await another.getMaps(site, ['shared'], T0))).toEqual({ shared: { site: 'one' } });
      expect(Object.fromEntries(await another.getMaps(other, ['shared'], T0))).toEqual({ shared: { site: 'two' } });
    });
  });
}
