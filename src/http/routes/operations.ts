import type { FastifyInstance } from 'fastify';
import type { Storage } from '../../storage/port.ts';
import type { Metrics } from '../metrics.ts';
import { errorResponses, INTEGER, object, STRING } from '../openapi.ts';

const health = object({
  status: { type: 'string', enum: ['ok', 'stopping', 'unavailable'] },
  store: { ...STRING, description: '`ok`, or `unavailable: <reason>`.' },
  engine: { type: 'string', enum: ['sqlite', 'postgres'] },
  uptimeSeconds: INTEGER,
});
const text = (description: string) => ({ description, content: { 'text/plain': { schema: { type: 'string' } } } });

export interface OperationsDeps {
  storage: Storage;
  metrics: Metrics;
  isStopping: () => boolean;
  startedAt: number;
  now: () => number;
}

/** Health, Prometheus metrics and the OpenAPI document. */
export function registerOperations(app: FastifyInstance, deps: OperationsDeps): void {
  app.get('/health', {
    config: { access: 'public' },
    schema: { summary: 'Process and store health; 503 when either is not ready', response: {
        ...errorResponses(),
        200: { ...health, description: 'The process and its store are ready.' },
        503: { ...health, description: 'Stopping, or the store is unavailable.' },
      },
    },
  }, async (_request, reply) => {
    let store = 'ok';
    try {
      await deps.storage.ping();
    } catch (error) {
      store = `unavailable: ${(error as Error).message}`;
    }
    const ok = store === 'ok' && !deps.isStopping();
    return reply.status(ok ? 200 : 503).send({
      status: ok ? 'ok' : deps.isStopping() ? 'stopping' : 'unavailable',
      store,
      engine: deps.storage.engine,
      uptimeSeconds: Math.round((deps.now() - deps.startedAt) / 1000),
    });
  });

  app.get('/metrics', {
    config: { access: 'public' },
    schema: { summary: 'Prometheus metrics', response: { 200: text('Prometheus text exposition format.'), ...errorResponses() } },
  }, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', {
    config: { access: 'public' },
    schema: { summary: 'This OpenAPI document', response: { 200: { type: 'object', additionalProperties: true, description: 'OpenAPI 3.1.' }, ...errorResponses() } },
  }, async () => app.swagger());
}
