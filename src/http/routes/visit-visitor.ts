import type { FastifyInstance } from 'fastify';
import { readVisitor, type ReadDeps } from '../../analysis/read-visitor.ts';
import type { EventType } from '../../core/events.ts';
import { LIMITS } from '../../core/limits.ts';
import { FLAG, flagValue, IDENTITY_PARAM, requiredQueryIdentity, SITE_CODE_PARAM } from '../query-schema.ts';

/** Query flag → event type it includes. `all` includes every one of them. */
const TYPE_FLAGS: Record<string, EventType> = {
  staticData: 'staticData',
  page: 'page',
  conversion: 'conversion',
  customData: 'customData',
  customdata: 'customData',
  experiment: 'experiment',
  personalization: 'personalization',
  geolocation: 'geolocation',
  targetingSegment: 'targetingSegment',
};

const querystring = {
  type: 'object',
  required: ['siteCode'],
  properties: {
    siteCode: SITE_CODE_PARAM,
    visitorCode: IDENTITY_PARAM,
    mappingValue: { ...IDENTITY_PARAM, description: 'Cross-device user id: the visits of every visitor code linked to it.' },
    maxNumberPreviousVisits: {
      type: 'string',
      pattern: '^[0-9]{1,9}$',
      description: `Previous visits to return, newest first. Missing: 1. 0: none. Above ${LIMITS.maxPreviousVisits}: ${LIMITS.maxPreviousVisits}.`,
    },
    currentVisit: { ...FLAG, description: 'Include the ongoing visit (last event within the visit timeout).' },
    all: { ...FLAG, description: 'Include every event type.' },
    ...Object.fromEntries(Object.keys(TYPE_FLAGS).map((name) => [name, FLAG])),
    kcs: FLAG,
    cbs: FLAG,
    prettyPrint: FLAG,
    version: { type: 'string', maxLength: 16 },
  },
} as const;

type Query = Record<string, string | undefined> & { siteCode: string; visitorCode?: string; mappingValue?: string };

/** GET /visit/visitor: a visitor's visits as Kameleoon returns them; `{}` for an unknown visitor. */
export function registerVisitVisitor(app: FastifyInstance, deps: ReadDeps & { now: () => number }): void {
  app.get('/visit/visitor', {
    config: { access: 'visitor-read' },
    schema: { summary: 'Read a visitor\'s visits (Kameleoon-compatible)', querystring },
  }, async (request, reply) => {
    const q = request.query as Query;
    const identity = requiredQueryIdentity(q);
    const include = new Set<EventType>();
    for (const [flag, type] of Object.entries(TYPE_FLAGS)) {
      if (flagValue(q.all) || flagValue(q[flag])) include.add(type);
    }
    const requested = q.maxNumberPreviousVisits === undefined ? 1 : Number(q.maxNumberPreviousVisits);
    const body = await readVisitor(deps, {
      siteCode: q.siteCode,
      identity,
      maxPreviousVisits: Math.min(requested, LIMITS.maxPreviousVisits),
      currentVisit: flagValue(q.currentVisit),
      include,
      now: deps.now(),
    });
    void reply.type('application/json');
    return flagValue(q.prettyPrint) ? JSON.stringify(body, null, 2) : JSON.stringify(body);
  });
}
