import cors from '@fastify/cors';
import type { FastifyInstance } from 'fastify';

/** Headers browsers send to the Data API that are not CORS-safelisted (the SDK sends `Content-Type: *\/*`). */
export const CORS_ALLOWED_HEADERS = ['Content-Type', 'X-Kameleoon-SDK-Type', 'X-Kameleoon-SDK-Version', 'Authorization', 'If-Modified-Since'];

/** `*` (any origin, like the hosted service) or an exact list of origins such as `https://shop.example`. */
export type CorsOrigins = '*' | readonly string[];

/**
 * Browsers call the Data API cross-origin. The headers are set in onRequest, before anything can
 * fail, so 204s, 4xx and 5xx answers all carry them; preflight OPTIONS is answered for every path.
 */
export async function installCors(app: FastifyInstance, origins: CorsOrigins): Promise<void> {
  await app.register(cors, {
    origin: origins === '*' ? '*' : [...origins],
    methods: ['GET', 'POST', 'OPTIONS'],
    allowedHeaders: CORS_ALLOWED_HEADERS,
    // Anole-Rejected-Lines: a browser client can see that some of its lines were refused.
    exposedHeaders: ['Last-Modified', 'Anole-Rejected-Lines'],
    maxAge: 86_400,
    // A bare OPTIONS (no Origin) is not a browser preflight; answer it like any other instead of a plain-text 400.
    strictPreflight: false,
    hook: 'onRequest',
  });
}
