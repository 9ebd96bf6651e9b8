import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../src/core/limits.ts';
import { DEMO, postDemoExperiment } from './helpers/demo-experiment.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const DAY = 86_400_000;

describe('the reads behind the dashboard', () => {
  let server: TestServer;
  const api = async (path: string, key: string | null = server.adminKey) => {
    const response = await fetch(`${server.url}${path}`, { headers: key ? { Authorization: `Bearer ${key}` } : {} });
    return { status: response.status, body: (await response.json()) as any };
  };
  const post = async (query: string, body: string) => {
    const response = await fetch(`${server.url}/visit/events?${query}`, { method: 'POST', body });
    expect(response.status).toBe(204);
  };

  beforeAll(async () => {
    server = await startTestServer();
    await postDemoExperiment(server.url, server.adminKey, { persons: 300, days: 5 });
    await server.settle();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('needs the key, like every /api route', async () => {
    for (const path of ['/api/sites', `/api/sites/${DEMO.site}/overview`, `/api/sites/${DEMO.site}/events`, `/api/sites/${DEMO.site}/visitor?visitorCode=demo-1`]) {
      const { status, body } = await api(path, null);
      expect(status, path).toBe(401);
      expect(body.code).toBe('unauthorized');
    }
  });

  it('lists the sites with their settings', async () => {
    await post('siteCode=another-site&visitorCode=x', 'eventType=activity&nonce=00000000000000aa');
    await server.settle();
    const { body } = await api('/api/sites');
    expect(body.sites.map((s: any) => s.siteCode)).toEqual(['another-site', DEMO.site]);
    expect(body.sites[0].settings).toMatchObject({ visitTimeoutMs: 1_800_000, attributionWindowMs: 7 * DAY });
    expect(body.truncated).toBe(false);
    expect((await api('/api/sites?limit=1')).body).toMatchObject({ sites: [{ siteCode: 'another-site' }], truncated: true });
    expect((await api('/api/sites?limit=999999')).status).toBe(400);
  });

  it('lists only its own site to a site key, and every site to a read key', async () => {
    const issue = async (spec: object) => {
      const response = await fetch(`${server.url}/api/keys`, { method: 'POST', headers: { Authorization: `Bearer ${server.adminKey}` }, body: JSON.stringify(spec) });
      expect(response.status).toBe(201);
      return ((await response.json()) as { key: string }).key;
    };
    const siteKey = await issue({ role: 'site', siteCode: DEMO.site, label: 'list own' });
    const readKey = await issue({ role: 'read', label: 'list all' });
    const own = await api('/api/sites', siteKey);
    expect(own.status).toBe(200);
    expect(own.body).toEqual({ sites: [{ siteCode: DEMO.site, settings: expect.any(Object) }], truncated: false });
    expect((await api('/api/sites', readKey)).body.sites.length).toBeGreaterThan(1);
    // The site key still reads nothing of another site.
    expect((await api('/api/sites/another-site/overview', siteKey)).status).toBe(403);
  });

  it('summarises each experiment from the same aggregates as the results', async () => {
    const { status, body } = await api(`/api/sites/${DEMO.site}/overview`);
    expect(status).toBe(200);
    const results = (await api(`/api/sites/${DEMO.site}/experiments/${DEMO.experimentId}/results`)).body;
    const row = body.experiments.find((e: any) => e.id === DEMO.experimentId);
    expect(row).toMatchObject({ name: 'Checkout button', status: 'running', units: 300, multipleVariationPersons: 0, excludedOutlierVisits: 0 });
    expect(row.variations).toEqual(DEMO.variations.map((v) => ({ ...v, units: results.units[v.id] })));
    expect(row.srm).toEqual({ pValue: results.health.srm.pValue, mismatch: false });
    expect(row.daysRunning).toBeGreaterThanOrEqual(4);
    expect(row.daysRunning).toBeLessThanOrEqual(5);
    expect(row.firstUnitDay).toBe(results.goals[0].series[0].day);
    // The latest exposure event of the demo (each exposure is its person's second event).
    expect(row.lastExposureAt).toBeGreaterThan(Date.now() - 5 * DAY);
    expect(row.lastExposureAt).toBeLessThanOrEqual(Date.now());
    expect(body.lastEventReceivedAt).toBeGreaterThan(Date.now() - 60_000);
    expect(body).toMatchObject({ experimentCount: 1, truncated: false, pendingRecomputations: 0 });
    expect((await api('/api/sites/no-such-site/overview')).body.code).toBe('unknown_site');
  });

  it('pages the experiments list, in id order, and refuses a malformed page', async () => {
    const put = async (id: number) => {
      const response = await fetch(`${server.url}/api/sites/pages-site/experiments/${id}`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${server.adminKey}` },
        body: JSON.stringify({ name: `Experiment ${id}`, variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }], referenceVariationId: 1 }),
      });
      expect(response.status, await response.text()).toBeLessThan(300);
    };
    await fetch(`${server.url}/visit/events?siteCode=pages-site&visitorCode=x`, { method: 'POST', body: 'eventType=activity&nonce=00000000000000ab' });
    for (const id of [30, 10, 20]) await put(id);
    const first = (await api('/api/sites/pages-site/overview?limit=2')).body;
    expect(first).toMatchObject({ experimentCount: 3, offset: 0, truncated: true });
    expect(first.experiments.map((e: any) => e.id)).toEqual([10, 20]);
    const second = (await api('/api/sites/pages-site/overview?limit=2&offset=2')).body;
    expect(second).toMatchObject({ experimentCount: 3, offset: 2, truncated: false });
    expect(second.experiments.map((e: any) => e.id)).toEqual([30]);
    expect((await api('/api/sites/pages-site/overview?offset=9')).body).toMatchObject({ experimentCount: 3, truncated: false, experiments: [] });
    // A larger limit is clamped to the documented most; a malformed one is refused.
    expect((await api('/api/sites/pages-site/overview?limit=9999')).body.experiments.length).toBe(3);
    for (const bad of ['offset=-1', 'offset=1e3', 'limit=x', `offset=${'9'.repeat(10)}`]) {
      const { status, body } = await api(`/api/sites/pages-site/overview?${bad}`);
      expect(status, bad).toBe(400);
      expect(body.code).toBe('invalid_query');
    }
  });

  it('gives the series a rate interval and, against the reference, the improvement and its interval', async () => {
    const results = (await api(`/api/sites/${DEMO.site}/experiments/${DEMO.experimentId}/results`)).body;
    const last = results.goals[0].series.at(-1);
    const final = results.goals[0].variations;
    expect(last.variations[1]).toMatchObject({ units: final[0].units, relativeImprovement: null, relativeInterval: null });
    expect(last.variations[1].conversionRateInterval.value.lower).toBeLessThan(final[0].conversionRate);
    // The last cumulative day is the whole experiment: the same comparison as the table's.
    expect(last.variations[2].relativeImprovement).toEqual(final[1].comparison.conversionRate.frequentist.relativeImprovement);
    expect(last.variations[2].relativeInterval).toEqual(final[1].comparison.conversionRate.frequentist.relativeInterval);
  });

  it('inspects a visitor: visits with every event, and why each conversion counted or not', async () => {
    const now = Date.now();
    const exposure = (await api(`/api/sites/${DEMO.site}/visitor?visitorCode=demo-4`)).body.experiments[0].firstExposure;
    await post(`siteCode=${DEMO.site}&visitorCode=demo-4`, [
      `eventType=conversion&goalId=${DEMO.goals.purchase}&revenue=23.5&nonce=a2bb4d22083348ef&time=${Math.min(now, exposure + DAY)}`,
      `eventType=conversion&goalId=${DEMO.goals.purchase}&revenue=5&nonce=a2bb4d22083348f0&time=${exposure - 2 * DAY}`,
    ].join('\n'));
    const { status, body } = await api(`/api/sites/${DEMO.site}/visitor?visitorCode=demo-4`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ person: 'v:demo-4', visitorCodes: ['demo-4'], truncated: false });
    const offline = body.experiments[0].conversions.find((c: any) => c.nonce === 'a2bb4d22083348ef');
    expect(offline).toMatchObject({ counted: true, reason: 'in_window', revenue: 23.5, visitorCode: 'demo-4' });
    expect(offline.explanation).toMatch(/^counted/);
    expect(body.experiments[0].conversions.find((c: any) => c.nonce === 'a2bb4d22083348f0')).toMatchObject({ counted: false, reason: 'before_exposure' });
    const events = body.visits.flatMap((v: any) => v.events);
    expect(events.find((e: any) => e.nonce === 'a2bb4d22083348ef')).toMatchObject({ type: 'conversion', identity: { kind: 'visitorCode', value: 'demo-4' } });
    expect(body.visitCount).toBe(body.visits.length);
    expect(body.visits[0].timeStarted).toBeGreaterThan(body.visits.at(-1).timeStarted);

    const unknown = await api(`/api/sites/${DEMO.site}/visitor?mappingValue=nobody`);
    expect(unknown.body).toMatchObject({ visitCount: 0, visits: [], experiments: [] });
    expect((await api(`/api/sites/${DEMO.site}/visitor`)).status).toBe(400);
    expect((await api(`/api/sites/${DEMO.site}/visitor?visitorCode=${'x'.repeat(LIMITS.identityLength + 1)}`)).status).toBe(400);
  });

  it('tails the latest events, newest first, filtered by type and visitor, and from a time on', async () => {
    const before = Date.now();
    await post(`siteCode=${DEMO.site}&visitorCode=tail-visitor`, 'eventType=activity&nonce=00000000000000b1\neventType=page&href=https%3A%2F%2Fx.example%2F&nonce=00000000000000b2');
    const all = (await api(`/api/sites/${DEMO.site}/events?limit=5`)).body;
    expect(all.events).toHaveLength(5);
    expect(all.events[0].receivedAt).toBeGreaterThanOrEqual(all.events[4].receivedAt);
    expect(all.now).toBeGreaterThanOrEqual(before);
    const mine = (await api(`/api/sites/${DEMO.site}/events?visitor=tail-visitor`)).body.events;
    expect(mine.map((e: any) => e.nonce).sort()).toEqual(['00000000000000b1', '00000000000000b2']);
    expect((await api(`/api/sites/${DEMO.site}/events?visitor=tail-visitor&type=page`)).body.events).toMatchObject([{ type: 'page', data: { href: 'https://x.example/' } }]);
    expect((await api(`/api/sites/${DEMO.site}/events?since=${Date.now() + 60_000}`)).body.events).toEqual([]);
    // The limit is clamped; hostile values are refused with the error shape.
    expect((await api(`/api/sites/${DEMO.site}/events?limit=9999`)).body.events.length).toBeLessThanOrEqual(LIMITS.latestEventsPerRead);
    for (const bad of ['limit=-1', 'limit=abc', 'since=1e9', 'type=nonsense', `visitor=${'v'.repeat(300)}`, 'limit=12345']) {
      const { status, body } = await api(`/api/sites/${DEMO.site}/events?${bad}`);
      expect(status, bad).toBe(400);
      expect(body.code, bad).toBe('invalid_query');
    }
  });
});
