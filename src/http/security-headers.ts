import type { FastifyInstance } from 'fastify';
import { DASHBOARD_HEADERS } from '../dashboard/dashboard-routes.ts';

/**
 * Headers on every answer: browsers must not guess a content type (a JSON answer read as HTML).
 * Answers under /dashboard/ also get the dashboard's own policy (its strict CSP, no framing, no
 * referrer), whatever route or error produced them.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    if (request.url === '/dashboard' || request.url.startsWith('/dashboard/')) void reply.headers(DASHBOARD_HEADERS);
  });
}
