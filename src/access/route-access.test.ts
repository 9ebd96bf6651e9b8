import { describe, expect, it } from 'vitest';
import { DEFAULT_SITE_SETTINGS, type Site, type SiteSettings } from '../core/site-settings.ts';
import { decideAccess, ROUTE_ACCESS, type KeyHolder, type RouteAccess } from './route-access.ts';

const site = (id: number, settings: Partial<SiteSettings> = {}): Site => ({ id, code: `s${id}`, settings: { ...DEFAULT_SITE_SETTINGS, ...settings } });
const admin: KeyHolder = { id: 1, role: 'admin', siteId: null };
const reader: KeyHolder = { id: 2, role: 'read', siteId: null };
const own: KeyHolder = { id: 3, role: 'site', siteId: 1 };
const other: KeyHolder = { id: 4, role: 'site', siteId: 2 };
const callers = { none: null, admin, read: reader, own, other } as const;

function outcomes(access: RouteAccess, settings: Partial<SiteSettings>, siteCode: string | null = 's1'): Record<string, string> {
  const target = siteCode === null ? null : site(1, settings);
  return Object.fromEntries(
    Object.entries(callers).map(([name, caller]) => [name, decideAccess({ access, siteCode, site: target, caller }).outcome]),
  );
}

describe('decideAccess', () => {
  it('keeps the Kameleoon routes open on an open site, and a site key to its own site', () => {
    for (const access of ['ingest', 'visitor-read'] as const) {
      expect(outcomes(access, {})).toEqual({ none: 'allowed', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'forbidden' });
    }
  });

  it('closes ingestion (maps and forget included) with privateIngest, and reads with privateReads', () => {
    expect(outcomes('ingest', { privateIngest: true })).toEqual({ none: 'key_required', admin: 'allowed', read: 'forbidden', own: 'allowed', other: 'forbidden' });
    expect(outcomes('visitor-read', { privateIngest: true })).toEqual(outcomes('visitor-read', {}));
    expect(outcomes('visitor-read', { privateReads: true })).toEqual({ none: 'key_required', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'forbidden' });
    expect(outcomes('ingest', { privateReads: true })).toEqual(outcomes('ingest', {}));
  });

  it('needs a key to forget unless the site opts into open forget, which privateIngest overrides', () => {
    const keyed = { none: 'key_required', admin: 'allowed', read: 'forbidden', own: 'allowed', other: 'forbidden' };
    expect(outcomes('forget', {})).toEqual(keyed);
    expect(outcomes('forget', { openForget: true })).toEqual({ none: 'allowed', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'forbidden' });
    expect(outcomes('forget', { openForget: true, privateIngest: true })).toEqual(keyed);
  });

  it('never opens the /api routes, whatever the site settings', () => {
    for (const settings of [{}, { privateIngest: true, privateReads: true, openForget: true }]) {
      expect(outcomes('read', settings)).toEqual({ none: 'key_required', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'forbidden' });
      expect(outcomes('site-write', settings)).toEqual({ none: 'key_required', admin: 'allowed', read: 'forbidden', own: 'allowed', other: 'forbidden' });
      expect(outcomes('admin', settings)).toEqual({ none: 'key_required', admin: 'allowed', read: 'forbidden', own: 'forbidden', other: 'forbidden' });
    }
  });

  it('keeps site keys to routes of one site', () => {
    expect(outcomes('read', {}, null)).toEqual({ none: 'key_required', admin: 'allowed', read: 'allowed', own: 'forbidden', other: 'forbidden' });
    expect(outcomes('admin', {}, null)).toEqual({ none: 'key_required', admin: 'allowed', read: 'forbidden', own: 'forbidden', other: 'forbidden' });
    // A site that does not exist yet belongs to no site key.
    expect(decideAccess({ access: 'ingest', siteCode: 'new', site: null, caller: own }).outcome).toBe('forbidden');
  });

  it('lets every key holder read the site list, a site key for its own site (the route filters)', () => {
    expect(outcomes('site-list', {}, null)).toEqual({ none: 'key_required', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'allowed' });
  });

  it('lets anyone call public routes', () => {
    expect(outcomes('public', { privateIngest: true, privateReads: true })).toEqual({ none: 'allowed', admin: 'allowed', read: 'allowed', own: 'allowed', other: 'allowed' });
  });

  it('explains every refusal', () => {
    for (const access of Object.keys(ROUTE_ACCESS) as RouteAccess[]) {
      for (const caller of Object.values(callers)) {
        const decision = decideAccess({ access, siteCode: 's1', site: site(1, { privateIngest: true, privateReads: true }), caller });
        if (decision.outcome !== 'allowed') expect(decision.why.length).toBeGreaterThan(10);
      }
    }
  });
});
