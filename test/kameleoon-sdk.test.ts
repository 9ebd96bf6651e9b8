import {
  ApplicationVersion,
  Browser,
  BrowserType,
  Conversion,
  Cookie,
  CustomData,
  Device,
  DeviceType,
  GeolocationData,
  OperatingSystem,
  OperatingSystemType,
  PageView,
  UniqueIdentifier,
  UserAgent,
} from '@kameleoon/javascript-sdk';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSdkHarness, type SdkHarness } from './helpers/kameleoon-sdk-harness.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const SITE = 'a1b2c3d4e5';
const VA = 'k3v9q2m7x1p8z4w6';
const VB = 'p0q9r8s7t6u5v4w3';
const USER = 'user-42';
const UA = 'Mozilla/5.0 (X11; Linux x86_64) HarnessBot/1.0';

type Fields = Record<string, string>;

/** Lines as the SDK wrote them: the raw `&userAgent=` suffix is cut off, the rest is a query string. */
function parseLine(line: string): Fields {
  const at = line.indexOf('&userAgent=');
  const fields = Object.fromEntries(new URLSearchParams(at === -1 ? line : line.slice(0, at)));
  if (at !== -1) fields.userAgent = line.slice(at + '&userAgent='.length);
  return fields;
}

/** A comparable description of one event's data, from a sent line or from a stored event. */
function describeSent(f: Fields): string | null {
  switch (f.eventType) {
    case 'conversion':
      return `conversion ${f.goalId} ${Number(f.revenue)} ${f.negative} ${f.metadata ?? '{}'}`;
    case 'customData':
      return `customData ${f.index} ${f.valuesCountMap} ${f.mappingIdentifier === 'true'}`;
    case 'page':
      return `page ${f.href} ${f.title ?? ''} ${f.referrersIndices ?? '[]'}`;
    case 'geolocation':
      return `geolocation ${f.country} ${f.region} ${f.city} ${f.postalCode} ${Number(f.latitude)} ${Number(f.longitude)}`;
    case 'experiment':
      return `experiment ${f.id} ${f.variationId}`;
    case 'targetingSegment':
      return `targetingSegment ${f.id}`;
    default:
      return null;
  }
}

type StoredVisit = Record<string, { data: Record<string, unknown> }[] | unknown>;

function describeStored(visit: StoredVisit): string[] {
  const out: string[] = [];
  const list = (key: string) => (visit[key] as { data: Record<string, unknown> }[] | undefined) ?? [];
  for (const { data: d } of list('conversionEvents')) out.push(`conversion ${d.goalId} ${d.revenue} ${d.negative} ${JSON.stringify(d.metadata)}`);
  for (const { data: d } of list('customDataEvents')) out.push(`customData ${d.index} ${JSON.stringify(d.valuesCountMap)} ${d.mappingIdentifier}`);
  for (const { data: d } of list('pageEvents')) out.push(`page ${d.href} ${d.title} ${JSON.stringify(d.referrersIndices)}`);
  for (const { data: d } of list('geolocationEvents')) out.push(`geolocation ${d.country} ${d.region} ${d.city} ${d.postalCode} ${d.latitude} ${d.longitude}`);
  for (const { data: d } of list('experimentEvents')) out.push(`experiment ${d.id} ${d.variationId}`);
  for (const { data: d } of list('targetingSegmentEvents')) out.push(`targetingSegment ${d.id}`);
  return out;
}

describe('the official Kameleoon JavaScript SDK 4.17.1 against Anole', () => {
  let server: TestServer;
  let sdk: SdkHarness;

  beforeAll(async () => {
    server = await startTestServer();
    const maps = {
      [VA]: { favoriteCategory: 'shoes', lifetimeValue: 1234.5, warehouseAudiences: { high_value_customers: 1, newsletter_subscribers: 1 } },
      'crm-7': { warehouseAudiences: { vip: true } },
    };
    const res = await fetch(`${server.url}/map/maps?siteCode=${SITE}`, { method: 'POST', body: JSON.stringify(maps) });
    expect(res.status).toBe(204);
    sdk = await startSdkHarness({ serverUrl: server.url, siteCode: SITE });
  });
  afterAll(async () => {
    await server.stop();
  });

  /** Waits until every tracking POST so far is answered and nothing new was sent for a while. */
  async function settle(): Promise<void> {
    let seen = -1;
    await sdk.waitFor(() => {
      const now = sdk.requests.length;
      const quiet = now === seen;
      seen = now;
      return quiet;
    }, 20_000).catch(() => undefined);
    await new Promise((resolve) => setTimeout(resolve, 400));
  }

  it('tracks several visitors with every data type, conversions and a mapping identifier; the server stores exactly what was sent', async () => {
    const { client } = sdk;
    client.addData(
      VA,
      new CustomData(0, 'gold'),
      new CustomData(5, 'newsletter', 'sms'),
      new CustomData(1, 'premium'),
      new PageView({ urlAddress: 'https://shop.example.com/product/42?ref=mail', title: 'Running shoes', referrers: [1] }),
      new Device(DeviceType.Desktop),
      new Browser(BrowserType.Chrome, 120),
      new OperatingSystem(OperatingSystemType.Linux),
      new GeolocationData({ country: 'France', region: 'Ile-de-France', city: 'Paris', postalCode: '75001', coordinates: [48.86, 2.34] }),
      new UserAgent(UA),
      new Cookie([{ key: 'consent', value: 'yes' }]),
      new ApplicationVersion('1.2.3'),
      new Conversion({ goalId: 2001, revenue: 49.9 }),
    );
    expect(client.getVariation({ visitorCode: VA, featureKey: 'new_checkout' }).key).toMatch(/control|treatment/);
    expect(client.isFeatureFlagActive(VA, 'premium_banner')).toBe(true);
    client.evaluateAudiences(VA);
    client.trackConversion({ visitorCode: VA, goalId: 2002, revenue: 19.99, metadata: [new CustomData(0, 'gold')] });
    client.trackConversion({ visitorCode: VA, goalId: 2003, revenue: 7.5, negative: true });

    client.addData(VB, new CustomData(1, 'free'), new Conversion({ goalId: 2001, revenue: 1, negative: false }));
    client.addData(USER, new UniqueIdentifier(true), new CustomData(0, 'silver'));
    client.flush();
    await settle();

    // Link the anonymous device to the user id, then track for the user id: it goes out as mappingValue.
    client.addData(VA, new CustomData(3, USER));
    client.flush({ visitorCode: VA, instant: true });
    await settle();
    client.addData(USER, new UniqueIdentifier(true));
    client.trackConversion({ visitorCode: USER, goalId: 2001, revenue: 5 });
    client.flush();
    await settle();

    const lines = [...new Set(sdk.trackingBodies().flatMap((b) => b.split('\n')))];
    const sent = lines.map(parseLine);
    expect(sdk.requests.filter((r) => r.requestType === 'tracking').every((r) => r.status === 204)).toBe(true);
    expect(sent.some((f) => f.mappingValue === USER && f.eventType === 'conversion')).toBe(true);
    expect(sent.some((f) => f.mappingIdentifier === 'true' && f.visitorCode === VA)).toBe(true);
    expect(sent.some((f) => f.userAgent === UA)).toBe(true);
    expect(new Set(sent.map((f) => f.eventType))).toEqual(new Set(['experiment', 'conversion', 'customData', 'page', 'staticData', 'geolocation', 'targetingSegment']));

    // Every line sent is stored: replaying them as a dry run finds each one already there.
    const dry = await fetch(`${server.url}/visit/events?siteCode=${SITE}&dryRun=true`, { method: 'POST', body: lines.join('\n') });
    const report = (await dry.json()) as { accepted: number; duplicate: number; rejected: number };
    expect(report).toEqual(expect.objectContaining({ accepted: 0, rejected: 0, duplicate: lines.length }));

    // And what is stored is what was sent, field by field, across all the visitors' visits.
    const stored: string[] = [];
    for (const code of [VA, VB, USER]) {
      const res = await fetch(`${server.url}/visit/visitor?siteCode=${SITE}&visitorCode=${code}&maxNumberPreviousVisits=25&currentVisit=true&all=true`);
      const body = (await res.json()) as { currentVisit?: StoredVisit; previousVisits?: StoredVisit[] };
      for (const visit of [body.currentVisit, ...(body.previousVisits ?? [])]) if (visit) stored.push(...describeStored(visit));
    }
    const expected = sent.map(describeSent).filter((d): d is string => d !== null).map((d) => d.replace(/ (\{.*\}|\[.*\])/g, (m) => ` ${JSON.stringify(JSON.parse(m.slice(1)))}`));
    expect(stored.sort()).toEqual(expected.sort());
    expect(sdk.errors()).toEqual([]);
  });

  it('reads visitor data back with getRemoteVisitorData, every filter, by visitor code and by user id', async () => {
    const all = {
      previousVisitAmount: 25,
      currentVisit: true,
      pageViews: true,
      geolocation: true,
      device: true,
      browser: true,
      operatingSystem: true,
      customData: true,
      conversions: true,
      experiments: true,
      kcs: true,
      visitorCode: true,
      personalization: true,
      cbs: true,
    };
    const data = await sdk.client.getRemoteVisitorData({ visitorCode: VA, shouldAddData: false, filters: all });
    const plain = JSON.parse(JSON.stringify(data)) as Record<string, unknown>[];
    expect(plain).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ browser: 'CHROME', version: 120 }),
        expect.objectContaining({ device: 'DESKTOP' }),
        expect.objectContaining({ operatingSystem: 'LINUX' }),
        expect.objectContaining({ country: 'France', region: 'Ile-de-France', city: 'Paris' }),
        expect.objectContaining({ _index: 3, isIdentifier: true, value: [USER] }),
        expect.objectContaining({ _index: 5, value: ['newsletter', 'sms'] }),
        expect.objectContaining({ urlAddress: 'https://shop.example.com/product/42?ref=mail', title: 'Running shoes', referrers: [1] }),
      ]),
    );
    const conversions = data.filter((d) => 'goalId' in (d as object)) as unknown as { goalId: number; revenue: number; negative: boolean }[];
    expect(conversions.map((c) => c.goalId).sort()).toEqual([2001, 2001, 2002, 2003]);
    expect(conversions.find((c) => c.goalId === 2003)).toMatchObject({ revenue: 7.5, negative: true });

    const defaults = await sdk.client.getRemoteVisitorData({ visitorCode: VB });
    expect(defaults.length).toBeGreaterThan(0);
    const person = await sdk.client.getRemoteVisitorData({ visitorCode: USER, shouldAddData: false, filters: all });
    expect(person.length).toBeGreaterThan(0);
    const urls = sdk.requests.filter((r) => r.sdkUrl.includes('/visit/visitor')).map((r) => r.sdkUrl);
    expect(urls.some((u) => u.includes(`mappingValue=${USER}`))).toBe(true);
    expect(urls.some((u) => u.includes('maxNumberPreviousVisits=25') && u.includes('kcs=true') && u.includes('cbs=true'))).toBe(true);
    expect(sdk.errors()).toEqual([]);
  });

  it('reads maps with getRemoteData and warehouse audiences with getVisitorWarehouseAudience', async () => {
    expect(await sdk.client.getRemoteData(VA)).toEqual({
      favoriteCategory: 'shoes',
      lifetimeValue: 1234.5,
      warehouseAudiences: { high_value_customers: 1, newsletter_subscribers: 1 },
    });
    expect(await sdk.client.getRemoteData('no-such-key')).toEqual({});
    const audience = await sdk.client.getVisitorWarehouseAudience({ visitorCode: VA, customDataIndex: 2 });
    expect(audience).toMatchObject({ index: 2, value: ['high_value_customers', 'newsletter_subscribers'] });
    const byKey = await sdk.client.getVisitorWarehouseAudience({ visitorCode: VB, customDataIndex: 2, warehouseKey: 'crm-7' });
    expect(byKey).toMatchObject({ index: 2, value: ['vip'] });
    expect(await sdk.client.getVisitorWarehouseAudience({ visitorCode: VB, customDataIndex: 2, warehouseKey: 'nobody' })).toBeNull();
    expect(sdk.errors()).toEqual([]);
  });

  it('stores nothing twice when a tracking answer is lost and the SDK retries with the same nonces', async () => {
    const VC = 'retryvisitor0001';
    const before = sdk.requests.length;
    sdk.failTracking(1);
    sdk.client.trackConversion({ visitorCode: VC, goalId: 3001, revenue: 12.34 });
    await sdk.waitFor(() => sdk.requests.slice(before).filter((r) => r.requestType === 'tracking' && r.body?.includes(VC)).length >= 2, 30_000);
    const attempts = sdk.requests.slice(before).filter((r) => r.requestType === 'tracking' && r.body?.includes(VC));
    expect(attempts[0]).toMatchObject({ status: 500, serverStatus: 204 });
    expect(attempts[1]).toMatchObject({ status: 204, serverStatus: 204 });
    expect(attempts[1]!.body).toBe(attempts[0]!.body);

    const res = await fetch(`${server.url}/visit/visitor?siteCode=${SITE}&visitorCode=${VC}&currentVisit=true&all=true`);
    const body = (await res.json()) as { currentVisit: { conversionEvents: { data: { goalId: number; revenue: number } }[] } };
    expect(body.currentVisit.conversionEvents.map((e) => e.data)).toEqual([expect.objectContaining({ goalId: 3001, revenue: 12.34 })]);
    const staticLines = attempts[0]!.body!.split('\n').filter((l) => l.startsWith('eventType=staticData')).length;
    const stored = await fetch(`${server.url}/visit/events?siteCode=${SITE}&dryRun=true`, { method: 'POST', body: attempts[0]!.body! });
    expect(await stored.json()).toMatchObject({ accepted: 0, duplicate: 1 + staticLines });
  }, 60_000);

  it('never meets the checks that refuse or flag a request: no 400, no rejected line, no ignored field', async () => {
    await settle();
    const tracking = sdk.requests.filter((r) => r.requestType === 'tracking');
    expect(tracking.length).toBeGreaterThan(0);
    expect(tracking.filter((r) => r.serverStatus >= 400)).toEqual([]);
    // Every body the SDK sent, replayed as a dry run: each line is valid and carries no field Anole ignores.
    for (const request of tracking) {
      const dry = await fetch(`${server.url}/visit/events?siteCode=${SITE}&dryRun=true&strict=true`, { method: 'POST', body: request.body! });
      expect(dry.status).toBe(200);
      expect(await dry.json()).toMatchObject({ rejected: 0, ignoredFields: 0 });
    }
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    expect(metrics).not.toMatch(/anole_events_total\{outcome="rejected"/);
    expect(metrics).toMatch(/anole_ignored_fields_total 0\n/);
  }, 60_000);
});
