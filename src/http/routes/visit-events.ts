import type { FastifyInstance } from 'fastify';
import { ingestEvents, type IngestDeps } from '../../ingest/ingest-events.ts';
import type { Metrics } from '../metrics.ts';
import { BOOLEAN, errorResponses, INTEGER, noContent, object, STRING } from '../openapi.ts';
import { FLAG, flagValue, IDENTITY_PARAM, queryIdentity, SITE_CODE_PARAM } from '../query-schema.ts';

interface Query {
  siteCode: string;
  visitorCode?: string;
  mappingValue?: string;
  json?: string;
  itp?: string;
  sdkName?: string;
  sdkVersion?: string;
  verdicts?: string;
  dryRun?: string;
}

export interface VisitEventsDeps extends IngestDeps {
  metrics: Metrics;
  now: () => number;
}

const querystring = {
  type: 'object',
  required: ['siteCode'],
  properties: {
    siteCode: SITE_CODE_PARAM,
    visitorCode: { ...IDENTITY_PARAM, description: 'Identity for events that carry none.' },
    mappingValue: { ...IDENTITY_PARAM, description: 'Cross-device identity for events that carry none (visitorCode wins).' },
    json: { ...FLAG, description: 'true: the body is a JSON array of events; otherwise one event per line.' },
    itp: { ...FLAG, description: 'Stored as `itp` on every event of the request.' },
    sdkName: { type: 'string', maxLength: 64, pattern: '^[^/]*$' },
    sdkVersion: { type: 'string', maxLength: 64 },
    verdicts: { ...FLAG, description: 'Anole extension: answer 200 with a verdict per event instead of 204.' },
    dryRun: { ...FLAG, description: 'Anole extension: validate and look for duplicates, store nothing, answer the verdicts.' },
  },
} as const;

const verdict = object(
  {
    line: { ...INTEGER, description: 'Line format: the 1-based line.' },
    index: { ...INTEGER, description: 'JSON format: the 0-based array index.' },
    status: { type: 'string', enum: ['accepted', 'duplicate', 'rejected'] },
    nonce: STRING,
    code: { ...STRING, description: 'Why it was rejected (docs/errors.md).' },
    message: STRING,
  },
  { optional: ['line', 'index', 'nonce', 'code', 'message'] },
);

export const INGEST_REPORT_SCHEMA = object(
  {
    siteCode: STRING,
    dryRun: BOOLEAN,
    accepted: INTEGER,
    duplicate: INTEGER,
    rejected: INTEGER,
    events: { type: 'array', items: verdict, description: 'One verdict per event, in body order.' },
  },
  { description: 'Per-event verdicts (verdicts=true or dryRun=true).' },
);

const body = {
  content: {
    'text/plain': {
      schema: { type: 'string', description: 'Line format: one event per line, each a query string, e.g. eventType=conversion&goalId=1&revenue=9.5&nonce=0123456789abcdef. Fields per event type: docs/events.md.' },
    },
    'application/json': {
      schema: {
        type: 'array',
        description: 'json=true: a JSON array of event objects (fields per event type: docs/events.md).',
        items: { type: 'object', required: ['eventType', 'nonce'], properties: { eventType: STRING, nonce: STRING }, additionalProperties: true },
      },
    },
  },
};

/** POST /visit/events: Kameleoon's tracking endpoint. Answers 204 once every accepted event is durable. */
export function registerVisitEvents(app: FastifyInstance, deps: VisitEventsDeps): void {
  app.post('/visit/events', {
    config: { access: 'ingest' },
    schema: {
      summary: 'Send visitor events (Kameleoon-compatible)',
      description:
        'Line format by default (one query-string line per event); JSON array with json=true. Answers 204 once every ' +
        'accepted event is durable; 200 with a verdict per event when verdicts=true or dryRun=true.',
      querystring,
      body,
      response: {
        200: INGEST_REPORT_SCHEMA,
        204: noContent('Every accepted event is durable.'),
        ...errorResponses('invalid_query', 'invalid_body', 'invalid_events', 'unknown_site', 'body_too_large', 'too_many_events', 'unsupported_media_type'),
      },
    },
  }, async (request, reply) => {
    const q = request.query as Query;
    const verdicts = flagValue(q.verdicts);
    const report = await ingestEvents(deps, {
      siteCode: q.siteCode,
      format: flagValue(q.json) ? 'json' : 'lines',
      body: typeof request.body === 'string' ? request.body : '',
      queryIdentity: queryIdentity(q),
      itp: flagValue(q.itp),
      sdk: q.sdkName ? { name: q.sdkName, version: q.sdkVersion ?? '' } : null,
      dryRun: flagValue(q.dryRun),
      receivedAt: deps.now(),
      // A 204 carries no verdicts, and the metrics need only the counts and the rejections.
      verdicts,
    });
    deps.metrics.recordIngest(report);
    if (verdicts || report.dryRun) return reply.status(200).send(report);
    return reply.status(204).send();
  });
}
