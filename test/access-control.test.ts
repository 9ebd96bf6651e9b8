import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../src/access/api-keys.ts';
import { buildApp } from '../src/http/app.ts';
import { createGroupCommitter } from '../src/ingest/group-commit.ts';
import { createSiteDirectory } from '../src/sites/site-directory.ts';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const EVENT = 'eventType=page&href=x&nonce=00000000000000A1&visitorCode=v1';

describe('route access', () => {
  let server: TestServer;
  const auth = (key = server.adminKey) => ({ Authorization: `Bearer ${key}` });
  const patch = (site: string, settings: object) =>
    fetch(`${server.url}/api/sites/${site}`, { method: 'PATCH', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });

  beforeAll(async () => {
    // Settings changed through this node are seen at once; the cache only delays other nodes.
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses to register a route that does not say who may call it', async () => {
    const temp = makeTempDir();
    const storage = openSqliteStorage({ file: `${temp.dir}/anole.db`, cacheMb: 2, walAutocheckpointPages: 1000 });
    try {
      const sites = createSiteDirectory(storage, { autoCreate: true, cacheMs: 0 });
      const committer = createGroupCommitter(storage, { maxEvents: 100, lanes: 1 });
      const keyring = createKeyring(storage, { secret: 'x'.repeat(32), cacheMs: 0, now: Date.now, onError: () => undefined });
      const { app } = await buildApp({ storage, sites, committer, keyring }, { bodyLimitBytes: 1024 * 1024 });
      expect(() => app.get('/api/undeclared', async () => 'open by mistake')).toThrow(/declares no access/);
      expect(() => app.get('/api/declared', { config: { access: 'admin' } }, async () => 'closed')).not.toThrow();
      await app.close();
    } finally {
      await storage.close();
      temp.remove();
    }
  });

  it('declares the access of every operation in the OpenAPI document', async () => {
    const doc = (await (await fetch(`${server.url}/openapi.json`)).json()) as { paths: Record<string, Record<string, Record<string, unknown>>> };
    const operations = Object.entries(doc.paths).flatMap(([path, item]) => Object.entries(item).map(([method, op]) => ({ path, method, op })));
    expect(operations.length).toBeGreaterThan(10);
    for (const { path, method, op } of operations) {
      expect(op['x-anole-access'], `${method} ${path}`).toMatch(/^(public|ingest|visitor-read|forget|read|site-list|site-write|admin)$/);
    }
  });

  it('closes ingestion, maps and forget of a privateIngest site, and its reads with privateReads', async () => {
    expect((await patch('closed1', { privateIngest: true, privateReads: true })).status).toBe(200);
    const calls = [
      () => ({ url: `/visit/events?siteCode=closed1`, init: { method: 'POST', body: EVENT } }),
      () => ({ url: `/map/maps?siteCode=closed1`, init: { method: 'POST', body: '{"k":{"a":1}}' } }),
      () => ({ url: `/visit/forget?siteCode=closed1`, init: { method: 'POST', body: 'v1' } }),
      () => ({ url: `/visit/visitor?siteCode=closed1&visitorCode=v1`, init: { method: 'GET' } }),
      () => ({ url: `/map/map?siteCode=closed1&key=k`, init: { method: 'GET' } }),
      () => ({ url: `/map/maps?siteCode=closed1&keys=%5B%22k%22%5D`, init: { method: 'GET' } }),
    ];
    for (const call of calls) {
      const { url, init } = call();
      const refused = await fetch(`${server.url}${url}`, init);
      expect(refused.status, url).toBe(401);
      expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="anole"');
      const body = (await refused.json()) as { code: string; message: string };
      expect(body.code).toBe('unauthorized');
      expect(body.message).toContain('closed1 is private');
      // The 401 says where the admin key lives.
      expect(body.message).toContain('ANOLE_ADMIN_KEY');
      expect(body.message).toContain('admin-key');
      const allowed = await fetch(`${server.url}${url}`, { ...init, headers: auth() });
      expect(allowed.status, url).toBeLessThan(300);
    }
  });

  it('keeps an open site open, yet refuses a key that is sent and not known', async () => {
    expect((await fetch(`${server.url}/visit/events?siteCode=open1`, { method: 'POST', body: EVENT })).status).toBe(204);
    for (const [header, error] of [
      ['Bearer not-a-key-of-this-server', 'invalid_token'],
      ['Basic dXNlcjpwYXNz', 'invalid_request'],
      [`Bearer ${'k'.repeat(600)}`, 'invalid_request'],
    ] as const) {
      const res = await fetch(`${server.url}/visit/events?siteCode=open1`, { method: 'POST', headers: { Authorization: header }, body: EVENT });
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toBe(`Bearer realm="anole", error="${error}"`);
      expect(await res.json()).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('POST /api/keys') });
    }
  });

  it('answers CORS preflights of a private site', async () => {
    expect((await patch('closed2', { privateIngest: true })).status).toBe(200);
    const res = await fetch(`${server.url}/visit/events?siteCode=closed2`, {
      method: 'OPTIONS',
      headers: { Origin: 'http://127.0.0.1:9', 'Access-Control-Request-Method': 'POST', 'Access-Control-Request-Headers': 'authorization' },
    });
    expect(res.status).toBe(204);
  });

  it('checks HEAD like GET', async () => {
    expect((await patch('closed3', { privateReads: true })).status).toBe(200);
    expect((await fetch(`${server.url}/visit/visitor?siteCode=closed3&visitorCode=v`, { method: 'HEAD' })).status).toBe(401);
    expect((await fetch(`${server.url}/api/sites/closed3`, { method: 'HEAD' })).status).toBe(401);
  });
});
