import type { FastifyInstance } from 'fastify';
import type { AdminDeps } from '../../admin/registry-admin.ts';
import type { HeavyReads } from '../../analysis/heavy-reads.ts';
import { EVENT_TYPES, type EventType } from '../../core/events.ts';
import { LIMITS } from '../../core/limits.ts';
import { errorResponses } from '../openapi.ts';
import { IDENTITY_PARAM, requiredQueryIdentity, SITE_CODE_PARAM } from '../query-schema.ts';
import { LATEST_EVENTS_SCHEMA, OVERVIEW_SCHEMA, SITES_SCHEMA, VISITOR_INSPECTION_SCHEMA } from './site-schema.ts';

const siteParams = { type: 'object', required: ['siteCode'], properties: { siteCode: SITE_CODE_PARAM } } as const;
const readErrors = errorResponses('invalid_query', 'unknown_site');
const config = { access: 'read' } as const;
const digits = (max: number) => ({ type: 'string', pattern: `^[0-9]{1,${max}}$` }) as const;

/**
 * The reads the dashboard needs beyond the results API: the sites, a site's experiments at a
 * glance, one visitor inspected, and the live tail. Read-only; the last three run on the query
 * thread (HeavyReads), as their cost grows with what the site holds.
 */
export function registerSiteReads(api: FastifyInstance, deps: AdminDeps & { now: () => number; reads: HeavyReads }): void {
  api.get('/api/sites', {
    // A site key reads this list too (its own site alone), so the dashboard works for every reader.
    config: { access: 'site-list' },
    schema: {
      summary: `Sites in code order (at most ${LIMITS.sitesPerList}); a site key sees its own site only`,
      querystring: { type: 'object', properties: { limit: { ...digits(5), description: `At most ${LIMITS.sitesPerList}; default ${LIMITS.sitesPerList}.` } } },
      response: { 200: { ...SITES_SCHEMA, description: 'The sites and their settings.' }, ...errorResponses('invalid_query') },
    },
  }, async (request) => {
    const q = request.query as { limit?: string };
    const limit = Math.min(Math.max(1, Number(q.limit ?? LIMITS.sitesPerList)), LIMITS.sitesPerList);
    const own = request.keyHolder?.role === 'site' ? request.keyHolder.siteId : null;
    const sites = own === null ? await deps.storage.listSites(limit + 1) : [await deps.storage.siteById(own)].filter((s) => s !== null);
    return { sites: sites.slice(0, limit).map((s) => ({ siteCode: s.code, settings: s.settings })), truncated: sites.length > limit };
  });

  api.get('/api/sites/:siteCode/overview', {
    config,
    schema: {
      summary: `A site's experiments at a glance, ${LIMITS.overviewExperiments} at most per page (in id order): status, days running, exposed units, first and latest unit days, SRM and health; the time of the site's latest event`,
      params: siteParams,
      querystring: {
        type: 'object',
        properties: {
          offset: { ...digits(9), description: 'Experiments to skip (in id order); default 0.' },
          limit: { ...digits(5), description: `At most ${LIMITS.overviewExperiments}; default ${LIMITS.overviewExperiments}.` },
        },
      },
      response: { 200: { ...OVERVIEW_SCHEMA, description: 'One line per experiment.' }, ...readErrors },
    },
  }, async (request) => {
    const q = request.query as { offset?: string; limit?: string };
    const limit = Math.min(Math.max(1, Number(q.limit ?? LIMITS.overviewExperiments)), LIMITS.overviewExperiments);
    const site = await deps.sites.resolve((request.params as { siteCode: string }).siteCode, { create: false });
    return deps.reads.overview(site, deps.now(), { offset: Number(q.offset ?? 0), limit });
  });

  api.get('/api/sites/:siteCode/visitor', {
    config,
    schema: {
      summary: 'Inspect a visitor or person: linked visitor codes, every visit with all its events, and for each exposed experiment why each conversion counted or not',
      params: siteParams,
      querystring: { type: 'object', properties: { visitorCode: IDENTITY_PARAM, mappingValue: IDENTITY_PARAM } },
      response: { 200: { ...VISITOR_INSPECTION_SCHEMA, description: 'The person, its visits and its experiments (empty lists for an unknown visitor).' }, ...readErrors },
    },
  }, async (request) => {
    const identity = requiredQueryIdentity(request.query as { visitorCode?: string; mappingValue?: string });
    const site = await deps.sites.resolve((request.params as { siteCode: string }).siteCode, { create: false });
    return deps.reads.inspect(site, identity, deps.now());
  });

  api.get('/api/sites/:siteCode/events', {
    config,
    schema: {
      summary: `The site's latest events, newest first (the live tail): at most ${LIMITS.latestEventsPerRead}, received in the last 24 hours; a filtered read looks among the site's ${LIMITS.latestEventsScan.toLocaleString('en-US')} newest`,
      params: siteParams,
      querystring: {
        type: 'object',
        properties: {
          limit: { ...digits(4), description: `1 to ${LIMITS.latestEventsPerRead}; default ${LIMITS.latestEventsDefault}.` },
          since: { ...digits(16), description: 'Only events received at or after this time (epoch ms). Polls pass the previous answer\'s `now` minus a few seconds.' },
          type: { type: 'string', enum: [...EVENT_TYPES], description: 'Only events of this type.' },
          visitor: { ...IDENTITY_PARAM, description: 'Only events sent with this visitor code or mapping value.' },
        },
      },
      response: { 200: { ...LATEST_EVENTS_SCHEMA, description: 'The latest events, newest first.' }, ...readErrors },
    },
  }, async (request) => {
    const q = request.query as { limit?: string; since?: string; type?: EventType; visitor?: string };
    const limit = Math.min(Math.max(1, Number(q.limit ?? LIMITS.latestEventsDefault)), LIMITS.latestEventsPerRead);
    const site = await deps.sites.resolve((request.params as { siteCode: string }).siteCode, { create: false });
    return deps.reads.latestEvents(site, {
      limit,
      now: deps.now(),
      ...(q.since === undefined ? {} : { since: Number(q.since) }),
      ...(q.type === undefined ? {} : { type: q.type }),
      ...(q.visitor === undefined ? {} : { identity: q.visitor }),
    });
  });
}
