import type { FastifyInstance } from 'fastify';
import {
  EXPERIMENT_BODY,
  GOAL_BODY,
  SITE_SETTINGS_PATCH,
  parseBody,
  saveExperiment,
  saveGoal,
  updateSiteSettings,
  type AdminDeps,
} from '../../admin/registry-admin.ts';
import { experimentResults } from '../../analysis/experiment-results.ts';
import { explainAttribution } from '../../analysis/explain-attribution.ts';
import { AnoleError } from '../../core/error-codes.ts';
import { LIMITS } from '../../core/limits.ts';
import { IDENTITY_PARAM, requiredQueryIdentity, SITE_CODE_PARAM } from '../query-schema.ts';

const siteParams = { type: 'object', required: ['siteCode'], properties: { siteCode: SITE_CODE_PARAM } } as const;
const idParam = { type: 'string', pattern: '^[0-9]{1,10}$' } as const;
const experimentParams = { type: 'object', required: ['siteCode', 'experimentId'], properties: { siteCode: SITE_CODE_PARAM, experimentId: idParam } } as const;
const goalParams = { type: 'object', required: ['siteCode', 'goalId'], properties: { siteCode: SITE_CODE_PARAM, goalId: idParam } } as const;
const read = { access: 'read' } as const;
const admin = { access: 'admin' } as const;

function toId(raw: string, what: string): number {
  const n = Number(raw);
  if (!Number.isInteger(n) || n > LIMITS.maxId) throw new AnoleError('invalid_query', `${what} must be an integer between 0 and ${LIMITS.maxId}`);
  return n;
}

/**
 * Registry and results API under /api. Never open: reads need a read, admin or (for its own site)
 * site key; registry writes need an admin key.
 */
export function registerAdmin(app: FastifyInstance, deps: AdminDeps): void {
  app.register(async (api) => {
    const siteOf = (code: string, create = false) => deps.sites.resolve(code, { create });

    api.get('/api/sites/:siteCode', { config: read, schema: { summary: 'A site and its settings', params: siteParams } }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { siteCode: site.code, settings: site.settings };
    });

    api.patch('/api/sites/:siteCode', {
      config: admin,
      schema: { summary: 'Change site settings (creates the site if needed); changing the visit timeout or attribution window recomputes results', params: siteParams },
    }, async (request) => {
      const patch = parseBody(SITE_SETTINGS_PATCH, request.body);
      const site = await siteOf((request.params as { siteCode: string }).siteCode, true);
      const { site: updated, recomputing } = await updateSiteSettings(deps, site, patch);
      return { siteCode: updated.code, settings: updated.settings, recomputing };
    });

    api.get('/api/sites/:siteCode/goals', { config: read, schema: { summary: 'Goals of a site', params: siteParams } }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { goals: await deps.storage.listGoals(site.id) };
    });

    api.put('/api/sites/:siteCode/goals/:goalId', { config: admin, schema: { summary: 'Create or rename a goal', params: goalParams } }, async (request) => {
      const params = request.params as { siteCode: string; goalId: string };
      const site = await siteOf(params.siteCode, true);
      return saveGoal(deps, site, toId(params.goalId, 'goalId'), parseBody(GOAL_BODY, request.body));
    });

    api.get('/api/sites/:siteCode/experiments', { config: read, schema: { summary: 'Experiments of a site', params: siteParams } }, async (request) => {
      const site = await siteOf((request.params as { siteCode: string }).siteCode);
      return { experiments: await deps.storage.listExperiments(site.id) };
    });

    api.get('/api/sites/:siteCode/experiments/:experimentId', { config: read, schema: { summary: 'One experiment', params: experimentParams } }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const site = await siteOf(params.siteCode);
      const experiment = await deps.storage.getExperiment(site.id, toId(params.experimentId, 'experimentId'));
      if (!experiment) throw new AnoleError('not_found', `experiment ${params.experimentId} is not registered`);
      return experiment;
    });

    api.put('/api/sites/:siteCode/experiments/:experimentId', {
      config: admin,
      schema: { summary: 'Create or replace an experiment (name, variations, reference, traffic split, analysis period, status)', params: experimentParams },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const site = await siteOf(params.siteCode, true);
      return saveExperiment(deps, site, toId(params.experimentId, 'experimentId'), parseBody(EXPERIMENT_BODY, request.body));
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
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const q = request.query as { level?: 'visitor' | 'visit'; confidence?: string; goalId?: string };
      const confidence = q.confidence === undefined ? 0.95 : Number(q.confidence);
      if (!(confidence >= 0.5 && confidence < 1)) throw new AnoleError('invalid_query', 'confidence must be in [0.5, 1)');
      const site = await siteOf(params.siteCode);
      return experimentResults(deps.storage, {
        site,
        experimentId: toId(params.experimentId, 'experimentId'),
        level: q.level ?? 'visitor',
        confidence,
        ...(q.goalId === undefined ? {} : { goalId: toId(q.goalId, 'goalId') }),
      });
    });

    api.get('/api/sites/:siteCode/experiments/:experimentId/explain', {
      config: read,
      schema: {
        summary: 'Why each conversion of one visitor (or person) counted for the experiment, or did not',
        params: experimentParams,
        querystring: { type: 'object', properties: { visitorCode: IDENTITY_PARAM, mappingValue: IDENTITY_PARAM } },
      },
    }, async (request) => {
      const params = request.params as { siteCode: string; experimentId: string };
      const q = request.query as { visitorCode?: string; mappingValue?: string };
      const identity = requiredQueryIdentity(q);
      const site = await siteOf(params.siteCode);
      return explainAttribution(deps.storage, site, toId(params.experimentId, 'experimentId'), identity);
    });
  });
}
