import type { FastifyInstance } from 'fastify';
import { ingestEvents, type IngestDeps } from '../../ingest/ingest-events.ts';
import type { Metrics } from '../metrics.ts';
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
