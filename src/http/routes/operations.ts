import type { FastifyInstance } from 'fastify';
import type { Storage } from '../../storage/port.ts';
import type { Metrics } from '../metrics.ts';
import { errorResponses, INTEGER, object, STRING } from '../openapi.ts';
import { openapiHtml, type ReferencePage } from '../openapi-html.ts';
import type { OpenApiDocument } from '../openapi-markdown.ts';

const health = object(
  {
    status: { type: 'string', enum: ['ok', 'stopping', 'unavailable'] },
    store: { type: 'string', enum: ['ok', 'unavailable'] },
    uptimeSeconds: INTEGER,
    engine: { type: 'string', enum: ['sqlite', 'postgres'], description: 'With an admin or read key only.' },
    storeError: { ...STRING, description: 'Why the store is unavailable, as its driver says; with an admin or read key only.' },
  },
  { optional: ['engine', 'storeError'] },
);
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

export interface OperationsDeps {
  storage: Storage;
  metrics: Metrics;
  isStopping: () => boolean;
  startedAt: number;
  now: () => number;
}

/** Health, Prometheus metrics, the OpenAPI document and its reference page. */
export function registerOperations(app: FastifyInstance, deps: OperationsDeps): void {
  app.get('/health', {
    config: { access: 'public' },
    schema: { summary: 'Process and store health; 503 when either is not ready', response: {
        ...errorResponses(),
        200: { ...health, description: 'The process and its store are ready.' },
        503: { ...health, description: 'Stopping, or the store is unavailable.' },
      },
    },
  }, async (request, reply) => {
    let storeError: string | null = null;
    try {
      await deps.storage.ping();
    } catch (error) {
      storeError = (error as Error).message;
    }
    const ok = storeError === null && !deps.isStopping();
    // Driver errors name hosts and ports: only operators (admin or read keys) see them.
    const operator = request.keyHolder !== null && request.keyHolder.role !== 'site';
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : deps.isStopping() ? 'stopping' : 'unavailable',
      store: storeError === null ? 'ok' : 'unavailable',
      uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 1000),
      ...(operator ? { engine: deps.storage.engine, ...(storeError === null ? {} : { storeError }) } : {}),
    });
  });

  app.get('/metrics', {
    config: { access: 'read' },
    schema: { summary: 'Prometheus metrics (also served without a key on ANOLE_METRICS_PORT when set)', response: { 200: text('Prometheus text exposition format.'), ...errorResponses() } },
  }, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', {
    config: { access: 'public' },
    schema: { summary: 'This OpenAPI document', response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1.' }, ...errorResponses() } },
  }, async () => app.swagger());

  // Rendered once: the document does not change while the process runs.
  let page: ReferencePage | null = null;
  app.get('/docs/api', {
    config: { access: 'public' },
    schema: {
      summary: 'This API reference as a web page: every route, its parameters, bodies and answers',
      description: 'The OpenAPI document rendered as one HTML page with nothing loaded from elsewhere (no script; its style inline, allowed by hash).',
      response: { 200: { description: 'The reference page.', content: { 'text/html': { schema: { type: 'string' } } } }, ...errorResponses() },
    },
  }, async (_request, reply) => {
    page ??= openapiHtml(app.swagger() as unknown as OpenApiDocument);
    return reply
      .type('text/html; charset=utf-8')
      .headers({ 'Content-Security-Policy': page.policy, 'X-Frame-Options': 'DENY', 'Referrer-Policy': 'no-referrer', 'Cache-Control': 'no-cache' })
      .send(page.html);
  });
}
