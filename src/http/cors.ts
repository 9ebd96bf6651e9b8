import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Headers browsers send to the Data API that are not CORS-safelisted (the SDK sends `Content-Type: *\/*`). */
export const CORS_ALLOWED_HEADERS = ['Content-Type', 'X-Kameleoon-SDK-Type', 'X-Kameleoon-SDK-Version', 'Authorization', 'If-Modified-Since'];

/** `*` (any origin, like the hosted service) or an exact list of origins such as `https://shop.example`. */
export type CorsOrigins = '*' | readonly string[];

/**
 * Browsers call the Data API cross-origin. The headers are set in onRequest, before anything can
 * fail, so 204s, 4xx and 5xx answers all carry them; preflight OPTIONS is answered for every path.
 * The /api routes are another matter: they carry keys, and the dashboard that calls them is served
 * from the same origin, so they answer no CORS at all unless `apiOrigins` names origins.
 */
export async function installCors(app: FastifyInstance, origins: CorsOrigins, apiOrigins: CorsOrigins | null = null): Promise<void> {
  const common = {
    allowedHeaders: CORS_ALLOWED_HEADERS,
    // Anole-Rejected-Lines: a browser client can see that some of its lines were refused.
    exposedHeaders: ['Last-Modified', 'Anole-Rejected-Lines'],
    maxAge: 86_400,
    // A bare OPTIONS (no Origin) is not a browser preflight; answer it like any other instead of a plain-text 400.
    strictPreflight: false,
  };
  const dataApi = { ...common, origin: origins === '*' ? '*' : [...origins], methods: ['GET', 'POST', 'OPTIONS'] };
  const api = apiOrigins === null ? { ...common, origin: false } : { ...common, origin: apiOrigins === '*' ? '*' : [...apiOrigins], methods: ['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'] };
  await app.register(cors, {
    hook: 'onRequest',
    delegator: (request, callback) => callback(null, (request.url ?? '').startsWith('/api/') ? api : dataApi),
  });
}
