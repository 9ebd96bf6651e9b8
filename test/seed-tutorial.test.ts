import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** The two requests of the offline-conversions tutorial, verbatim but for the host. */
describe('seed tutorial: send an offline conversion, then verify it', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('accepts the JSON conversion with 204 and returns it from GET /visit/visitor', async () => {
    const post = await fetch(`${server.url}/visit/events?siteCode=f17c21u1ag&visitorCode=245fc&json=true`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json', 'User-Agent': 'CustomUserAgent/1.0' },
      body: '[{"nonce":"a2bb4d22083348ef","eventType":"CONVERSION","goalId":36151,"revenue":23.50}]',
    });
    expect(post.status).toBe(204);
    expect(await post.text()).toBe('');

    const get = await fetch(
      `${server.url}/visit/visitor?siteCode=f17c21u1ag&visitorCode=245fc&maxNumberPreviousVisits=5&currentVisit=true&conversion=true`,
      { headers: { 'Content-Type': 'application/json', 'User-Agent': 'CustomUserAgent/1.0' } },
    );
    expect(get.status).toBe(200);
    const body = (await get.json()) as { currentVisit: Record<string, unknown> };
    expect(body.currentVisit).toMatchObject({
      siteCode: 'f17c21u1ag',
      visitorCode: '245fc',
      conversionEvents: [{ itp: false, data: { goalId: 36151, revenue: 23.5, negative: false, metadata: {} } }],
    });
    const visit = body.currentVisit as { timeStarted: number; conversionEvents: { time: number }[] };
    expect(visit.conversionEvents[0]!.time).toBe(visit.timeStarted);
  });

  it('acknowledges a replay of the same request and stores nothing twice', async () => {
    const send = () =>
      fetch(`${server.url}/visit/events?siteCode=f17c21u1ag&visitorCode=replay1&json=true`, {
        method: 'POST',
        body: '[{"nonce":"a2bb4d22083348ef","eventType":"CONVERSION","goalId":36151,"revenue":23.50}]',
      });
    expect((await send()).status).toBe(204);
    expect((await send()).status).toBe(204);
    const get = await fetch(`${server.url}/visit/visitor?siteCode=f17c21u1ag&visitorCode=replay1&currentVisit=true&conversion=true`);
    const body = (await get.json()) as { currentVisit: { conversionEvents: unknown[] } };
    expect(body.currentVisit.conversionEvents).toHaveLength(1);
  });

  it('files a backdated offline conversion (time) in a previous visit of its own', async () => {
    const now = Date.now();
    const lines = [
      `eventType=page&href=https%3A%2F%2Fshop.example%2F&nonce=00000000000000a1&visitorCode=store1&time=${now - 3 * 3_600_000}`,
      `eventType=conversion&goalId=7&revenue=99.5&nonce=00000000000000a2&visitorCode=store1&time=${now - 3_600_000}`,
    ].join('\n');
    const post = await fetch(`${server.url}/visit/events?siteCode=f17c21u1ag`, { method: 'POST', headers: { 'Content-Type': '*/*' }, body: lines });
    expect(post.status).toBe(204);
    const get = await fetch(`${server.url}/visit/visitor?siteCode=f17c21u1ag&visitorCode=store1&maxNumberPreviousVisits=5&currentVisit=true&all=true`);
    const body = (await get.json()) as { currentVisit?: unknown; previousVisits: { conversionEvents?: unknown[]; pageEvents?: unknown[] }[] };
    expect(body.currentVisit).toBeUndefined();
    expect(body.previousVisits).toHaveLength(2);
    expect(body.previousVisits[0]!.conversionEvents).toHaveLength(1);
    expect(body.previousVisits[1]!.pageEvents).toHaveLength(1);
  });
});
