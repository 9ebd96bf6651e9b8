import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const SITE = 'forget01';
let n = 0;
const nonce = () => (++n).toString(16).padStart(16, 'A');

describe('POST /visit/forget', () => {
  let server: TestServer;
  const send = (lines: string[], query = '') =>
    fetch(`${server.url}/visit/events?siteCode=${SITE}&verdicts=true${query}`, { method: 'POST', headers: { 'Content-Type': '*/*' }, body: lines.join('\n') });
  const auth = () => ({ Authorization: `Bearer ${server.adminKey}` });
  const forget = (body: string, query = '') =>
    fetch(`${server.url}/visit/forget?siteCode=${SITE}${query}`, { method: 'POST', headers: { 'Content-Type': 'text/plain', ...auth() }, body });
  const visitor = async (identity: string) =>
    (await fetch(`${server.url}/visit/visitor?siteCode=${SITE}&${identity}&maxNumberPreviousVisits=25&currentVisit=true&all=true`)).json();
  const map = async (key: string) => (await fetch(`${server.url}/map/map?siteCode=${SITE}&key=${key}`)).json();

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('deletes every trace of a visitor code, answers 204, and GET /visit/visitor then answers {}', async () => {
    const lines = [
      `eventType=page&href=https%3A%2F%2Fshop.example%2F&nonce=${nonce()}&visitorCode=dev-a`,
      `eventType=conversion&goalId=1&revenue=10&nonce=${nonce()}&visitorCode=dev-a`,
      `eventType=customData&index=3&valuesCountMap=%7B%22user-1%22%3A1%7D&mappingIdentifier=true&nonce=${nonce()}&visitorCode=dev-a`,
      `eventType=conversion&goalId=2&revenue=5&nonce=${nonce()}&mappingValue=user-1`,
      `eventType=page&href=https%3A%2F%2Fshop.example%2F&nonce=${nonce()}&visitorCode=dev-keep`,
    ];
    expect((await (await send(lines)).json()) as { accepted: number }).toMatchObject({ accepted: 5 });
    await fetch(`${server.url}/map/maps?siteCode=${SITE}`, { method: 'POST', body: '{"dev-a":{"x":1},"dev-keep":{"x":1}}' });
    expect(await visitor('visitorCode=dev-a')).toHaveProperty('currentVisit');

    const res = await forget('dev-a\r\n\n');
    expect(res.status).toBe(204);
    expect(await visitor('visitorCode=dev-a')).toEqual({});
    expect(await visitor('mappingValue=user-1')).toEqual({});
    expect(await map('dev-a')).toEqual({});
    expect(await map('dev-keep')).toEqual({ x: 1 });
    expect(await visitor('visitorCode=dev-keep')).toHaveProperty('currentVisit');

    // Idempotent: nothing left to delete, same answer.
    const again = await forget('dev-a', '&verdicts=true');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ named: 1, events: 0, links: 0, maps: 0 });

    // A replay of the forgotten events is acknowledged as duplicate and not stored again.
    const replay = (await (await send(lines.slice(0, 4))).json()) as { accepted: number; duplicate: number };
    expect(replay).toMatchObject({ accepted: 0, duplicate: 4 });
    expect(await visitor('visitorCode=dev-a')).toEqual({});
    expect(await visitor('mappingValue=user-1')).toEqual({});

    // New events (new nonces) from the same visitor code are stored: forget erases the past only.
    const fresh = (await (await send([`eventType=page&href=https%3A%2F%2Fshop.example%2Fnew&nonce=${nonce()}&visitorCode=dev-a`])).json()) as { accepted: number };
    expect(fresh.accepted).toBe(1);
    expect(await visitor('visitorCode=dev-a')).toHaveProperty('currentVisit.pageEvents.length', 1);
  });

  it('forgets one device of a person: the other device and its user-id events stay', async () => {
    const link = (code: string) => `eventType=customData&index=3&valuesCountMap=%7B%22user-2%22%3A1%7D&mappingIdentifier=true&nonce=${nonce()}&visitorCode=${code}`;
    await send([link('phone'), `eventType=conversion&goalId=1&revenue=1&nonce=${nonce()}&visitorCode=phone`]);
    await send([`eventType=conversion&goalId=2&revenue=2&nonce=${nonce()}&mappingValue=user-2`]); // resolves to phone (latest link)
    await new Promise((r) => setTimeout(r, 5));
    await send([link('laptop'), `eventType=conversion&goalId=3&revenue=3&nonce=${nonce()}&visitorCode=laptop`]);
    await new Promise((r) => setTimeout(r, 5));
    await send([`eventType=conversion&goalId=4&revenue=4&nonce=${nonce()}&mappingValue=user-2`]); // resolves to laptop

    const report = await (await forget('phone', '&verdicts=true')).json();
    expect(report).toMatchObject({ named: 1, visitorCodes: 1, events: 3, links: 1 });
    const person = (await visitor('mappingValue=user-2')) as { currentVisit: { visitorCode: string; conversionEvents: { data: { goalId: number } }[] } };
    expect(person.currentVisit.visitorCode).toBe('laptop');
    expect(person.currentVisit.conversionEvents.map((e) => e.data.goalId)).toEqual([3, 4]);
  });

  it('forgets a whole person when the line is a user id', async () => {
    const link = (code: string) => `eventType=customData&index=3&valuesCountMap=%7B%22user-3%22%3A1%7D&mappingIdentifier=true&nonce=${nonce()}&visitorCode=${code}`;
    await send([link('tablet'), link('desk'), `eventType=conversion&goalId=1&revenue=1&nonce=${nonce()}&mappingValue=user-3`]);
    await send([`eventType=page&href=x&nonce=${nonce()}&visitorCode=user-3`]);
    const report = await (await forget('user-3', '&verdicts=true')).json();
    expect(report).toMatchObject({ named: 1, visitorCodes: 3, links: 2 });
    for (const q of ['mappingValue=user-3', 'visitorCode=user-3', 'visitorCode=tablet', 'visitorCode=desk']) expect(await visitor(q)).toEqual({});
  });

  it('refuses hostile bodies with a clear 4xx and accepts an empty one', async () => {
    const cases: [Response, number, string][] = [
      [await forget('x'.repeat(256)), 400, 'invalid_body'],
      [await forget('ok\nbad\u0001code'), 400, 'invalid_body'],
      [await forget(Array.from({ length: 10_001 }, (_, i) => `v${i}`).join('\n')), 413, 'too_many_visitors'],
      [await forget('a\n'.repeat(600_000)), 413, 'body_too_large'],
      [await fetch(`${server.url}/visit/forget`, { method: 'POST', headers: auth(), body: 'a' }), 400, 'invalid_query'],
    ];
    for (const [res, status, code] of cases) {
      expect(res.status).toBe(status);
      expect(((await res.json()) as { code: string }).code).toBe(code);
    }
    expect((await forget('')).status).toBe(204);
    expect((await fetch(`${server.url}/visit/forget?siteCode=neverSeen`, { method: 'POST', headers: auth(), body: 'a' })).status).toBe(204);
  });

  it('needs a key unless the site opts into open forget, and privateIngest closes it again', async () => {
    const anonymous = (site: string) => fetch(`${server.url}/visit/forget?siteCode=${site}`, { method: 'POST', body: 'somebody' });
    const patch = (site: string, settings: object) =>
      fetch(`${server.url}/api/sites/${site}`, { method: 'PATCH', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify(settings) });
    const refused = await anonymous('forgetopen');
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toBe('Bearer realm="anole"');
    expect(await refused.json()).toMatchObject({ code: 'unauthorized', message: expect.stringContaining('openForget') });
    expect((await patch('forgetopen', { openForget: true })).status).toBe(200);
    expect((await anonymous('forgetopen')).status).toBe(204);
    expect((await patch('forgetopen', { privateIngest: true })).status).toBe(200);
    expect((await anonymous('forgetopen')).status).toBe(401);
  });
});
