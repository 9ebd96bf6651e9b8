import type { Site } from '../core/site-settings.ts';
import type { ApiKeyRole } from '../storage/port.ts';

/**
 * Who may call a route. Every route declares one (`config: { access }`); the HTTP edge refuses to
 * register a route without it, and one hook enforces it (docs/security.md has the full table).
 */
export const ROUTE_ACCESS = {
  public: 'Anyone: health, the OpenAPI document, static pages.',
  ingest: 'Anyone unless the site is privateIngest; then a site key of that site or an admin key.',
  'visitor-read': 'Anyone unless the site is privateReads; then a site key of that site, a read key or an admin key.',
  forget: 'A site key of that site or an admin key, unless the site sets openForget (and is not privateIngest).',
  read: 'An admin key, a read key, or (for routes of one site) a site key of that site.',
  'site-list': 'An admin key or a read key (every site), or a site key (the route answers with its own site only).',
  'site-write': 'An admin key or a site key of that site.',
  admin: 'An admin key.',
} as const;

export type RouteAccess = keyof typeof ROUTE_ACCESS;

export function isRouteAccess(value: unknown): value is RouteAccess {
  return typeof value === 'string' && Object.hasOwn(ROUTE_ACCESS, value);
}

/** The holder of a valid, unrevoked key. */
export interface KeyHolder {
  id: number;
  role: ApiKeyRole;
  /** The site a `site` key is bound to; null for the other roles. */
  siteId: number | null;
}

export interface AccessRequest {
  access: RouteAccess;
  /** The site code the request names (query or path), or null when the route names none. */
  siteCode: string | null;
  /** That site, or null when it does not exist (yet) or no code was named. */
  site: Site | null;
  caller: KeyHolder | null;
}

export type AccessDecision =
  | { outcome: 'allowed' }
  | { outcome: 'key_required'; why: string }
  | { outcome: 'forbidden'; why: string };

const ALLOWED: AccessDecision = { outcome: 'allowed' };

/** Whether the route is open to callers without a key for this site, and if not, why. */
function closedBecause(access: RouteAccess, site: Site | null, siteCode: string | null): string | null {
  const settings = site?.settings;
  const name = siteCode ?? 'this site';
  switch (access) {
    case 'public':
      return null;
    case 'ingest':
      return settings?.privateIngest ? `site ${name} is private for ingestion (privateIngest), so this request needs a key` : null;
    case 'visitor-read':
      return settings?.privateReads ? `site ${name} is private for reads (privateReads), so this request needs a key` : null;
    case 'forget':
      if (settings?.privateIngest) return `site ${name} is private for ingestion (privateIngest), forget included, so this request needs a key`;
      return settings?.openForget ? null : 'forget erases data, so it needs a key unless the site sets openForget (PATCH /api/sites/{siteCode})';
    case 'read':
    case 'site-list':
      return 'this API needs a key';
    case 'site-write':
      return 'this API needs a key';
    case 'admin':
      return 'this API needs an admin key';
  }
}

function rolesFor(access: RouteAccess): readonly ApiKeyRole[] {
  switch (access) {
    case 'visitor-read':
    case 'read':
    case 'site-list':
      return ['admin', 'read', 'site'];
    case 'ingest':
    case 'forget':
    case 'site-write':
      return ['admin', 'site'];
    case 'admin':
      return ['admin'];
    case 'public':
      return ['admin', 'read', 'site'];
  }
}

/**
 * The access rule, as a pure function. A key that is sent is always honoured or refused, even on
 * an open route: a site key names its own site only (anything else is 403), so a back-end that
 * posts to the wrong site hears of it instead of writing into another site's data.
 */
export function decideAccess(request: AccessRequest): AccessDecision {
  const { access, site, siteCode, caller } = request;
  if (access === 'public') return ALLOWED;
  if (caller?.role === 'site' && siteCode !== null && (site === null || site.id !== caller.siteId)) {
    return { outcome: 'forbidden', why: `this key is a site key of another site than ${siteCode}` };
  }
  const closed = closedBecause(access, site, siteCode);
  if (closed === null) return ALLOWED;
  if (!caller) return { outcome: 'key_required', why: closed };
  if (!rolesFor(access).includes(caller.role)) {
    const why = access === 'admin' ? 'only admin keys may call this API' : `${closed}, and a ${caller.role} key may not call it`;
    return { outcome: 'forbidden', why };
  }
  if (caller.role === 'site' && siteCode === null && access !== 'site-list') {
    return { outcome: 'forbidden', why: 'a site key may call only the routes of its own site' };
  }
  return ALLOWED;
}
