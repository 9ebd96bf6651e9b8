import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadConfig } from '../src/config.ts';
import { startServer, type RunningServer } from '../src/main.ts';
import { createTestDatabase, testPostgres, type TestDatabase } from './helpers/postgres-database.ts';
import { makeTempDir } from './helpers/temp-dir.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

interface CreatedKey {
  id: number;
  key: string;
  role: string;
  siteCode: string | null;
  label: string;
  createdAt: string;
}

const EVENT = (n: number) => `eventType=page&href=x&nonce=${n.toString(16).padStart(16, '0')}&visitorCode=v1`;

async function api(url: string, key: string | null, method: string, path: string, body?: unknown): Promise<{ status: number; json: any; headers: Headers }> {
  const headers: Record<string, string> = key === null ? {} : { Authorization: `Bearer ${key}` };
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null, headers: res.headers };
}

describe('API keys over HTTP', () => {
  let server: TestServer;
  const admin = () => server.adminKey;
  const create = async (body: object) => {
    const r = await api(server.url, admin(), 'POST', '/api/keys', body);
    expect(r.status, JSON.stringify(r.json)).toBe(201);
    return r.json as CreatedKey;
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('creates a key once, shown only in the answer, and lists keys without secrets', async () => {
    const created = await create({ role: 'read', label: 'BI tool' });
    expect(created).toMatchObject({ role: 'read', siteCode: null, label: 'BI tool', key: expect.stringMatching(/^anole_[A-Za-z0-9_-]{32}$/) });
    expect(new Date(created.createdAt).toISOString()).toBe(created.createdAt);
    const site = await create({ role: 'site', siteCode: 'shop1', label: 'CRM back-end' });
    expect(site).toMatchObject({ role: 'site', siteCode: 'shop1' });
    const listed = await api(server.url, admin(), 'GET', '/api/keys');
    expect(listed.status).toBe(200);
    const text = JSON.stringify(listed.json);
    expect(text).not.toContain(created.key);
    expect(text).not.toContain(site.key);
    expect(listed.json.keys).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ id: created.id, role: 'read', label: 'BI tool', revokedAt: null, lastUsedAt: null }),
        expect.objectContaining({ id: site.id, role: 'site', siteCode: 'shop1', origin: 'api' }),
        expect.objectContaining({ role: 'admin', origin: 'configured', label: 'ANOLE_ADMIN_KEY' }),
      ]),
    );
    for (const key of listed.json.keys) expect(Object.keys(key).sort()).toEqual(['createdAt', 'id', 'label', 'lastUsedAt', 'origin', 'revokedAt', 'role', 'siteCode']);
  });

  it('refuses bodies that do not make a key, with the reason', async () => {
    for (const body of [
      { role: 'site', label: 'no site' },
      { role: 'read', siteCode: 'shop1', label: 'read keys are not bound' },
      { role: 'owner', label: 'x' },
      { role: 'read' },
      { role: 'read', label: '' },
      { role: 'read', label: 'x'.repeat(201) },
      { role: 'read', label: 'x', extra: true },
      { role: 'site', siteCode: 'bad code!', label: 'x' },
    ]) {
      const r = await api(server.url, admin(), 'POST', '/api/keys', body);
      expect(r.status, JSON.stringify(body)).toBe(400);
      expect(r.json.code).toMatch(/^invalid_(body|query)$/);
    }
    const notJson = await fetch(`${server.url}/api/keys`, { method: 'POST', headers: { Authorization: `Bearer ${admin()}` }, body: '{' });
    expect(notJson.status).toBe(400);
  });

  it('lets only admin keys manage keys', async () => {
    const read = await create({ role: 'read', label: 'viewer' });
    const site = await create({ role: 'site', siteCode: 'shop2', label: 'back-end' });
    for (const key of [read.key, site.key]) {
      expect((await api(server.url, key, 'GET', '/api/keys')).status).toBe(403);
      expect((await api(server.url, key, 'POST', '/api/keys', { role: 'admin', label: 'escalate' })).status).toBe(403);
      expect((await api(server.url, key, 'DELETE', `/api/keys/${read.id}`)).status).toBe(403);
    }
    expect((await api(server.url, null, 'GET', '/api/keys')).status).toBe(401);
  });

  it('gives each role what it is for on private sites', async () => {
    await api(server.url, admin(), 'PATCH', '/api/sites/priv1', { privateIngest: true, privateReads: true });
    await api(server.url, admin(), 'PATCH', '/api/sites/priv2', { privateIngest: true, privateReads: true });
    const read = await create({ role: 'read', label: 'viewer' });
    const site = await create({ role: 'site', siteCode: 'priv1', label: 'back-end' });
    const post = (siteCode: string, key: string, n: number) =>
      fetch(`${server.url}/visit/events?siteCode=${siteCode}`, { method: 'POST', headers: { Authorization: `Bearer ${key}` }, body: EVENT(n) });
    const visitor = (siteCode: string, key: string) =>
      fetch(`${server.url}/visit/visitor?siteCode=${siteCode}&visitorCode=v1&currentVisit=true&all=true`, { headers: { Authorization: `Bearer ${key}` } });
    expect((await post('priv1', site.key, 1)).status).toBe(204);
    expect((await post('priv2', site.key, 2)).status).toBe(403);
    expect((await post('priv1', read.key, 3)).status).toBe(403);
    expect((await visitor('priv1', site.key)).status).toBe(200);
    expect((await visitor('priv1', read.key)).status).toBe(200);
    expect((await visitor('priv2', site.key)).status).toBe(403);
    const forget = await fetch(`${server.url}/visit/forget?siteCode=priv1`, { method: 'POST', headers: { Authorization: `Bearer ${site.key}` }, body: 'v1' });
    expect(forget.status).toBe(204);
    // A site key reads its own site's registry and results, not another's; it changes neither.
    expect((await api(server.url, site.key, 'GET', '/api/sites/priv1/experiments')).status).toBe(200);
    expect((await api(server.url, site.key, 'GET', '/api/sites/priv2/experiments')).status).toBe(403);
    expect((await api(server.url, site.key, 'PATCH', '/api/sites/priv1', { privateReads: false })).status).toBe(403);
    expect((await api(server.url, read.key, 'GET', '/api/sites/priv2/experiments')).status).toBe(200);
  });

  it('revokes a key at once on this node, idempotently, and never the last admin key', async () => {
    const read = await create({ role: 'read', label: 'to revoke' });
    expect((await api(server.url, read.key, 'GET', '/api/sites/shop1/experiments')).status).not.toBe(401);
    expect((await api(server.url, admin(), 'DELETE', `/api/keys/${read.id}`)).status).toBe(204);
    const refused = await api(server.url, read.key, 'GET', '/api/sites/shop1/experiments');
    expect(refused.status).toBe(401);
    expect(refused.json.message).toMatch(/revoked at/);
    expect((await api(server.url, admin(), 'DELETE', `/api/keys/${read.id}`)).status).toBe(204);
    expect((await api(server.url, admin(), 'DELETE', '/api/keys/999999')).json.code).toBe('not_found');

    const keys = (await api(server.url, admin(), 'GET', '/api/keys')).json.keys as { id: number; role: string; revokedAt: string | null }[];
    const configured = keys.find((k) => k.role === 'admin' && k.revokedAt === null)!;
    const last = await api(server.url, admin(), 'DELETE', `/api/keys/${configured.id}`);
    expect(last.status).toBe(409);
    expect(last.json.code).toBe('last_admin_key');
    // With a second admin key, the configured one can go.
    const second = await create({ role: 'admin', label: 'ops' });
    expect((await api(server.url, second.key, 'DELETE', `/api/keys/${configured.id}`)).status).toBe(204);
    expect((await api(server.url, admin(), 'GET', '/api/keys')).status).toBe(401);
    server.adminKey = second.key;
  });
});

const pg = testPostgres();

describe.skipIf(pg.skip !== null)(`API key revocation across nodes${pg.skip ? ` (skipped: ${pg.skip})` : ''}`, () => {
  const CACHE_MS = 500;
  let database: TestDatabase;
  const nodes: RunningServer[] = [];
  const temps: { remove(): void }[] = [];
  const ADMIN = 'revocation-test-admin-key-0123456789';

  beforeAll(async () => {
    database = await createTestDatabase(pg.adminUrl!);
    for (let i = 0; i < 2; i++) {
      const temp = makeTempDir();
      temps.push(temp);
      const config = loadConfig({
        DATABASE_URL: database.url,
        ANOLE_DATA_DIR: temp.dir,
        ANOLE_PORT: '0',
        ANOLE_LOG_LEVEL: 'silent',
        ANOLE_WORKER: 'false',
        ANOLE_PG_POOL_SIZE: '3',
        ANOLE_ADMIN_KEY: ADMIN,
        ANOLE_KEY_SECRET: 'revocation-test-secret-0123456789abcdef',
        ANOLE_KEY_CACHE_MS: String(CACHE_MS),
      });
      nodes.push(await startServer(config));
    }
  });
  afterAll(async () => {
    for (const node of nodes) await node.stop();
    for (const temp of temps) temp.remove();
    await database?.drop();
  });

  it(`is refused by a second node within ANOLE_KEY_CACHE_MS (${CACHE_MS} ms)`, async () => {
    const [a, b] = nodes as [RunningServer, RunningServer];
    const created = (await api(a.url, ADMIN, 'POST', '/api/keys', { role: 'read', label: 'revoked on a' })).json as CreatedKey;
    // Created on a, usable on b at once (no negative cache), and now cached by b.
    expect((await api(b.url, created.key, 'GET', '/api/sites/s1/experiments')).status).not.toBe(401);
    expect((await api(a.url, ADMIN, 'DELETE', `/api/keys/${created.id}`)).status).toBe(204);
    const revokedAt = Date.now();
    let seen = 0;
    while (Date.now() - revokedAt < CACHE_MS * 4) {
      if ((await api(b.url, created.key, 'GET', '/api/sites/s1/experiments')).status === 401) {
        seen = Date.now() - revokedAt;
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    expect(seen).toBeGreaterThan(0);
    // The bound, plus the time of one request on a loaded machine.
    expect(seen).toBeLessThanOrEqual(CACHE_MS + 250);
    expect((await api(a.url, created.key, 'GET', '/api/sites/s1/experiments')).status).toBe(401);
  });

  it('agrees on one configured admin key across nodes', async () => {
    const [a] = nodes as [RunningServer];
    const keys = (await api(a.url, ADMIN, 'GET', '/api/keys')).json.keys as { origin: string; revokedAt: string | null }[];
    expect(keys.filter((k) => k.origin === 'configured' && k.revokedAt === null)).toHaveLength(1);
  });
});
