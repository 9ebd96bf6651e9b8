import { describe, expect, it } from 'vitest';
import { LIMITS } from '../core/limits.ts';
import { DEFAULT_SITE_SETTINGS, type Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';
import { createSiteDirectory } from './site-directory.ts';

/** A store of sites only, counting its reads. */
function siteStore() {
  const sites = new Map<string, Site>();
  const reads: string[] = [];
  const storage = {
    async findSite(code: string) {
      reads.push(code);
      return sites.get(code) ?? null;
    },
    async ensureSite(code: string) {
      const site = sites.get(code) ?? { id: sites.size + 1, code, settings: DEFAULT_SITE_SETTINGS };
      sites.set(code, site);
      return site;
    },
  } as unknown as Storage;
  return { storage, reads };
}

describe('site directory cache', () => {
  it(`holds at most ${LIMITS.siteCacheEntries} sites, evicting the least recently used`, async () => {
    const { storage, reads } = siteStore();
    const sites = createSiteDirectory(storage, { autoCreate: true, cacheMs: 60_000, now: () => 0 });
    await sites.resolve('keep');
    for (let i = 0; i < LIMITS.siteCacheEntries + 500; i++) {
      await sites.resolve(`s${i}`);
      if (i % 1000 === 0) await sites.resolve('keep'); // used again: stays
    }
    expect(sites.cachedSites).toBe(LIMITS.siteCacheEntries);
    reads.length = 0;
    await sites.resolve('keep');
    await sites.resolve(`s${LIMITS.siteCacheEntries + 499}`);
    expect(reads).toEqual([]);
    await sites.resolve('s1');
    expect(reads).toEqual(['s1']);
  });

  it('reads a site again once its entry is older than cacheMs', async () => {
    const { storage, reads } = siteStore();
    let now = 0;
    const sites = createSiteDirectory(storage, { autoCreate: true, cacheMs: 100, now: () => now });
    await sites.resolve('a');
    now = 99;
    await sites.resolve('a');
    now = 100;
    await sites.resolve('a');
    expect(reads).toEqual(['a', 'a']);
  });
});
