import type { FastifyInstance } from 'fastify';
import { LIMITS } from '../../core/limits.ts';
import { forgetVisitors, type ForgetDeps } from '../../privacy/forget-visitors.ts';
import { errorResponses, INTEGER, noContent, object } from '../openapi.ts';
import { FLAG, flagValue, SITE_CODE_PARAM } from '../query-schema.ts';

const report = object(
  {
    named: { ...INTEGER, description: 'Visitor codes the body named (after de-duplication).' },
    visitorCodes: { ...INTEGER, description: 'Visitor codes forgotten, including those of persons named by a user id.' },
    events: { ...INTEGER, description: 'Events deleted.' },
    links: { ...INTEGER, description: 'Identity links deleted.' },
    maps: { ...INTEGER, description: 'Map keys deleted.' },
  },
  { description: 'What was deleted (verdicts=true).' },
);

/** POST /visit/forget: Kameleoon's privacy deletion, applied before the answer. */
export function registerVisitForget(app: FastifyInstance, deps: ForgetDeps): void {
  app.post('/visit/forget', {
    bodyLimit: LIMITS.forgetBodyBytes,
    config: { access: 'forget' },
    schema: {
      summary: 'Delete every stored trace of visitors (Kameleoon-compatible)',
      description:
        'Body: one visitor code per line. Answers 204 once everything is deleted; 200 with counts when verdicts=true. ' +
        'A line that is a user id forgets every visitor code linked to it. See docs/compatibility.md.',
      querystring: {
        type: 'object',
        required: ['siteCode'],
        properties: { siteCode: SITE_CODE_PARAM, verdicts: { ...FLAG, description: 'Anole extension: answer 200 with what was deleted.' } },
      },
      body: { content: { 'text/plain': { schema: { type: 'string', description: `One visitor code (or user id) per line, at most ${LIMITS.forgetVisitorsPerRequest} of them.` } } } },
      response: {
        200: report,
        204: noContent('Everything named is deleted.'),
        ...errorResponses('invalid_query', 'invalid_body', 'unknown_site', 'body_too_large', 'too_many_visitors', 'unsupported_media_type'),
      },
    },
  }, async (request, reply) => {
    const q = request.query as { siteCode: string; verdicts?: string };
    const report = await forgetVisitors(deps, { siteCode: q.siteCode, body: typeof request.body === 'string' ? request.body : '' });
    if (flagValue(q.verdicts)) return reply.status(200).send(report);
    return reply.status(204).send();
  });
}
