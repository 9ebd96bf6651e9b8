import type { Site } from '../core/site-settings.ts';
import type { Budget } from './rate-limiter.ts';
import type { KeyHolder, RouteAccess } from './route-access.ts';

/** Which budget a route spends: the Kameleoon routes by kind, every keyed /api route as `api`. */
export type RateClass = 'ingest' | 'read' | 'forget' | 'api';

/** Requests per minute for each budget (docs/security.md). Names are those of ANOLE_RATE_LIMITS. */
export const DEFAULT_RATE_LIMITS = {
  /** Requests without a key, per client address. */
  'address.ingest': 120_000,
  'address.read': 60_000,
  'address.forget': 600,
  /** Requests without a key, per site (a site setting may change ingest and read). */
  'site.ingest': 600_000,
  'site.read': 300_000,
  'site.forget': 6_000,
  /** Requests with a valid key, per key: higher, a back-end or an import at full speed is a normal client. */
  'key.ingest': 1_200_000,
  'key.read': 600_000,
  'key.forget': 60_000,
  'key.api': 60_000,
  /** Failed authentications (missing where required excepted: malformed, unknown or revoked keys), per address. */
  'auth.failures': 30,
  /** Requests without a key naming a site that does not exist yet (each may create one), per address, per hour. */
  'address.newSites': 100,
} as const;

export type RateLimitName = keyof typeof DEFAULT_RATE_LIMITS;
export type RateLimits = Record<RateLimitName, number>;

const MINUTE = 60_000;
const HOUR = 60 * MINUTE;

export function rateClassOf(access: RouteAccess): RateClass | null {
  switch (access) {
    case 'public':
      return null;
    case 'ingest':
      return 'ingest';
    case 'visitor-read':
      return 'read';
    case 'forget':
      return 'forget';
    default:
      return 'api';
  }
}

/** A budget to spend: its counter's key, its size, and its name for 429s and metrics. */
export interface Charge {
  name: RateLimitName;
  key: string;
  budget: Budget;
}

export const failedAuthCharge = (limits: RateLimits, address: string): Charge => ({
  name: 'auth.failures',
  key: `auth|${address}`,
  budget: { limit: limits['auth.failures'], windowMs: MINUTE },
});

/**
 * The budgets one allowed request spends. A keyed request spends its key's budget only; a request
 * without a key spends its address's and its site's (the site's own settings first), and, when the
 * site does not exist yet, its address's budget of new sites.
 */
export function chargesFor(
  limits: RateLimits,
  request: { rateClass: RateClass; address: string; caller: KeyHolder | null; siteCode: string | null; site: Site | null },
): Charge[] {
  const { rateClass, address, caller, siteCode, site } = request;
  if (caller) return [charge(`key.${rateClass}` as RateLimitName, String(caller.id), limits[`key.${rateClass}` as RateLimitName])];
  if (rateClass === 'api') return [];
  const charges = [charge(`address.${rateClass}` as RateLimitName, address, limits[`address.${rateClass}` as RateLimitName])];
  if (siteCode !== null) {
    const own = rateClass === 'ingest' ? site?.settings.ingestRequestsPerMinute : rateClass === 'read' ? site?.settings.readRequestsPerMinute : null;
    charges.push(charge(`site.${rateClass}` as RateLimitName, siteCode, own ?? limits[`site.${rateClass}` as RateLimitName]));
    if (site === null) charges.push(charge('address.newSites', address, limits['address.newSites'], HOUR));
  }
  return charges;
}

/** One budget of `limit` requests per window (a module function, not a closure made per request: docs/architecture.md, Threads). */
function charge(name: RateLimitName, key: string, limit: number, windowMs = MINUTE): Charge {
  return { name, key: `${name}|${key}`, budget: { limit, windowMs } };
}
