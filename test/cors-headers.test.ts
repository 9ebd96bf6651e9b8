import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const ORIGIN = 'http://127.0.0.1:9';

describe('CORS headers', () => {
  let open: TestServer;
  let restricted: TestServer;
  beforeAll(async () => {
    open = await startTestServer();
    restricted = await startTestServer({ ANOLE_CORS_ORIGINS: 'https://shop.example, http://localhost:3000' });
  });
  afterAll(async () => {
    await open.stop();
    await restricted.stop();
  });

  it('answers the preflight of the SDK requests', async () => {
    for (const path of ['/visit/events?siteCode=c1', '/map/maps?siteCode=c1', '/visit/forget?siteCode=c1', '/v3/c1']) {
      const res = await fetch(`${open.url}${path}`, {
        method: 'OPTIONS',
        headers: { Origin: ORIGIN, 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'content-type,x-kameleoon-sdk-type' },
      });
      expect(res.status).toBe(204);
      expect(res.headers.get('access-control-allow-origin')).toBe('*');
      expect(res.headers.get('access-control-allow-methods')).toContain('POST');
      const allowed = (res.headers.get('access-control-allow-headers') ?? '').toLowerCase();
      for (const h of ['content-type', 'x-kameleoon-sdk-type', 'x-kameleoon-sdk-version', 'authorization', 'if-modified-since']) expect(allowed).toContain(h);
    }
  });

  it('sends the headers on 200, 204, 4xx, 404 and 405 answers', async () => {
    const answers = [
      await fetch(`${open.url}/map/map?siteCode=c1&key=k`, { headers: { Origin: ORIGIN } }),
      await fetch(`${open.url}/visit/events?siteCode=c1`, { method: 'POST', headers: { Origin: ORIGIN, 'Content-Type': '*/*' }, body: `eventType=page&href=x&nonce=00000000000000c1&visitorCode=v` }),
      await fetch(`${open.url}/visit/visitor?siteCode=c1`, { headers: { Origin: ORIGIN } }),
      await fetch(`${open.url}/map/maps?siteCode=c1`, { method: 'POST', headers: { Origin: ORIGIN }, body: 'x'.repeat(1024 * 1024 + 1) }),
      await fetch(`${open.url}/nowhere`, { headers: { Origin: ORIGIN } }),
      await fetch(`${open.url}/map/map?siteCode=c1&key=k`, { method: 'POST', headers: { Origin: ORIGIN } }),
    ];
    expect(answers.map((r) => r.status)).toEqual([200, 204, 400, 413, 404, 405]);
    for (const res of answers) expect(res.headers.get('access-control-allow-origin')).toBe('*');
  });

  it('allows only the configured origins when ANOLE_CORS_ORIGINS lists them', async () => {
    const allowed = await fetch(`${restricted.url}/map/map?siteCode=c1&key=k`, { headers: { Origin: 'http://localhost:3000' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('http://localhost:3000');
    expect(allowed.headers.get('vary')).toMatch(/Origin/i);
    const refused = await fetch(`${restricted.url}/map/map?siteCode=c1&key=k`, { headers: { Origin: 'https://evil.example' } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('refuses a malformed ANOLE_CORS_ORIGINS at start-up', async () => {
    expect(() => loadConfig({ ANOLE_CORS_ORIGINS: 'shop.example/path' })).toThrow(/ANOLE_CORS_ORIGINS/);
    expect(loadConfig({}).corsOrigins).toBe('*');
  });
});
