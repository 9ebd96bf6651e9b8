import type { FastifyInstance } from 'fastify';
import type { FastifyRequest } from 'fastify';
import { AnoleError } from '../../core/error-codes.ts';
import { ingestEvents, type EventVerdict, type IngestDeps, type IngestReport } from '../../ingest/ingest-events.ts';
import { capErrors, capReport, countsAnswer } from '../answer-caps.ts';
import { createLogSampler } from '../log-sampler.ts';
import type { Metrics } from '../metrics.ts';
import { LIMITS } from '../../core/limits.ts';
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
  answer?: 'counts';
  dryRun?: string;
  strict?: string;
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
    // Stored with every event as text: no control characters (PostgreSQL text cannot hold a NUL).
    sdkName: { type: 'string', maxLength: 64, pattern: '^[^/\\u0000-\\u001f\\u007f]*$' },
    sdkVersion: { type: 'string', maxLength: 64, pattern: '^[^\\u0000-\\u001f\\u007f]*$' },
    verdicts: { ...FLAG, description: 'Anole extension: answer 200 with a verdict per event instead of 204.' },
    answer: {
      type: 'string',
      enum: ['counts'],
      description:
        'Anole extension: counts answers 200 with how many events were stored, duplicate and rejected (by code), and the rejected events only: ' +
        'an answer the size of its rejections, not of its body, for clients that must tell stored from duplicate events. Not with verdicts=true.',
    },
    strict: { ...FLAG, description: 'Anole extension: reject events that carry a field their type does not read (unknown_field) instead of ignoring the field, and in JSON events with a number or boolean sent as a string (string_value) instead of reading it.' },
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
    warnings: {
      type: 'array',
      description:
        'unknown_field: a field its type does not read, ignored (with strict=true, the reason it was rejected); string_value: in JSON, a number ' +
        'or boolean sent as a string, read as what it spells (strict=true rejects it); registry_full: an id the site\'s registry has no room for (the event is stored).',
      items: object(
        {
          code: { type: 'string', enum: ['unknown_field', 'string_value', 'registry_full'] },
          field: { ...STRING, description: 'The field concerned (unknown_field, string_value).' },
          suggestion: { ...STRING, description: 'The known field most likely meant (unknown_field).' },
          message: STRING,
        },
        { optional: ['field', 'suggestion'] },
      ),
    },
  },
  { optional: ['line', 'index', 'nonce', 'code', 'message', 'warnings'] },
);

/** Every rejected event, by code and position, beside the first ones listed whole (answer-caps.ts). */
export const REJECTIONS_SCHEMA = object(
  {
    listed: { ...INTEGER, description: 'Rejected events listed whole (with their message) in events or errors: the first ones in body order.' },
    byCode: { type: 'object', description: 'How many events were rejected with each code.', additionalProperties: INTEGER },
    lines: { ...STRING, description: 'Line format: every rejected line, as comma-separated numbers and ranges ("2-5,9"); a range runs over consecutive events (the blank lines it spans hold none).' },
    indices: { ...STRING, description: 'JSON: every rejected item, as comma-separated 0-based indices and ranges ("0-3,7").' },
  },
  { description: 'Present when some event was rejected: enough to find each rejected event, however many there are.', optional: ['lines', 'indices'] },
);

/** Set on a 2xx answer when some lines were rejected (the others are stored). */
export const REJECTED_HEADER = 'Anole-Rejected-Lines';
const rejectedHeader = { [REJECTED_HEADER]: { type: 'integer', description: 'How many lines were rejected (absent when none was); ask verdicts=true or dryRun=true to see why.' } };

export const INGEST_REPORT_SCHEMA = object(
  {
    siteCode: STRING,
    format: { type: 'string', enum: ['lines', 'json'], description: 'How the body was read: json for json=true or a body starting with "[".' },
    dryRun: BOOLEAN,
    accepted: INTEGER,
    duplicate: INTEGER,
    rejected: INTEGER,
    ignoredFields: { ...INTEGER, description: 'Fields ignored across all events (see each verdict\'s warnings).' },
    stringValues: { ...INTEGER, description: 'JSON: numbers and booleans sent as strings across all events, read as what they spell (see each verdict\'s warnings).' },
    events: {
      type: 'array',
      items: verdict,
      description: `One verdict per event, in body order; of the rejected events, the first ${LIMITS.listedRejections.toLocaleString('en-US')} only (every one is in rejections).`,
    },
    rejections: REJECTIONS_SCHEMA,
    warningsOmitted: { ...INTEGER, description: `Events whose warnings were left out: an answer lists ${LIMITS.listedWarnings.toLocaleString('en-US')} warnings at most.` },
  },
  { description: 'Per-event verdicts (verdicts=true or dryRun=true).', optional: ['rejections', 'warningsOmitted'] },
);

export const COUNTS_ANSWER_SCHEMA = object(
  {
    siteCode: STRING,
    format: { type: 'string', enum: ['lines', 'json'], description: 'How the body was read: json for json=true or a body starting with "[".' },
    dryRun: BOOLEAN,
    stored: { ...INTEGER, description: 'Events this request stored (dryRun=true: that it would store).' },
    duplicate: { ...INTEGER, description: 'Events already stored (or earlier in the same body), acknowledged and not stored again.' },
    rejected: INTEGER,
    rejectedByCode: { type: 'object', description: 'How many events were rejected with each code ({} when none was).', additionalProperties: INTEGER },
    ignoredFields: { ...INTEGER, description: 'Fields ignored across all events.' },
    stringValues: { ...INTEGER, description: 'JSON: numbers and booleans sent as strings across all events, read as what they spell.' },
    errors: {
      type: 'array',
      items: verdict,
      description: `The rejected events, in body order: the first ${LIMITS.listedRejections.toLocaleString('en-US')} only (every one is in rejections).`,
    },
    rejections: REJECTIONS_SCHEMA,
    warningsOmitted: { ...INTEGER, description: `Rejected events whose warnings were left out: an answer lists ${LIMITS.listedWarnings.toLocaleString('en-US')} warnings at most.` },
  },
  { description: 'Counts and the rejected events (answer=counts).', optional: ['rejections', 'warningsOmitted'] },
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
        'accepted event is durable; 200 with a verdict per event when verdicts=true or dryRun=true; 200 with counts and the ' +
        'rejected events only when answer=counts (with or without dryRun). A body whose first ' +
        'non-blank character is "[" is read as JSON whatever json says. In line format, a request none of whose lines is ' +
        `valid is a 400 invalid_events; when only some are rejected the answer keeps its 2xx and says how many in ${REJECTED_HEADER}.`,
      querystring,
      body,
      response: {
        200: { oneOf: [INGEST_REPORT_SCHEMA, COUNTS_ANSWER_SCHEMA], description: 'Per-event verdicts (verdicts=true or dryRun=true), or counts (answer=counts).', headers: rejectedHeader },
        204: { ...noContent('Every accepted event is durable.'), headers: rejectedHeader },
        ...errorResponses('invalid_query', 'invalid_body', 'invalid_events', 'unknown_site', 'body_too_large', 'too_many_events', 'unsupported_media_type', 'identity_event_limit'),
      },
    },
  }, async (request, reply) => {
    const q = request.query as Query;
    const verdicts = flagValue(q.verdicts);
    const counts = q.answer === 'counts';
    if (counts && verdicts) throw new AnoleError('invalid_query', 'answer=counts and verdicts=true ask for two different answers: give one of them');
    let report: IngestReport;
    try {
      report = await ingestEvents(deps, {
        siteCode: q.siteCode,
        format: flagValue(q.json) ? 'json' : 'lines',
        body: typeof request.body === 'string' ? request.body : '',
        queryIdentity: queryIdentity(q),
        itp: flagValue(q.itp),
        sdk: q.sdkName ? { name: q.sdkName, version: q.sdkVersion ?? '' } : null,
        dryRun: flagValue(q.dryRun),
        strict: flagValue(q.strict),
        receivedAt: deps.now(),
        // A 204 carries no verdicts, and the metrics need only the counts and the rejections.
        verdicts,
      });
    } catch (error) {
      if (error instanceof AnoleError && error.code === 'invalid_events') {
        const errors = (error.details as { errors: EventVerdict[] }).errors;
        if (!flagValue(q.dryRun)) deps.metrics.recordRejectedEvents(errors);
        warnRejected(request, q.siteCode, errors);
        throw new AnoleError('invalid_events', error.message, capErrors(errors));
      }
      if (error instanceof AnoleError && error.code === 'identity_event_limit') {
        // JSON events refused at commit by the per-identity cap (the others were stored): listed
        // under the same cap as invalid_events, so that a flood of them answers no more than its body.
        const details = error.details as { errors: EventVerdict[]; accepted: number; duplicate: number };
        if (!flagValue(q.dryRun)) deps.metrics.recordRejectedEvents(details.errors);
        warnRejected(request, q.siteCode, details.errors);
        throw new AnoleError('identity_event_limit', error.message, { ...capErrors(details.errors), accepted: details.accepted, duplicate: details.duplicate });
      }
      throw error;
    }
    deps.metrics.recordIngest(report);
    if (report.rejected > 0) {
      void reply.header(REJECTED_HEADER, String(report.rejected));
      warnRejected(request, q.siteCode, report.events.filter((v) => v.status === 'rejected'));
    }
    if (counts) return reply.status(200).send(countsAnswer(report));
    if (verdicts || report.dryRun) return reply.status(200).send(capReport(report));
    return reply.status(204).send();
  });

  /** A client whose events are rejected rarely reads its answers: tell the operator, sampled per site. */
  const sampler = createLogSampler({ intervalMs: 60_000 });
  function warnRejected(request: FastifyRequest, siteCode: string, rejected: EventVerdict[]): void {
    const first = rejected[0];
    const sampled = first ? sampler.take(siteCode, deps.now()) : null;
    if (!first || !sampled) return;
    const where = first.line !== undefined ? { line: first.line } : { index: first.index };
    request.log.warn(
      { siteCode, rejected: rejected.length, firstCode: first.code, firstMessage: first.message, ...where, suppressedSinceLast: sampled.suppressed },
      `POST /visit/events rejected ${rejected.length} event(s) of site ${siteCode}; first: ${first.code}`,
    );
  }
}
