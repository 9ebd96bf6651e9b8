import type { FastifyInstance } from 'fastify';

/** The dashboard's pages load nothing from elsewhere and may not be framed (clickjacking). */
export const DASHBOARD_CSP =
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; connect-src 'self'; " +
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

/**
 * Headers on every answer: browsers must not guess a content type (a JSON answer read as HTML).
 * Pages under /dashboard/ also get a strict Content-Security-Policy and may not be framed.
 */
export function installSecurityHeaders(app: FastifyInstance): void {
  app.addHook('onSend', async (request, reply) => {
    void reply.header('X-Content-Type-Options', 'nosniff');
    if (request.url === '/dashboard' || request.url.startsWith('/dashboard/')) {
      void reply.header('Content-Security-Policy', DASHBOARD_CSP);
      void reply.header('X-Frame-Options', 'DENY');
      void reply.header('Referrer-Policy', 'no-referrer');
    }
  });
}
