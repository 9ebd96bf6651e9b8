import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { readCredential, type Keyring } from '../access/api-keys.ts';
import { chargesFor, failedAuthCharge, rateClassOf, type Charge, type RateLimits } from '../access/rate-budgets.ts';
import type { RateLimiter } from '../access/rate-limiter.ts';
import { decideAccess, isRouteAccess, ROUTE_ACCESS, type KeyHolder, type RouteAccess } from '../access/route-access.ts';
import { AnoleError } from '../core/error-codes.ts';
import { SITE_CODE } from '../core/site-settings.ts';
import type { SiteDirectory } from '../sites/site-directory.ts';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Who may call the route (src/access/route-access.ts); required on every route. */
    access?: RouteAccess;
  }
  interface FastifyRequest {
    /** The holder of the valid key the request carries, or null without one. */
    keyHolder: KeyHolder | null;
  }
}

/** Where a key comes from, said in every 401 so that nobody has to guess. */
export const WHERE_KEYS_LIVE =
  'Send it as "Authorization: Bearer <key>". The admin key is the value of ANOLE_ADMIN_KEY, or the key generated ' +
  'at first start and kept in the file admin-key of the data directory (ANOLE_DATA_DIR, data/ by default); ' +
  'other keys are issued by POST /api/keys. See docs/security.md.';

export interface AccessControlDeps {
  keyring: Keyring;
  sites: SiteDirectory;
  /** Budgets and their counters; null: rate limits off (ANOLE_RATE_LIMITS=off). */
  rateLimits: { limits: RateLimits; limiter: RateLimiter; onLimited: (name: string) => void } | null;
}

function spend(deps: AccessControlDeps, reply: FastifyReply, charges: readonly Charge[], take: boolean): void {
  const rate = deps.rateLimits;
  if (!rate) return;
  for (const charge of charges) {
    const verdict = take ? rate.limiter.take(charge.key, charge.budget) : rate.limiter.check(charge.key, charge.budget);
    if (verdict.ok) continue;
    rate.onLimited(charge.name);
    const seconds = Math.max(1, Math.ceil(verdict.retryAfterMs / 1000));
    void reply.header('Retry-After', String(seconds));
    throw new AnoleError(
      'rate_limited',
      `rate limit ${charge.name} reached (${charge.budget.limit} per ${charge.budget.windowMs / 60_000} min); retry in ${seconds} s. ` +
        'Limits are per node and set with ANOLE_RATE_LIMITS; see docs/security.md',
    );
  }
}

function unauthorized(reply: FastifyReply, message: string, error?: 'invalid_token' | 'invalid_request'): AnoleError {
  void reply.header('WWW-Authenticate', error ? `Bearer realm="anole", error="${error}"` : 'Bearer realm="anole"');
  return new AnoleError('unauthorized', `${message}. ${WHERE_KEYS_LIVE}`);
}

/** The site code a request names: in the path for /api/sites/{siteCode}/..., else in the query. */
function namedSiteCode(request: FastifyRequest): string | null {
  const fromParams = (request.params as Record<string, unknown> | undefined)?.siteCode;
  const raw = fromParams ?? (request.query as Record<string, unknown> | undefined)?.siteCode;
  // Anything but one well-formed code is refused by the route's schema before the handler runs.
  return typeof raw === 'string' && SITE_CODE.test(raw) ? raw : null;
}

async function caller(deps: AccessControlDeps, request: FastifyRequest, reply: FastifyReply): Promise<KeyHolder | null> {
  const credential = readCredential(request.headers.authorization);
  if (credential.kind === 'none') return null;
  // Guessing keys: an address that failed too often is refused before its key is even looked at.
  const failures = deps.rateLimits ? [failedAuthCharge(deps.rateLimits.limits, request.ip)] : [];
  spend(deps, reply, failures, false);
  const failed = (message: string, error: 'invalid_token' | 'invalid_request') => {
    if (deps.rateLimits) for (const f of failures) deps.rateLimits.limiter.add(f.key, f.budget);
    return unauthorized(reply, message, error);
  };
  if (credential.kind === 'malformed') throw failed('the Authorization header must be "Bearer <key>"', 'invalid_request');
  const check = await deps.keyring.check(credential.key);
  if (check.ok) return check.key;
  if (check.revokedAt !== null) throw failed(`this key was revoked at ${new Date(check.revokedAt).toISOString()}`, 'invalid_token');
  throw failed('this key is not known to this server (mistyped, or from another server)', 'invalid_token');
}

/**
 * The one place access is enforced. Every route must declare `config: { access }` (registering one
 * without it fails at start-up); an onRequest hook then decides before the body is even read.
 */
export function installAccessControl(app: FastifyInstance, deps: AccessControlDeps): void {
  app.addHook('onRoute', (route) => {
    const access: unknown = route.config?.access;
    if (isRouteAccess(access)) return;
    // @fastify/cors answers preflights from its own catch-all OPTIONS route: it serves no data.
    if (route.method === 'OPTIONS' && route.url === '*') {
      route.config = { ...route.config, access: 'public' };
      return;
    }
    throw new Error(
      `route ${String(route.method)} ${route.url} declares no access: add config: { access } with one of ${Object.keys(ROUTE_ACCESS).join(', ')}`,
    );
  });

  app.decorateRequest('keyHolder', null);
  app.addHook('onRequest', async (request, reply) => {
    // Unmatched requests (404, 405) reach no handler and carry no data.
    const access = request.routeOptions.config.access ?? 'public';
    if (access === 'public' && request.headers.authorization === undefined) return;
    const holder = await caller(deps, request, reply);
    request.keyHolder = holder;
    const siteCode = namedSiteCode(request);
    const site = siteCode === null || access === 'public' ? null : await deps.sites.lookup(siteCode);
    const decision = decideAccess({ access, siteCode, site, caller: holder });
    if (decision.outcome === 'key_required') throw unauthorized(reply, decision.why);
    if (decision.outcome === 'forbidden') throw new AnoleError('forbidden', decision.why);
    const rateClass = rateClassOf(access);
    if (deps.rateLimits && rateClass) {
      spend(deps, reply, chargesFor(deps.rateLimits.limits, { rateClass, address: request.ip, caller: holder, siteCode, site }), true);
    }
  });
}
