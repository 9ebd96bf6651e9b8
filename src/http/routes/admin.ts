import type { FastifyInstance } from 'fastify';
import {
  EXPERIMENT_BODY,
  EXPERIMENT_PATCH,
  experimentNotRegistered,
  GOAL_BODY,
  GOAL_PATCH,
  patchExperiment,
  patchGoal,
  SITE_SETTINGS_PATCH,
  parseBody,
  saveExperiment,
  saveGoal,
  siteQuotaUsage,
  updateSiteSettings,
  type AdminDeps,
} from '../../admin/registry-admin.ts';
import { experimentResults } from '../../analysis/experiment-results.ts';
import type { HeavyReads } from '../../analysis/heavy-reads.ts';
import { AnoleError } from '../../core/error-codes.ts';
import { EXPERIMENT_STATUSES, GOAL_KINDS } from '../../core/registry.ts';
import { LIMITS } from '../../core/limits.ts';
import { errorResponses, INTEGER, jsonBody, nullable, NUMBER, object, STRING, EPOCH_MS } from '../openapi.ts';
import { IDENTITY_PARAM, requiredQueryIdentity, SITE_CODE_PARAM } from '../query-schema.ts';
import { EXPLAIN_SCHEMA, RESULTS_SCHEMA } from './results-schema.ts';
import { SITE_DETAIL_SCHEMA, SITE_SETTINGS_SCHEMA } from './site-schema.ts';
import { registerSiteReads } from './site-reads.ts';

const siteParams = { type: 'object', required: ['siteCode'], properties: { siteCode: SITE_CODE_PARAM } } as const;
const idParam = { type: 'string', pattern: '^[0-9]{1,10}$' } as const;
const experimentParams = { type: 'object', required: ['siteCode', 'experimentId'], properties: { siteCode: SITE_CODE_PARAM, experimentId: idParam } } as const;
const goalParams = { type: 'object', required: ['siteCode', 'goalId'], properties: { siteCode: SITE_CODE_PARAM, goalId: idParam } } as const;
const read = { access: 'read' } as const;
const admin = { access: 'admin' } as const;

const goal = object({ id: INTEGER, name: STRING, kind: { type: 'string', enum: [...GOAL_KINDS] } });
const experiment = object({
  id: INTEGER,
  name: STRING,
  variations: { type: 'array', items: object({ id: INTEGER, name: STRING }) },
  referenceVariationId: nullable(INTEGER),
  trafficSplit: nullable({ type: 'object', additionalProperties: NUMBER }),
  analysisPeriod: object({ start: nullable(EPOCH_MS), end: nullable(EPOCH_MS) }),
  status: { type: 'string', enum: [...EXPERIMENT_STATUSES] },
});
const recomputing = { ...INTEGER, description: 'Persons this change has the worker recompute from every event (the site\'s persons with stored results, at least 1 when it holds events; 0 when results are unaffected).' };
/** A site-scoped read of an unknown site is a 404 (401 and 403 are added for every keyed route in app.ts). */
const readErrors = errorResponses('invalid_query', 'unknown_site');
const writeErrors = errorResponses('invalid_query', 'invalid_body', 'unknown_site', 'body_too_large', 'unsupported_media_type');
/** A goal or experiment write may meet the site's registry quota. */
const registryWriteErrors = errorResponses('invalid_query', 'invalid_body', 'unknown_site', 'quota_exceeded', 'body_too_large', 'unsupported_media_type');
const EXPERIMENT_EXAMPLE = {
  name: 'Checkout button',
  variations: [
    { id: 700001, name: 'Original' },
    { id: 700002, name: 'Green button' },
  ],
  referenceVariationId: 700001,
  trafficSplit: { '700001': 50, '700002': 50 },
  analysisPeriod: { start: 1_767_225_600_000, end: null },
  status: 'running',
};

function toId(raw: string, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n > LIMITS.maxId) throw new AnoleError('invalid_query', `${what} must be an integer between 0 and ${LIMITS.maxId}`);
  return n;
}

/**
 * Registry and results API under /api. Never open: reads need a read, admin or (for its own site)
 * site key; registry writes need an admin key.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps & { now: () => number; reads: HeavyReads }): void {
  app.register(async (api) => {
    const siteOf = (code: string, create = false) => deps.sites.resolve(code, { create });
    registerSiteReads(api, deps);

    api.get('/api/sites/:siteCode', {
      config: read,
      schema: {
        summary: 'A site, its settings and what it uses of its quotas',
        params: siteParams,
        response: { 200: { ...SITE_DETAIL_SCHEMA, description: 'The site, its settings, and its registry entries and map bytes against their quotas.' }, ...readErrors },
      },
    }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { siteCode: site.code, settings: site.settings, usage: await siteQuotaUsage(deps, site) };
    });

    api.patch('/api/sites/:siteCode', {
      config: admin,
      schema: {
        summary: 'Change site settings (creates the site if needed); changing the visit timeout or attribution window recomputes results',
        description: 'Only the settings sent change. Durations are in milliseconds.',
        params: siteParams,
        body: jsonBody(SITE_SETTINGS_PATCH, { attributionWindowMs: 1_209_600_000, lateEventHorizonMs: 7_776_000_000 }),
       
        response: { 200: object({ siteCode: STRING, settings: SITE_SETTINGS_SCHEMA, recomputing }, { description: 'The settings now in force.' }), ...writeErrors },
      },
    }, async (request) => {
      const patch = parseBody(SITE_SETTINGS_PATCH, request.body);
      const site = await siteOf((request.params as { siteCode: string }).siteCode, true);
      const { site: updated, recomputing } = await updateSiteSettings(deps, site, patch);
      return { siteCode: updated.code, settings: updated.settings, recomputing };
    });

    api.get('/api/sites/:siteCode/goals', { config: read, schema: { summary: 'Goals of a site', params: siteParams, response: { 200: object({ goals: { type: 'array', items: goal } }, { description: 'Every goal, registered or seen in events.' }), ...readErrors } } }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { goals: await deps.storage.listGoals(site.id) };
    });

    api.put('/api/sites/:siteCode/goals/:goalId', {
      config: admin,
      schema: {
        summary: 'Create or replace a goal (full replace: a field left out takes its default; PATCH changes only what it sends)',
        description: 'Defaults: name `Goal <id>`, kind `conversion`.',
        params: goalParams,
        body: jsonBody(GOAL_BODY, { name: 'In-store purchase', kind: 'revenue' }),
       
        response: { 200: { ...goal, description: 'The goal as stored.' }, ...registryWriteErrors },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; goalId: string };
      const site = await siteOf(params.siteCode, true);
      return saveGoal(deps, site, toId(params.goalId, 'goalId'), parseBody(GOAL_BODY, request.body));
    });

    api.patch('/api/sites/:siteCode/goals/:goalId', {
      config: admin,
      schema: {
        summary: 'Change some fields of a goal (creates it with the defaults if needed)',
        params: goalParams,
        body: jsonBody(GOAL_PATCH, { name: 'Phone sale' }),
        response: { 200: { ...goal, description: 'The goal as stored.' }, ...registryWriteErrors },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; goalId: string };
      const site = await siteOf(params.siteCode, true);
      return patchGoal(deps, site, toId(params.goalId, 'goalId'), parseBody(GOAL_PATCH, request.body));
    });

    api.get('/api/sites/:siteCode/experiments', { config: read, schema: { summary: 'Experiments of a site', params: siteParams, response: { 200: object({ experiments: { type: 'array', items: experiment } }, { description: 'Every experiment, registered or seen in events.' }), ...readErrors } } }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { experiments: await deps.storage.listExperiments(site.id) };
    });

    api.get('/api/sites/:siteCode/experiments/:experimentId', { config: read, schema: { summary: 'One experiment', params: experimentParams, response: { 200: { ...experiment, description: 'The experiment.' }, ...errorResponses('invalid_query', 'unknown_site', 'not_found') } } }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const site = await siteOf(params.siteCode);
      const id = toId(params.experimentId, 'experimentId');
      const experiment = await deps.storage.getExperiment(site.id, id);
      if (!experiment) throw await experimentNotRegistered(deps, site, id);
      return experiment;
    });

    api.put('/api/sites/:siteCode/experiments/:experimentId', {
      config: admin,
      schema: {
        summary: 'Create or replace an experiment (full replace: a field left out takes its default; PATCH changes only what it sends)',
        description: 'Defaults: name `Experiment <id>`, no variations added, referenceVariationId null (the lowest variation id), trafficSplit null (equal), analysisPeriod unbounded, status `running`. Variations are never removed. Changing the analysis period recomputes results.',
        params: experimentParams,
        body: jsonBody(EXPERIMENT_BODY, EXPERIMENT_EXAMPLE),
       
        response: { 200: object({ experiment, recomputing }, { description: 'The experiment as stored.' }), ...registryWriteErrors },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const site = await siteOf(params.siteCode, true);
      return saveExperiment(deps, site, toId(params.experimentId, 'experimentId'), parseBody(EXPERIMENT_BODY, request.body));
    });

    api.patch('/api/sites/:siteCode/experiments/:experimentId', {
      config: admin,
      schema: {
        summary: 'Change some fields of an experiment (creates it with the defaults if needed)',
        description: 'Only the fields sent change; analysisPeriod may name only start or end. Changing the analysis period recomputes results.',
        params: experimentParams,
        body: jsonBody(EXPERIMENT_PATCH, { name: 'Checkout button (green wins)', analysisPeriod: { end: 1_769_904_000_000 } }),
        response: { 200: object({ experiment, recomputing }, { description: 'The experiment as stored.' }), ...registryWriteErrors },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const site = await siteOf(params.siteCode, true);
      return patchExperiment(deps, site, toId(params.experimentId, 'experimentId'), parseBody(EXPERIMENT_PATCH, request.body));
    });

    api.get('/api/sites/:siteCode/experiments/:experimentId/results', {
      config: read,
      schema: {
        summary: 'Experiment results: per goal and variation, with frequentist, Bayesian, sequential and CUPED comparisons, SRM and a daily series',
        params: experimentParams,
        querystring: {
          type: 'object',
          properties: {
            level: { type: 'string', enum: ['visitor', 'visit'] },
            confidence: { type: 'string', pattern: '^0?\\.[0-9]{1,6}$' },
            goalId: idParam,
          },
        },
       
        response: { 200: { ...RESULTS_SCHEMA, description: 'The results (docs/results.md).' }, ...errorResponses('invalid_query', 'unknown_site', 'not_found') },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const q = request.query as { level?: 'visitor' | 'visit'; confidence?: string; goalId?: string };
      const confidence = q.confidence === undefined ? 0.95 : Number(q.confidence);
      if (!(confidence >= 0.5 && confidence < 1)) throw new AnoleError('invalid_query', 'confidence must be in [0.5, 1)');
      const site = await siteOf(params.siteCode);
      const experimentId = toId(params.experimentId, 'experimentId');
      try {
        return await experimentResults(deps.storage, {
          site,
          experimentId,
          level: q.level ?? 'visitor',
          confidence,
          ...(q.goalId === undefined ? {} : { goalId: toId(q.goalId, 'goalId') }),
        });
      } catch (error) {
        if (error instanceof AnoleError && error.code === 'not_found') throw await experimentNotRegistered(deps, site, experimentId);
        throw error;
      }
    });

    api.get('/api/sites/:siteCode/experiments/:experimentId/explain', {
      config: read,
      schema: {
        summary: 'Why each conversion of one visitor (or person) counted for the experiment, or did not',
        params: experimentParams,
        querystring: { type: 'object', properties: { visitorCode: IDENTITY_PARAM, mappingValue: IDENTITY_PARAM } },
       
        response: { 200: { ...EXPLAIN_SCHEMA, description: 'Each conversion of the person and why it counted or not.' }, ...errorResponses('invalid_query', 'unknown_site') },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const q = request.query as { visitorCode?: string; mappingValue?: string };
      const identity = requiredQueryIdentity(q);
      const site = await siteOf(params.siteCode);
      return deps.reads.explain(site, toId(params.experimentId, 'experimentId'), identity);
    });
  });
}
