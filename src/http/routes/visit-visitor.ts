import type { FastifyInstance } from 'fastify';
import type { HeavyReads } from '../../analysis/heavy-reads.ts';
import type { EventType } from '../../core/events.ts';
import { LIMITS } from '../../core/limits.ts';
import { BOOLEAN, EPOCH_MS, errorResponses, INTEGER, nullable, NUMBER, object, STRING } from '../openapi.ts';
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

const ids = { type: 'array', items: INTEGER } as const;
const nullableString = nullable(STRING);
const nullableInteger = nullable(INTEGER);
const nullableNumber = nullable(NUMBER);
/** The stored data of each event type, as the SDKs parse it. */
const DATA_SCHEMAS = {
  conversionEvents: object({ goalId: INTEGER, revenue: NUMBER, negative: BOOLEAN, metadata: { type: 'object', additionalProperties: true } }),
  customDataEvents: object({ index: INTEGER, valuesCountMap: { type: 'object', additionalProperties: NUMBER }, overwrite: BOOLEAN, mappingIdentifier: BOOLEAN }),
  pageEvents: object({ href: STRING, canonicalHref: nullableString, title: STRING, keyPagesIndices: ids, referrerHref: nullableString, referrersIndices: ids }),
  experimentEvents: object({ id: INTEGER, variationId: INTEGER }),
  personalizationEvents: object({ id: INTEGER, variationId: INTEGER }),
  targetingSegmentEvents: object({ id: INTEGER }),
  geolocationEvents: object({ country: STRING, region: nullableString, city: nullableString, postalCode: nullableString, latitude: nullableNumber, longitude: nullableNumber }),
};
const eventOf = (data: object) =>
  object({ time: EPOCH_MS, itp: BOOLEAN, sdk: object({ name: STRING, version: STRING }), data }, { optional: ['sdk'] });
const staticDataEvent = eventOf(
  object({
    visitNumber: nullableInteger,
    timeSincePreviousVisit: nullableInteger,
    firstReferrerHref: nullableString,
    browser: nullableString,
    browserIndex: nullableInteger,
    browserVersion: nullableNumber,
    os: nullableString,
    osIndex: nullableInteger,
    windowWidth: nullableInteger,
    windowHeight: nullableInteger,
    screenWidth: nullableInteger,
    screenHeight: nullableInteger,
    timeZoneId: nullableString,
    localeLanguageTag: nullableString,
    deviceType: nullableString,
    mappingIdentifier: nullableString,
  }),
);
const visit = object(
  {
    siteCode: STRING,
    visitorCode: STRING,
    timeStarted: EPOCH_MS,
    timeLastEvent: EPOCH_MS,
    ...Object.fromEntries(Object.entries(DATA_SCHEMAS).map(([key, data]) => [key, { type: 'array', items: eventOf(data) }])),
    staticDataEvent,
  },
  { optional: [...Object.keys(DATA_SCHEMAS), 'staticDataEvent'], description: 'One visit; an event array appears only when its type was asked for and the visit has some.' },
);
const response = {
  200: object(
    { currentVisit: visit, previousVisits: { type: 'array', items: visit, description: 'Newest first.' } },
    {
      optional: ['currentVisit', 'previousVisits'],
      description: '`{}` for an unknown visitor, and for a visitor whose only visit is the current one when currentVisit=true is not set.',
    },
  ),
  ...errorResponses('invalid_query', 'unknown_site'),
};

type Query = Record<string, string | undefined> & { siteCode: string; visitorCode?: string; mappingValue?: string };

/** GET /visit/visitor: a visitor's visits as Kameleoon returns them; `{}` for an unknown visitor. */
export function registerVisitVisitor(app: FastifyInstance, deps: { reads: HeavyReads; now: () => number }): void {
  app.get('/visit/visitor', {
    config: { access: 'visitor-read' },
    schema: { summary: 'Read a visitor\'s visits (Kameleoon-compatible)', querystring, response },
  }, async (request, reply) => {
    const q = request.query as Query;
    const identity = requiredQueryIdentity(q);
    const include = new Set<EventType>();
    for (const [flag, type] of Object.entries(TYPE_FLAGS)) {
      if (flagValue(q.all) || flagValue(q[flag])) include.add(type);
    }
    const requested = q.maxNumberPreviousVisits === undefined ? 1 : Number(q.maxNumberPreviousVisits);
    const text = await deps.reads.visitorText({
      siteCode: q.siteCode,
      identity,
      maxPreviousVisits: Math.min(requested, LIMITS.maxPreviousVisits),
      currentVisit: flagValue(q.currentVisit),
      include,
      now: deps.now(),
    }, { pretty: flagValue(q.prettyPrint) });
    void reply.type('application/json');
    return text;
  });
}
