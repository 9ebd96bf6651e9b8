import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { engineCases } from './helpers/engine-servers.ts';
import type { TestServer } from './helpers/test-server.ts';
import { nonce, postEvents, postForVerdicts, readAll, type IngestReport } from './helpers/visit-api.ts';

const MAP_QUOTA = 4_000;
const REGISTRY_QUOTA = 6;

interface Usage {
  registryEntries: { used: number; quota: number; refused: number };
  mapBytes: { used: number; quota: number };
}

describe.each(engineCases())('site quotas over HTTP ($engine)', ({ skip, start }) => {
  let server: TestServer;
  let n = 0;
  const admin = () => ({ Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' });
  const postMaps = async (site: string, body: unknown) => {
    const res = await fetch(`${server.url}/map/maps?siteCode=${site}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: typeof body === 'string' ? body : JSON.stringify(body) });
    return { status: res.status, body: res.status === 204 ? null : ((await res.json()) as { message: string; code: string }) };
  };
  const getMap = async (site: string, key: string) => (await fetch(`${server.url}/map/map?siteCode=${site}&key=${encodeURIComponent(key)}`)).json();
  const usage = async (site: string) => ((await (await fetch(`${server.url}/api/sites/${site}`, { headers: admin() })).json()) as { usage: Usage }).usage;
  const adminCall = async (method: string, path: string, body: unknown) => {
    const res = await fetch(`${server.url}${path}`, { method, headers: admin(), body: JSON.stringify(body) });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const exposure = (site: string, visitor: string, experiment: number, variation: number) =>
    `eventType=experiment&id=${experiment}&variationId=${variation}&nonce=${nonce(++n)}&visitorCode=${visitor}`;

  beforeAll(async () => {
    if (skip) return;
    server = await start({ ANOLE_MAP_BYTES_PER_SITE: String(MAP_QUOTA), ANOLE_REGISTRY_ENTRIES_PER_SITE: String(REGISTRY_QUOTA), ANOLE_RATE_LIMITS: 'off' });
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(skip)('refuses the map write that would cross the site quota with 409 quota_exceeded, writing nothing', async () => {
    const site = 'quota-maps';
    const value = 'x'.repeat(900);
    for (let i = 0; i < 4; i++) expect((await postMaps(site, { [`k${i}`]: { v: value } })).status).toBe(204);
    const used = (await usage(site)).mapBytes.used;
    expect(used).toBe(4 * Buffer.byteLength(`k0${JSON.stringify({ v: value })}`));
    // One write holding a fitting key and an overflowing one: neither lands.
    const refused = await postMaps(site, { small: { a: 1 }, big: { v: value } });
    expect(refused.status).toBe(409);
    expect(refused.body).toEqual({ code: 'quota_exceeded', message: expect.stringMatching(/maps of site quota-maps hold \d+ bytes .* map quota of 4000 bytes.*nothing was written.*maxMapBytes/) });
    expect(await getMap(site, 'small')).toEqual({});
    expect((await usage(site)).mapBytes).toEqual({ used, quota: MAP_QUOTA });
    // Deleting frees room; a per-site setting raises the quota.
    expect((await postMaps(site, { k0: {} })).status).toBe(204);
    expect((await postMaps(site, { small: { a: 1 } })).status).toBe(204);
    expect((await postMaps(site, { big: { v: value }, big2: { v: value } })).status).toBe(409);
    expect((await adminCall('PATCH', `/api/sites/${site}`, { maxMapBytes: 10_000 })).status).toBe(200);
    expect((await postMaps(site, { big: { v: value }, big2: { v: value } })).status).toBe(204);
    expect((await usage(site)).mapBytes.quota).toBe(10_000);
    // Forget frees the bytes of the keys it deletes.
    const before = (await usage(site)).mapBytes.used;
    const forget = await fetch(`${server.url}/visit/forget?siteCode=${site}`, { method: 'POST', headers: { Authorization: `Bearer ${server.adminKey}` }, body: 'big\nbig2' });
    expect(forget.status).toBe(204);
    expect((await usage(site)).mapBytes.used).toBe(before - 2 * Buffer.byteLength('big' + JSON.stringify({ v: value })) - 1);
  });

  it.skipIf(skip)('holds against a hostile flood: many concurrent writers, multi-byte keys, one huge body', async () => {
    const site = 'quota-flood';
    // Multi-byte characters count as the bytes they take: 100 keys of "é" × 10 are 20 bytes each.
    const writes = Array.from({ length: 60 }, (_, i) => postMaps(site, { [`${'é'.repeat(10)}${i}`]: { v: 'ü'.repeat(30) } }));
    const statuses = (await Promise.all(writes)).map((r) => r.status);
    expect(statuses.every((s) => s === 204 || s === 409)).toBe(true);
    const { used, quota } = (await usage(site)).mapBytes;
    const perKey = (i: number) => Buffer.byteLength(`${'é'.repeat(10)}${i}`) + Buffer.byteLength(JSON.stringify({ v: 'ü'.repeat(30) }));
    const stored = Array.from({ length: 60 }, (_, i) => i).filter((_, i) => statuses[i] === 204);
    expect(used).toBe(stored.reduce((sum, i) => sum + perKey(i), 0));
    expect(used).toBeLessThanOrEqual(quota);
    expect(statuses.filter((s) => s === 409).length).toBeGreaterThan(0);
    // A body near the map body limit, every key over the quota at once: refused whole.
    const huge = Object.fromEntries(Array.from({ length: 900 }, (_, i) => [`h${i}`, { v: 'y'.repeat(1000) }]));
    expect((await postMaps('quota-huge', huge)).status).toBe(409);
    expect((await usage('quota-huge')).mapBytes.used).toBe(0);
  });

  it.skipIf(skip)('stores every event past the registry quota, leaves its id unregistered, and says so in verdicts and /metrics', async () => {
    const site = 'quota-registry';
    // Experiments 1..5 with one variation each: 10 entries for a quota of 6.
    const lines = [1, 2, 3, 4, 5].map((e) => exposure(site, `v${e}`, e, 10 + e));
    const first = await postForVerdicts(server.url, `siteCode=${site}`, lines.join('\n'));
    expect(first.accepted).toBe(5);
    await server.settle();
    const experiments = (await (await fetch(`${server.url}/api/sites/${site}/experiments`, { headers: admin() })).json()) as { experiments: { id: number; variations: { id: number }[] }[] };
    expect(experiments.experiments.map((e) => [e.id, e.variations.map((v) => v.id)])).toEqual([
      [1, [11]],
      [2, [12]],
      [3, [13]],
    ]);
    expect(await usage(site)).toMatchObject({ registryEntries: { used: 6, quota: 6, refused: 4 } });
    // Every event is stored, the unregistered experiments' too; their results say why they are missing.
    expect(JSON.stringify(await readAll(server.url, site, 'visitorCode=v5'))).toContain('"id":5');
    const missing = await fetch(`${server.url}/api/sites/${site}/experiments/5/results`, { headers: admin() });
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({
      code: 'not_found',
      message: expect.stringMatching(/^experiment 5 is not registered on site quota-registry; the site's registry is full \(6 of 6 entries\).*maxRegistryEntries/),
    });

    // Verdicts (and dry runs) warn about the ids that get no entry; known ids pass quietly.
    const report = await postForVerdicts(server.url, `siteCode=${site}`, [exposure(site, 'v6', 1, 11), exposure(site, 'v7', 9, 90), `eventType=conversion&goalId=4&nonce=${nonce(++n)}&visitorCode=v7`].join('\n'));
    expect(report.accepted).toBe(3);
    expect(report.events[0]!.warnings).toBeUndefined();
    expect(report.events[1]!.warnings).toEqual([{ code: 'registry_full', message: expect.stringMatching(/^experiment 9 is not registered and will not be: the registry of site quota-registry holds 6 of its 6 entries\. The event is stored/) }]);
    expect(report.events[2]!.warnings).toEqual([{ code: 'registry_full', message: expect.stringContaining('goal 4 is not registered') }]);
    const dry = (await postEvents(server.url, `siteCode=${site}&dryRun=true`, exposure(site, 'v8', 9, 91))).json as IngestReport;
    expect(dry.events[0]!.warnings?.[0]?.message).toContain('would be stored');

    const metrics = await (await fetch(`${server.url}/metrics`, { headers: admin() })).text();
    expect(Number(/^anole_registry_refused_registrations (\d+)/m.exec(metrics)?.[1])).toBeGreaterThanOrEqual(4);
  });

  it.skipIf(skip)('refuses admin writes of new ids past the registry quota (409), accepts changes to registered ones, and registers refused ids once raised', async () => {
    const site = 'quota-admin';
    expect((await adminCall('PUT', `/api/sites/${site}/experiments/1`, { variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }] })).status).toBe(200);
    expect((await adminCall('PUT', `/api/sites/${site}/goals/1`, { name: 'Purchase' })).status).toBe(200);
    expect((await adminCall('PATCH', `/api/sites/${site}/goals/2`, { name: 'Sign-up' })).status).toBe(200);
    // 5 of 6 used: an experiment with a variation needs 2.
    const refused = await adminCall('PUT', `/api/sites/${site}/experiments/2`, { variations: [{ id: 1, name: 'A' }] });
    expect(refused).toEqual({
      status: 409,
      body: { code: 'quota_exceeded', message: expect.stringMatching(/registry of site quota-admin holds 5 of its 6 entries .* experiment 2 would add 2; nothing was written.*maxRegistryEntries/) },
    });
    expect((await adminCall('PATCH', `/api/sites/${site}/experiments/2`, { name: 'x' })).status).toBe(200);
    expect((await adminCall('PATCH', `/api/sites/${site}/goals/3`, { name: 'Too many' })).status).toBe(409);
    expect((await adminCall('PATCH', `/api/sites/${site}/experiments/1`, { name: 'Renamed' })).status).toBe(200);

    // Events naming ids past the quota are stored; raising the quota registers them.
    await postForVerdicts(server.url, `siteCode=${site}`, [exposure(site, 'a', 7, 70), exposure(site, 'b', 8, 80)].join('\n'));
    await server.settle();
    expect((await usage(site)).registryEntries).toEqual({ used: 6, quota: 6, refused: 4 });
    const raised = await adminCall('PATCH', `/api/sites/${site}`, { maxRegistryEntries: 100 });
    expect(raised.status).toBe(200);
    expect(raised.body.recomputing).toBeGreaterThan(0);
    await server.settle();
    const ids = ((await (await fetch(`${server.url}/api/sites/${site}/experiments`, { headers: admin() })).json()) as { experiments: { id: number }[] }).experiments.map((e) => e.id);
    expect(ids).toEqual([1, 2, 7, 8]);
    expect((await usage(site)).registryEntries).toMatchObject({ used: 10, quota: 100 });
  });

  it.skipIf(skip)('refuses quota settings out of range', async () => {
    for (const body of [{ maxMapBytes: -1 }, { maxRegistryEntries: 1.5 }, { maxRegistryEntries: '10' }, { maxMapBytes: 2 ** 51 }]) {
      const res = await adminCall('PATCH', '/api/sites/quota-bad', body);
      expect(res.status).toBe(400);
      expect(res.body.code).toBe('invalid_body');
    }
  });
});
