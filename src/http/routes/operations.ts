import type { FastifyInstance } from 'fastify';
import type { Storage } from '../../storage/port.ts';
import type { Metrics } from '../metrics.ts';

export interface OperationsDeps {
  storage: Storage;
  metrics: Metrics;
  isStopping: () => boolean;
  startedAt: number;
  now: () => number;
}

/** Health, Prometheus metrics and the OpenAPI document. */
export function registerOperations(app: FastifyInstance, deps: OperationsDeps): void {
  app.get('/health', { config: { access: 'public' }, schema: { summary: 'Process and store health; 503 when either is not ready' } }, async (_request, reply) => {
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

  app.get('/metrics', { config: { access: 'public' }, schema: { summary: 'Prometheus metrics' } }, async (_request, reply) => {
    const text = await deps.metrics.registry.metrics();
    return reply.type(deps.metrics.registry.contentType).send(text);
  });

  app.get('/openapi.json', { config: { access: 'public' }, schema: { summary: 'This OpenAPI document' } }, async () => app.swagger());
}
