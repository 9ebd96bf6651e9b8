import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createKeyring } from '../src/access/api-keys.ts';
import { DEFAULT_RATE_LIMITS } from '../src/access/rate-budgets.ts';
import { loadConfig } from '../src/config.ts';
import { buildApp, type AnoleApp } from '../src/http/app.ts';
import { createGroupCommitter } from '../src/ingest/group-commit.ts';
import { createSiteDirectory } from '../src/sites/site-directory.ts';
import type { Storage } from '../src/storage/port.ts';
import { openSqliteStorage } from '../src/storage/sqlite/sqlite-storage.ts';
import { makeTempDir } from './helpers/temp-dir.ts';

const SECRET = 'rate-limit-test-secret-0123456789abcdef';
let n = 0;
const line = () => `eventType=page&href=x&nonce=${(++n).toString(16).padStart(16, '0')}&visitorCode=v`;

describe('rate limits', () => {
  const temp = makeTempDir();
  let storage: Storage;
  let anole: AnoleApp;
  let url: string;
  let now = Date.UTC(2026, 0, 10, 12);
  let admin: string;
  const limits = { ...DEFAULT_RATE_LIMITS, 'address.ingest': 5, 'site.ingest': 8, 'key.ingest': 12, 'key.api': 1_000, 'auth.failures': 3, 'address.newSites': 3 };

  const post = (site: string, key?: string) =>
    fetch(`${url}/visit/events?siteCode=${site}`, { method: 'POST', headers: key ? { Authorization: `Bearer ${key}` } : {}, body: line() });
  const statuses = async (count: number, send: () => Promise<Response>) => {
    const out: number[] = [];
    for (let i = 0; i < count; i++) out.push((await send()).status);
    return out;
  };

  beforeAll(async () => {
    storage = openSqliteStorage({ file: `${temp.dir}/anole.db`, cacheMb: 4 });
    const sites = createSiteDirectory(storage, { autoCreate: true, cacheMs: 0 });
    const committer = createGroupCommitter(storage, { maxEvents: 1000, lanes: 1 });
    const keyring = createKeyring(storage, { secret: SECRET, cacheMs: 0, now: () => now, onError: () => undefined });
    admin = (await keyring.issue({ role: 'admin', siteId: null, label: 'test' })).key;
    // A clock the test moves: windows end when it says, not after a minute of waiting.
    anole = await buildApp({ storage, sites, committer, keyring, now: () => now }, { bodyLimitBytes: 1 << 20, rateLimits: limits });
    await anole.app.listen({ host: '127.0.0.1', port: 0 });
    url = `http://127.0.0.1:${(anole.app.server.address() as AddressInfo).port}`;
    for (const site of ['s1', 's2', 's3']) await post(site, admin);
  });
  afterAll(async () => {
    await anole.app.close();
    await storage.close();
    temp.remove();
  });

  it('answers 429 with Retry-After past an address budget, counts it in /metrics, and recovers when the window ends', async () => {
    const first = await statuses(7, () => post('s1'));
    expect(first).toEqual([204, 204, 204, 204, 204, 429, 429]);
    const refused = await post('s1');
    expect(refused.status).toBe(429);
    expect(Number(refused.headers.get('retry-after'))).toBeGreaterThanOrEqual(59);
    expect(await refused.json()).toMatchObject({ code: 'rate_limited', message: expect.stringContaining('address.ingest') });
    const metrics = await (await fetch(`${url}/metrics`, { headers: { Authorization: `Bearer ${admin}` } })).text();
    expect(metrics).toMatch(/anole_rate_limited_total\{limit="address.ingest"\} 3/);
    now += 60_000;
    expect((await post('s1')).status).toBe(204);
    now += 60_000;
  });

  it('gives requests with a valid key their own, higher budget', async () => {
    const keyed = await statuses(14, () => post('s2', admin));
    expect(keyed.filter((s) => s === 204)).toHaveLength(12);
    expect(keyed.slice(12)).toEqual([429, 429]);
    // Anonymous requests from the same address still have theirs.
    expect((await post('s2')).status).toBe(204);
    now += 60_000;
  });

  it('takes a per-site setting over the server default', async () => {
    await fetch(`${url}/api/sites/s3`, { method: 'PATCH', headers: { Authorization: `Bearer ${admin}` }, body: JSON.stringify({ ingestRequestsPerMinute: 2 }) });
    expect(await statuses(3, () => post('s3'))).toEqual([204, 204, 429]);
    const body = (await (await post('s3')).json()) as { message: string };
    expect(body.message).toContain('site.ingest');
    now += 60_000;
  });

  it('is tightest on failed authentication: after 3 failures even the right key waits', async () => {
    expect(await statuses(3, () => post('s1', 'anole_guess-guess-guess-guess-guess0'))).toEqual([401, 401, 401]);
    const blocked = await post('s1', admin);
    expect(blocked.status).toBe(429);
    expect(((await blocked.json()) as { message: string }).message).toContain('auth.failures');
    // Requests without a key are not authentication attempts.
    expect((await post('s1')).status).toBe(204);
    now += 60_000;
    expect((await post('s1', admin)).status).toBe(204);
    now += 60_000;
  });

  it('limits the sites one address may create per hour', async () => {
    expect(await statuses(4, () => post(`fresh${n}`))).toEqual([204, 204, 204, 429]);
    now += 30 * 60_000;
    expect((await post(`fresh${n}`)).status).toBe(429);
    now += 30 * 60_000;
    expect((await post(`fresh${n}`)).status).toBe(204);
    // Keyed requests create sites freely.
    expect(await statuses(4, () => post(`keyed${n}`, admin))).toEqual([204, 204, 204, 204]);
  });

  it('has defaults no normal client meets, tightest on failed authentication', () => {
    const config = loadConfig({});
    expect(config.rateLimits).toEqual(DEFAULT_RATE_LIMITS);
    const perMinute = Object.entries(DEFAULT_RATE_LIMITS).filter(([name]) => name !== 'address.newSites');
    const tightest = perMinute.reduce((a, b) => (b[1] < a[1] ? b : a));
    expect(tightest[0]).toBe('auth.failures');
    // A bulk import or benchmark from one address at 2,000 requests/s (50k events/s in 25-event requests) stays under.
    expect(DEFAULT_RATE_LIMITS['address.ingest'] / 60).toBeGreaterThanOrEqual(2_000);
    expect(loadConfig({ ANOLE_RATE_LIMITS: 'off' }).rateLimits).toBeNull();
    expect(loadConfig({ ANOLE_RATE_LIMITS: 'address.ingest=10, auth.failures=2' }).rateLimits).toMatchObject({ 'address.ingest': 10, 'auth.failures': 2, 'key.ingest': DEFAULT_RATE_LIMITS['key.ingest'] });
    expect(() => loadConfig({ ANOLE_RATE_LIMITS: 'address.ingst=10' })).toThrow(/ANOLE_RATE_LIMITS/);
    expect(() => loadConfig({ ANOLE_RATE_LIMITS: 'address.ingest=0' })).toThrow(/ANOLE_RATE_LIMITS/);
  });
});
