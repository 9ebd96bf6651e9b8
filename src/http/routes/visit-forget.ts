import type { FastifyInstance } from 'fastify';
import { LIMITS } from '../../core/limits.ts';
import { forgetVisitors, type ForgetDeps } from '../../privacy/forget-visitors.ts';
import { FLAG, flagValue, SITE_CODE_PARAM } from '../query-schema.ts';

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
    },
  }, async (request, reply) => {
    const q = request.query as { siteCode: string; verdicts?: string };
    const report = await forgetVisitors(deps, { siteCode: q.siteCode, body: typeof request.body === 'string' ? request.body : '' });
    if (flagValue(q.verdicts)) return reply.status(200).send(report);
    return reply.status(204).send();
  });
}
