import type { FastifyError, FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { AnoleError, ERROR_CODES, type ErrorCode } from '../core/error-codes.ts';
import type { Metrics } from './metrics.ts';

/** The Kameleoon SDKs read `{"message": ...}`; `code` is the stable Anole code from the registry. */
export interface ErrorBody {
  message: string;
  code: ErrorCode;
  [extra: string]: unknown;
}

export function sendError(reply: FastifyReply, code: ErrorCode, message: string, extra: Record<string, unknown> = {}): FastifyReply {
  const body: ErrorBody = { message, code, ...extra };
  return reply.status(ERROR_CODES[code].status).type('application/json').send(body);
}

/** Errors fastify raises itself, mapped onto the registry. */
const FASTIFY_CODES: Record<string, ErrorCode> = {
  FST_ERR_CTP_BODY_TOO_LARGE: 'body_too_large',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'unsupported_media_type',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'invalid_body',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_body',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_body',
  FST_ERR_VALIDATION: 'invalid_query',
};

/**
 * One error handler: deliberate errors carry their code; fastify's own become their registry code;
 * anything else is a bug or an outage and answers 500, never 400.
 */
export function installErrorHandling(app: FastifyInstance, metrics: Metrics, knownPaths: () => Map<string, Set<string>>): void {
  app.setErrorHandler((error: FastifyError | AnoleError, request: FastifyRequest, reply: FastifyReply) => {
    if (error instanceof AnoleError) {
      metrics.recordRejectedRequest(error.code);
      const details = error.details && typeof error.details === 'object' ? (error.details as Record<string, unknown>) : {};
      return sendError(reply, error.code, error.message, details);
    }
    const mapped = error.code ? FASTIFY_CODES[error.code] : undefined;
    if (mapped) {
      metrics.recordRejectedRequest(mapped);
      const message = mapped === 'invalid_query' ? `invalid query: ${error.message}` : error.message;
      return sendError(reply, mapped, message);
    }
    if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
      // A client error fastify raised that the registry has no finer code for.
      metrics.recordRejectedRequest('invalid_body');
      return sendError(reply, 'invalid_body', error.message);
    }
    request.log.error({ err: error }, 'request failed');
    metrics.recordRejectedRequest('internal');
    return sendError(reply, 'internal', 'internal error; nothing was acknowledged');
  });

  app.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? '';
    const methods = knownPaths().get(path);
    if (methods && !methods.has(request.method)) {
      void reply.header('Allow', [...methods].join(', '));
      return sendError(reply, 'method_not_allowed', `${request.method} is not allowed on ${path}; use ${[...methods].join(', ')}`);
    }
    return sendError(reply, 'not_found', `no route ${request.method} ${path}`);
  });
}
