import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { getVisitor, postEvents, readAll } from './helpers/visit-api.ts';

/**
 * The user-42 scenario of the JavaScript SDK capture (kameleoon-sdk-wire.md Appendix A and §8):
 * a logged-in user's self-link, an anonymous device linked to the same user, then events posted by
 * mapping value, read back by mapping value and by the anonymous visitor code.
 */
const SITE = 'a1b2c3d4e5';
const ANON = 'k3v9q2m7x1p8z4w6';
const JS_QUERY = `siteCode=${SITE}&sdkName=javascript&sdkVersion=4.17.1`;
const pause = () => new Promise((resolve) => setTimeout(resolve, 5));

interface Ev {
  time: number;
  data: Record<string, unknown>;
}
interface VisitBody {
  visitorCode: string;
  timeStarted: number;
  pageEvents?: Ev[];
  conversionEvents?: Ev[];
  customDataEvents?: Ev[];
  experimentEvents?: Ev[];
  staticDataEvent?: Ev;
}
interface VisitorBody {
  currentVisit?: VisitBody;
  previousVisits?: VisitBody[];
}
const visitsOf = (body: VisitorBody) => [...(body.currentVisit ? [body.currentVisit] : []), ...(body.previousVisits ?? [])];

describe('mapping value end to end (user-42)', () => {
  let server: TestServer;
  let url: string;
  const post = async (query: string, lines: string[]) => {
    const r = await postEvents(url, query, lines.join('\n'));
    expect(r.status, r.text).toBe(204);
    await pause();
  };

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;

    // 1. The first visit of the anonymous device.
    await post(JS_QUERY, [
      `eventType=experiment&id=4001&variationId=700002&nonce=3C91992A14A1C237&visitorCode=${ANON}`,
      `eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=AAD35161EA57C29F&visitorCode=${ANON}`,
      `eventType=conversion&goalId=2001&revenue=49.9&negative=false&nonce=DBA9D8CD8DAE1A69&visitorCode=${ANON}`,
    ]);
    // 2. user-42 as its own visitor code, with the self-link and the raw user agent (bodyUa=true).
    await post(`${JS_QUERY}&bodyUa=true`, [
      'eventType=experiment&id=4001&variationId=700002&nonce=C2500ADD0E4CAE10&visitorCode=user-42&userAgent=Mozilla/5.0 (X11; Linux x86_64) HarnessBot/1.0',
      'eventType=staticData&os=LINUX&osIndex=3&nonce=F83DFBF7B9379524&visitorCode=user-42',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=3C30F2A920A23130&visitorCode=user-42',
      'eventType=customData&index=0&valuesCountMap=%7B%22silver%22%3A1%7D&overwrite=true&nonce=FBBC83397E055D6A&visitorCode=user-42',
      'eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=4A9F70447B652C01&visitorCode=user-42',
    ]);
  });
  afterAll(async () => {
    await server.stop();
  });

  it('before any link to another code, GET ?mappingValue=user-42 answers the self-linked code', async () => {
    const body = (await readAll(url, SITE, 'mappingValue=user-42')) as VisitorBody;
    expect(visitsOf(body).map((v) => v.visitorCode)).toEqual(['user-42']);
    // Lines of one request share their receive time; within it, events are ordered by nonce.
    expect(body.currentVisit?.customDataEvents?.map((e) => e.data.index).sort()).toEqual([0, 3]);
  });

  it('after the anonymous code is linked, mappingValue events land on it and reads follow the person', async () => {
    // 3. The anonymous device logs in: it links itself to user-42.
    await post(JS_QUERY, [
      `eventType=page&href=https%3A%2F%2Fshop.example.com%2F&title=Home&nonce=852BDC2709B3067E&visitorCode=${ANON}`,
      `eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=125E156962C8D136&visitorCode=${ANON}`,
    ]);
    // 4. The SDK now sends user-42's data by mapping value.
    await post(JS_QUERY, [
      'eventType=staticData&os=LINUX&osIndex=3&nonce=763FF8087081CEBC&mappingValue=user-42',
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2Fcheckout&title=Checkout&nonce=374A5C86711DE7E8&mappingValue=user-42',
      'eventType=conversion&goalId=2001&revenue=5&negative=false&nonce=6B25F1F385AA03F1&mappingValue=user-42',
    ]);
    // 5. One body for both identities.
    await post(JS_QUERY, [
      `eventType=customData&index=0&valuesCountMap=%7B%22platinum%22%3A1%7D&overwrite=true&nonce=2A8B828197F0320F&visitorCode=${ANON}`,
      'eventType=page&href=https%3A%2F%2Fshop.example.com%2Fthanks&title=Thanks&nonce=E4C4490FFAC60EEE&mappingValue=user-42',
    ]);

    // By mapping value: the visits of every linked code, each labelled with its own code.
    const person = (await readAll(url, SITE, 'mappingValue=user-42')) as VisitorBody;
    const visits = visitsOf(person);
    expect(visits.map((v) => v.visitorCode).sort()).toEqual([ANON, 'user-42']);
    const anonVisit = visits.find((v) => v.visitorCode === ANON)!;
    const selfVisit = visits.find((v) => v.visitorCode === 'user-42')!;
    expect(anonVisit.pageEvents?.map((e) => e.data.title)).toEqual(['Home', 'Home', 'Checkout', 'Thanks']);
    expect(anonVisit.conversionEvents?.map((e) => e.data.revenue)).toEqual([49.9, 5]);
    expect(selfVisit.pageEvents?.map((e) => e.data.title)).toEqual(['Home']);
    expect(selfVisit.conversionEvents).toBeUndefined();
    // The current visit is the one of the code linked last.
    expect(person.currentVisit?.visitorCode).toBe(ANON);
    expect(anonVisit.staticDataEvent?.data.mappingIdentifier).toBe('user-42');

    // By the anonymous code: its own events and those posted by mapping value.
    const anon = (await readAll(url, SITE, `visitorCode=${ANON}`)) as VisitorBody;
    expect(visitsOf(anon).map((v) => v.visitorCode)).toEqual([ANON]);
    expect(anon.currentVisit?.pageEvents?.map((e) => e.data.title)).toEqual(['Home', 'Home', 'Checkout', 'Thanks']);
    expect(anon.currentVisit?.conversionEvents?.map((e) => e.data.revenue)).toEqual([49.9, 5]);

    // By the user's own code: only what it sent itself.
    const self = (await readAll(url, SITE, 'visitorCode=user-42')) as VisitorBody;
    expect(self.currentVisit?.pageEvents?.map((e) => e.data.title)).toEqual(['Home']);
    expect(self.currentVisit?.conversionEvents).toBeUndefined();
  });

  it('answers the SDK default query exactly as the capture asks it', async () => {
    const r = await getVisitor(url, `siteCode=${SITE}&mappingValue=user-42&maxNumberPreviousVisits=1&customData=true&staticData=true&currentVisit=true`);
    expect(r.status).toBe(200);
    const body = r.json as VisitorBody;
    expect(body.currentVisit?.visitorCode).toBe(ANON);
    expect(body.previousVisits).toHaveLength(1);
    expect(Object.keys(body.currentVisit!).sort()).toEqual(['customDataEvents', 'siteCode', 'staticDataEvent', 'timeLastEvent', 'timeStarted', 'visitorCode']);
  });

  it('a replay of every request changes nothing', async () => {
    const before = await readAll(url, SITE, 'mappingValue=user-42');
    await post(JS_QUERY, [
      'eventType=conversion&goalId=2001&revenue=5&negative=false&nonce=6B25F1F385AA03F1&mappingValue=user-42',
      `eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=125E156962C8D136&visitorCode=${ANON}`,
      'eventType=customData&index=3&valuesCountMap=%7B%22user-42%22%3A1%7D&overwrite=true&mappingIdentifier=true&nonce=4A9F70447B652C01&visitorCode=user-42',
    ]);
    expect(await readAll(url, SITE, 'mappingValue=user-42')).toEqual(before);
  });

  it('a device re-linked to another user leaves the first person, and later events follow the new owner', async () => {
    const T = Date.now();
    const q = 'siteCode=relink';
    await post(q, [
      `eventType=customData&index=3&valuesCountMap=%7B%22alice%22%3A1%7D&mappingIdentifier=true&nonce=0000000000000001&visitorCode=phone&time=${T - 60_000}`,
      `eventType=customData&index=3&valuesCountMap=%7B%22alice%22%3A1%7D&mappingIdentifier=true&nonce=0000000000000002&visitorCode=tablet&time=${T - 50_000}`,
      `eventType=conversion&goalId=1&revenue=10&nonce=0000000000000003&mappingValue=alice&time=${T - 40_000}`,
      `eventType=customData&index=3&valuesCountMap=%7B%22bob%22%3A1%7D&mappingIdentifier=true&nonce=0000000000000004&visitorCode=tablet&time=${T - 30_000}`,
      `eventType=conversion&goalId=1&revenue=20&nonce=0000000000000005&mappingValue=alice&time=${T - 20_000}`,
      `eventType=conversion&goalId=1&revenue=30&nonce=0000000000000006&mappingValue=bob&time=${T - 10_000}`,
    ]);
    const alice = visitsOf((await readAll(url, 'relink', 'mappingValue=alice')) as VisitorBody);
    expect(alice.map((v) => v.visitorCode)).toEqual(['phone']);
    expect(alice[0]!.conversionEvents?.map((e) => e.data.revenue)).toEqual([20]);
    const bob = visitsOf((await readAll(url, 'relink', 'mappingValue=bob')) as VisitorBody);
    expect(bob.map((v) => v.visitorCode)).toEqual(['tablet']);
    // The conversion alice made on the tablet before it changed hands stays on the tablet.
    expect(bob[0]!.conversionEvents?.map((e) => e.data.revenue)).toEqual([10, 30]);
    const tablet = (await readAll(url, 'relink', 'visitorCode=tablet')) as VisitorBody;
    expect(visitsOf(tablet)[0]!.conversionEvents?.map((e) => e.data.revenue)).toEqual([10, 30]);
  });
});
