import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Metrics } from './metrics.ts';

export interface MetricsListener {
  url: string;
  close(): Promise<void>;
}

/**
 * /metrics on a port of its own, without a key, for a Prometheus that scrapes a private network
 * (ANOLE_METRICS_PORT). It serves nothing else, so opening it exposes no data.
 */
export async function startMetricsListener(metrics: Metrics, options: { host: string; port: number }): Promise<MetricsListener> {
  const server = http.createServer((request, response) => {
    const path = (request.url ?? '').split('?')[0];
    const fail = (status: number, code: string, message: string) => {
      response.writeHead(status, { 'Content-Type': 'application/json', 'X-Content-Type-Options': 'nosniff' }).end(JSON.stringify({ message, code }));
    };
    if (path !== '/metrics') return fail(404, 'not_found', `no route ${request.method ?? ''} ${path ?? ''}: this listener serves GET /metrics only`);
    if (request.method !== 'GET' && request.method !== 'HEAD') return fail(405, 'method_not_allowed', `${request.method ?? ''} is not allowed on /metrics; use GET`);
    metrics.registry.metrics().then(
      (text) => response.writeHead(200, { 'Content-Type': metrics.registry.contentType, 'X-Content-Type-Options': 'nosniff' }).end(request.method === 'HEAD' ? undefined : text),
      () => fail(500, 'internal', 'internal error'),
    );
  });
  server.requestTimeout = 10_000;
  server.headersTimeout = 5_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  return {
    url: `http://${address.includes(':') ? `[${address}]` : address}:${port}`,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
