import { AnoleError } from '../core/error-codes.ts';
import { LIMITS } from '../core/limits.ts';
import { DEFAULT_SITE_SETTINGS, SITE_CODE, type Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';

export interface SiteDirectoryOptions {
  /** Unknown site codes are created on first use (true) or refused with unknown_site (false). */
  autoCreate: boolean;
  /** How long a site's settings are reused before being read again (other nodes may change them). */
  cacheMs: number;
  now?: () => number;
}

export interface SiteDirectory {
  /** The site for this code, created on first use when allowed. */
  resolve(code: string, options?: { create?: boolean }): Promise<Site>;
  /** The site for this code if it exists; never creates one. */
  lookup(code: string): Promise<Site | null>;
  readonly autoCreate: boolean;
  forget(code: string): void;
  /** Sites held in memory now: at most LIMITS.siteCacheEntries. */
  readonly cachedSites: number;
}

/**
 * Sites by code, with their settings cached for `cacheMs`. The cache is bounded: with sites created
 * on first use, any client can name new site codes, and every one of them would otherwise stay in
 * memory for the life of the process. A Map keeps insertion order, so re-inserting on each hit
 * makes the first key the least recently used one, evicted when the cache is full.
 */
export function createSiteDirectory(storage: Storage, options: SiteDirectoryOptions): SiteDirectory {
  const now = options.now ?? Date.now;
  const cache = new Map<string, { site: Site; until: number }>();
  const remember = (code: string, entry: { site: Site; until: number }) => {
    cache.delete(code);
    cache.set(code, entry);
    if (cache.size > LIMITS.siteCacheEntries) cache.delete(cache.keys().next().value!);
  };

  return {
    autoCreate: options.autoCreate,
    async lookup(code) {
      try {
        return await this.resolve(code, { create: false });
      } catch (error) {
        if (error instanceof AnoleError && error.code === 'unknown_site') return null;
        throw error;
      }
    },
    async resolve(code, { create = true } = {}) {
      if (!SITE_CODE.test(code)) {
        throw new AnoleError('invalid_query', 'siteCode must be 1 to 64 letters, digits, "_" or "-"');
      }
      const hit = cache.get(code);
      if (hit && hit.until > now()) {
        remember(code, hit);
        return hit.site;
      }
      let site = await storage.findSite(code);
      if (!site) {
        if (!options.autoCreate || !create) throw new AnoleError('unknown_site', `site ${code} is not registered`);
        site = await storage.ensureSite(code, DEFAULT_SITE_SETTINGS);
      }
      remember(code, { site, until: now() + options.cacheMs });
      return site;
    },
    forget(code) {
      cache.delete(code);
    },
    get cachedSites() {
      return cache.size;
    },
  };
}
