import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/main.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const REQUEST_TIMEOUT_MS = 1_500;
const PER_ADDRESS = 40;

/** Opens a raw connection and sends `head`; resolves with everything the server sends until it closes. */
function rawRequest(url: string, head: string): { socket: net.Socket; answer: Promise<{ text: string; closedAfterMs: number }> } {
  const { hostname, port } = new URL(url);
  const socket = net.connect(Number(port), hostname);
  const started = Date.now();
  let text = '';
  socket.on('data', (d: Buffer) => (text += d.toString('latin1')));
  socket.on('connect', () => socket.write(head));
  const answer = new Promise<{ text: string; closedAfterMs: number }>((resolve) => {
    socket.on('close', () => resolve({ text, closedAfterMs: Date.now() - started }));
    socket.on('error', () => undefined);
  });
  return { socket, answer };
}

describe('slow and many connections', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({
      ANOLE_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS),
      ANOLE_HEADERS_TIMEOUT_MS: '1000',
      ANOLE_MAX_CONNECTIONS_PER_ADDRESS: String(PER_ADDRESS),
    });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers 408 to a trickling body within the request timeout, and /health meanwhile', async () => {
    const slow = rawRequest(server.url, 'POST /visit/events?siteCode=slow HTTP/1.1\r\nHost: x\r\nContent-Length: 100000\r\n\r\n');
    const drip = setInterval(() => slow.socket.write('e'), 100);
    try {
      await new Promise((resolve) => setTimeout(resolve, 300));
      const health = await fetch(`${server.url}/health`);
      expect(health.status).toBe(200);
      const { text, closedAfterMs } = await slow.answer;
      expect(text).toMatch(/^HTTP\/1\.1 408 /);
      // Node checks timeouts on an interval (a tenth of the shortest): the bound plus that, plus load.
      expect(closedAfterMs).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
      expect(closedAfterMs).toBeLessThan(REQUEST_TIMEOUT_MS + 1_500);
    } finally {
      clearInterval(drip);
    }
  });

  it('closes connections of one address beyond its cap, and keeps serving once they are gone', async () => {
    const sockets: net.Socket[] = [];
    const closed: Promise<void>[] = [];
    for (let i = 0; i < PER_ADDRESS + 10; i++) {
      const { hostname, port } = new URL(server.url);
      const socket = net.connect(Number(port), hostname);
      socket.on('error', () => undefined);
      closed.push(new Promise((resolve) => socket.on('close', () => resolve())));
      sockets.push(socket);
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
    const refused = sockets.filter((s) => s.destroyed).length;
    expect(refused).toBeGreaterThanOrEqual(10);
    for (const socket of sockets) socket.destroy();
    await Promise.all(closed);
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect((await fetch(`${server.url}/health`)).status).toBe(200);
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    expect(metrics).toMatch(/anole_refused_connections_total\{reason="address"\} [1-9]/);
  });
});

describe('headers, CORS on /api, health and metrics', () => {
  let server: TestServer;
  let apiCors: TestServer;
  let metricsApart: RunningServer;
  let temp: ReturnType<typeof makeTempDir>;
  beforeAll(async () => {
    server = await startTestServer();
    apiCors = await startTestServer({ ANOLE_API_CORS_ORIGINS: 'https://dash.example' });
    temp = makeTempDir();
    metricsApart = await startServer(loadConfig({ ANOLE_DATA_DIR: temp.dir, ANOLE_PORT: '0', ANOLE_LOG_LEVEL: 'silent', ANOLE_WORKER: 'false', ANOLE_METRICS_PORT: '0', ANOLE_ADMIN_KEY: 'metrics-apart-admin-key-0123456789' }));
  });
  afterAll(async () => {
    await server.stop();
    await apiCors.stop();
    await metricsApart.stop();
    temp.remove();
  });

  it('sends nosniff on every answer, and a strict CSP with frame-ancestors none under /dashboard/', async () => {
    for (const path of ['/health', '/visit/visitor?siteCode=s', '/api/keys', '/nowhere']) {
      expect((await fetch(`${server.url}${path}`)).headers.get('x-content-type-options'), path).toBe('nosniff');
    }
    const page = await fetch(`${server.url}/dashboard/`);
    const csp = page.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toContain('unsafe-inline');
    expect(page.headers.get('x-frame-options')).toBe('DENY');
    expect((await fetch(`${server.url}/health`)).headers.get('content-security-policy')).toBeNull();
  });

  it('answers no CORS on /api unless ANOLE_API_CORS_ORIGINS names the origin, and keeps it on the Data API', async () => {
    const preflight = (url: string, path: string, origin: string) =>
      fetch(`${url}${path}`, { method: 'OPTIONS', headers: { Origin: origin, 'Access-Control-Request-Method': 'GET', 'Access-Control-Request-Headers': 'authorization' } });
    const closed = await preflight(server.url, '/api/keys', 'https://dash.example');
    expect(closed.headers.get('access-control-allow-origin')).toBeNull();
    const get = await fetch(`${server.url}/api/keys`, { headers: { Origin: 'https://dash.example' } });
    expect(get.headers.get('access-control-allow-origin')).toBeNull();
    expect((await preflight(server.url, '/visit/visitor?siteCode=s', 'https://dash.example')).headers.get('access-control-allow-origin')).toBe('*');

    const open = await preflight(apiCors.url, '/api/keys', 'https://dash.example');
    expect(open.status).toBe(204);
    expect(open.headers.get('access-control-allow-origin')).toBe('https://dash.example');
    expect(open.headers.get('access-control-allow-methods')).toContain('DELETE');
    expect((await preflight(apiCors.url, '/api/keys', 'https://evil.example')).headers.get('access-control-allow-origin')).toBeNull();
  });

  it('keeps /metrics behind a key on the main port, and serves it without one on ANOLE_METRICS_PORT', async () => {
    expect((await fetch(`${server.url}/metrics`)).status).toBe(401);
    const created = await fetch(`${server.url}/api/keys`, {
      method: 'POST',
      headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
      body: JSON.stringify({ role: 'read', label: 'prometheus' }),
    });
    const { key } = (await created.json()) as { key: string };
    expect((await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${key}` } })).status).toBe(200);

    expect(metricsApart.metricsUrl).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    const scraped = await fetch(`${metricsApart.metricsUrl}/metrics`);
    expect(scraped.status).toBe(200);
    expect(await scraped.text()).toContain('anole_http_request_duration_seconds');
    const other = await fetch(`${metricsApart.metricsUrl}/visit/visitor?siteCode=s&visitorCode=v`);
    expect(other.status).toBe(404);
    expect(await other.json()).toMatchObject({ code: 'not_found' });
    expect((await fetch(`${metricsApart.url}/metrics`)).status).toBe(401);
  });

  it('gives driver details in /health only to admin and read keys', async () => {
    const anonymous = await (await fetch(`${server.url}/health`)).json();
    expect(anonymous).not.toHaveProperty('engine');
    const keyed = await (await fetch(`${server.url}/health`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).json();
    expect(keyed).toMatchObject({ engine: 'sqlite' });
  });
});
