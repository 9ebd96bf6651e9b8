import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { getVisitor, nonce, postEvents, postForVerdicts, readAll, type Reply } from './helpers/visit-api.ts';

/**
 * POST /visit/events against hostile input over real HTTP: each case gets its documented verdict
 * (read with verdicts=true) and the server never answers 5xx.
 */
describe('POST /visit/events: hostile input', () => {
  let server: TestServer;
  let url: string;
  const statuses: number[] = [];
  const seen = (r: Reply) => {
    statuses.push(r.status);
    return r;
  };
  const post = async (query: string, body: string, headers?: Record<string, string>) => seen(await postEvents(url, query, body, headers));

  beforeAll(async () => {
    server = await startTestServer();
    url = server.url;
  });
  afterAll(async () => {
    await server.stop();
    expect(statuses.length).toBeGreaterThan(0);
    expect(statuses.filter((s) => s >= 500)).toEqual([]);
  });

  it('rejects truncated lines one by one with their reason and stores the whole ones', async () => {
    const body = [
      'eventType=conver',
      `eventType=conversion&goalId=1&nonce=${nonce(1).slice(0, 9)}`,
      `eventType=conversion&goalI`,
      `eventType=conversion&goalId=1&nonce=${nonce(2)}&visitorCo`,
      `eventType=page&href=https%3A%2F%2Fex.com%2&nonce=${nonce(3)}`,
      `eventType=conversion&goalId=5&nonce=${nonce(4)}`,
      'eventType',
      '=',
      '&&&',
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=trunc', body);
    expect(report.events.map((v) => [v.line, v.status, v.code])).toEqual([
      [1, 'rejected', 'unknown_event_type'],
      [2, 'rejected', 'invalid_nonce'],
      [3, 'rejected', 'missing_nonce'],
      [4, 'accepted', undefined], // an unknown parameter is ignored; the query gives the identity
      [5, 'accepted', undefined], // the broken escape is kept literally
      [6, 'accepted', undefined],
      [7, 'rejected', 'missing_event_type'],
      [8, 'rejected', 'missing_event_type'],
      [9, 'rejected', 'missing_event_type'],
    ]);
    expect(report).toMatchObject({ accepted: 3, duplicate: 0, rejected: 6 });
    const visitor = await readAll(url, 'hostile', 'visitorCode=trunc');
    const visit = visitor.currentVisit as { pageEvents: { data: { href: string } }[]; conversionEvents: unknown[] };
    expect(visit.pageEvents[0]!.data.href).toBe('https://ex.com%2');
    expect(visit.conversionEvents).toHaveLength(2);
  });

  it('keeps bad escapes and broken UTF-8 literally', async () => {
    const body = `eventType=page&href=%2Fp%ZZ%&title=%E2%82%20a%FFb%C3%A9&nonce=${nonce(10)}`;
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=escapes', body);
    expect(report.accepted).toBe(1);
    const visit = (await readAll(url, 'hostile', 'visitorCode=escapes')).currentVisit as { pageEvents: { data: { href: string; title: string } }[] };
    expect(visit.pageEvents[0]!.data).toMatchObject({ href: '/p%ZZ%', title: '%E2%82 a%FFbé' });
  });

  it('rejects wrong types with invalid_field and stores the rest', async () => {
    const body = [
      `eventType=conversion&goalId=abc&nonce=${nonce(20)}`,
      `eventType=conversion&goalId=1.5&nonce=${nonce(21)}`,
      `eventType=conversion&goalId=1&revenue=lots&nonce=${nonce(22)}`,
      `eventType=conversion&goalId=1&negative=maybe&nonce=${nonce(23)}`,
      `eventType=experiment&id=1&variationId=-2&nonce=${nonce(24)}`,
      `eventType=experiment&id=2147483648&variationId=1&nonce=${nonce(25)}`,
      `eventType=customData&index=1&valuesCountMap=gold&nonce=${nonce(26)}`,
      `eventType=page&href=%2F&referrersIndices=1,3&nonce=${nonce(27)}`,
      `eventType=geolocation&country=FR&latitude=north&nonce=${nonce(28)}`,
      `eventType=conversion&goalId=1&revenue=NaN&nonce=${nonce(29)}`,
      `eventType=conversion&goalId=1&revenue=Infinity&nonce=${nonce(30)}`,
      `eventType=conversion&goalId=1&time=yesterday&nonce=${nonce(31)}`,
      `eventType=conversion&goalId=2&revenue=3&nonce=${nonce(32)}`,
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=types', body);
    expect(report.events.map((v) => v.code ?? v.status)).toEqual([...Array<string>(12).fill('invalid_field'), 'accepted']);
    for (const v of report.events.slice(0, 12)) expect(v.message).toBeTruthy();
  });

  it('rejects an over-long href or title, an over-long line and an over-long visitor code, and stores the others', async () => {
    const long = 'x'.repeat(5000);
    const body = [
      `eventType=page&href=%2F${long}&nonce=${nonce(40)}`,
      `eventType=page&href=%2F&title=${'t'.repeat(1025)}&nonce=${nonce(41)}`,
      `eventType=page&href=%2F&title=${'t'.repeat(1024)}&nonce=${nonce(42)}`,
      `eventType=page&href=%2F${'h'.repeat(4095)}&nonce=${nonce(43)}`,
      `eventType=activity&nonce=${nonce(44)}&junk=${'j'.repeat(70_000)}`,
      `eventType=activity&nonce=${nonce(45)}&visitorCode=${'v'.repeat(256)}`,
      `eventType=activity&nonce=${nonce(46)}&visitorCode=${'v'.repeat(255)}`,
      `eventType=customData&index=1&valuesCountMap=${encodeURIComponent(JSON.stringify(Object.fromEntries(Array.from({ length: 101 }, (_, i) => [`k${i}`, 1]))))}&nonce=${nonce(47)}`,
      `eventType=activity&nonce=${nonce(48)}`,
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=huge', body);
    expect(report.events.map((v) => v.code ?? v.status)).toEqual([
      'invalid_field',
      'invalid_field',
      'accepted',
      'accepted',
      'line_too_long',
      'invalid_identity',
      'accepted',
      'invalid_field',
      'accepted',
    ]);
    const visit = (await readAll(url, 'hostile', 'visitorCode=huge')).currentVisit as { pageEvents: unknown[] };
    expect(visit.pageEvents).toHaveLength(2);
    expect((await readAll(url, 'hostile', `visitorCode=${'v'.repeat(255)}`)).currentVisit).toBeDefined();
  });

  it('stores emoji and right-to-left text exactly, and rejects NUL and control characters', async () => {
    const title = 'Soldes 🎉👩‍👩‍👧 — שלום עולם مرحبا \u202Egnp.exe';
    const body = [
      `eventType=page&href=%2Funicode&title=${encodeURIComponent(title)}&nonce=${nonce(50)}`,
      `eventType=page&href=%2Fnul&title=a%00b&nonce=${nonce(51)}`,
      `eventType=page&href=%2Fbell&title=a%07b&nonce=${nonce(52)}`,
      `eventType=page&href=%2Fraw&title=a\u0001b&nonce=${nonce(53)}`,
      `eventType=page&href=%2Fdel&title=a%7Fb&nonce=${nonce(54)}`,
      `eventType=activity&nonce=${nonce(55)}&visitorCode=a%00b`,
      `eventType=customData&index=1&valuesCountMap=${encodeURIComponent('{"a\\u0000b":1}')}&nonce=${nonce(56)}`,
      `eventType=page&href=%2Ftab&title=a%09b%0Ac&nonce=${nonce(57)}`,
      `eventType=activity&nonce=${nonce(58)}&visitorCode=${encodeURIComponent('visiteur-é-🦎')}`,
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=unicode', body);
    expect(report.events.map((v) => v.code ?? v.status)).toEqual([
      'accepted',
      'invalid_field',
      'invalid_field',
      'invalid_field',
      'invalid_field',
      'invalid_identity',
      'invalid_field',
      'accepted',
      'accepted',
    ]);
    const visit = (await readAll(url, 'hostile', 'visitorCode=unicode')).currentVisit as { pageEvents: { data: { href: string; title: string } }[] };
    expect(visit.pageEvents.map((p) => p.data.title)).toEqual([title, 'a\tb\nc']);
    const lizard = await readAll(url, 'hostile', `visitorCode=${encodeURIComponent('visiteur-é-🦎')}`);
    expect((lizard.currentVisit as { visitorCode: string }).visitorCode).toBe('visiteur-é-🦎');
  });

  it('rejects lone surrogates in JSON strings instead of storing them altered', async () => {
    const body = '[{"eventType":"page","href":"/s","title":"a\\ud800b","nonce":"00000000000000f1"},{"eventType":"activity","nonce":"00000000000000f2","visitorCode":"x\\udc00"}]';
    const r = await post('siteCode=hostile&visitorCode=surrogate&json=true', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_events' });
    expect((r.json as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual(['invalid_field', 'invalid_identity']);
  });

  it('rejects a visitor code with control characters given in the query', async () => {
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=q%00nul', `eventType=activity&nonce=${nonce(60)}\neventType=activity&nonce=${nonce(61)}&visitorCode=fine`);
    expect(report.events.map((v) => v.code ?? v.status)).toEqual(['invalid_identity', 'accepted']);
    // A read names only what an event could have stored: the same identity rule, a 400 here.
    const read = await getVisitor(url, 'siteCode=hostile&visitorCode=q%00nul');
    expect([read.status, (read.json as { code: string }).code]).toEqual([400, 'invalid_query']);
    const json = await post('siteCode=hostile&mappingValue=q%01&json=true', JSON.stringify([{ eventType: 'activity', nonce: nonce(62) }]));
    expect(json.status).toBe(400);
    expect(json.json).toMatchObject({ code: 'invalid_events', errors: [{ index: 0, code: 'invalid_identity' }] });
  });

  it('rejects deeply nested JSON where a structured value is expected, and never fails on it', async () => {
    const deepObject = (depth: number) => '{"a":'.repeat(depth) + '1' + '}'.repeat(depth);
    const deepArray = (depth: number) => '['.repeat(depth) + ']'.repeat(depth);
    const items = [
      `{"eventType":"conversion","goalId":1,"nonce":"00000000000000d1","metadata":${deepObject(20_000)}}`,
      `{"eventType":${deepArray(20_000)},"nonce":"00000000000000d2"}`,
      `{"eventType":"page","href":"/","referrersIndices":${deepArray(20_000)},"nonce":"00000000000000d3"}`,
      `{"eventType":"customData","index":1,"valuesCountMap":{"a":${deepArray(20_000)}},"nonce":"00000000000000d4"}`,
      `{"eventType":"activity","nonce":"00000000000000d5","unknownField":${deepObject(20_000)}}`,
      `{"eventType":"conversion","goalId":1,"nonce":"00000000000000d6","metadata":{"1":["ok"],"2":{"nested":{"three":[1,2]}}}}`,
    ];
    const r = await post('siteCode=hostile&visitorCode=deep&json=true', `[${items.join(',')}]`);
    expect(r.status).toBe(400);
    expect((r.json as { errors: { index: number; code: string }[] }).errors.map((e) => [e.index, e.code])).toEqual([
      [0, 'invalid_field'],
      [1, 'unknown_event_type'],
      [2, 'invalid_field'],
      [3, 'invalid_field'],
    ]);
    const line = `eventType=conversion&goalId=1&nonce=00000000000000d7&metadata=${encodeURIComponent(deepObject(4000))}`;
    // A line-format request with no valid line stores nothing: a 400 that lists why.
    const lineReply = await post('siteCode=hostile&visitorCode=deep&verdicts=true', line);
    expect(lineReply.status).toBe(400);
    expect((lineReply.json as { errors: { code: string }[] }).errors.map((e) => e.code)).toEqual(['invalid_field']);
  });

  it('keeps a value named __proto__ as data', async () => {
    const body = JSON.stringify([{ eventType: 'customData', index: 1, valuesCountMap: JSON.parse('{"__proto__":1,"gold":1}'), nonce: nonce(65) }]);
    expect((await post('siteCode=hostile&visitorCode=proto&json=true', body)).status).toBe(204);
    const visit = (await readAll(url, 'hostile', 'visitorCode=proto')).currentVisit as { customDataEvents: { data: { valuesCountMap: object } }[] };
    expect(Object.keys(visit.customDataEvents[0]!.data.valuesCountMap).sort()).toEqual(['__proto__', 'gold']);
  });

  it('accepts the first of two events with the same nonce in one body and calls the second a duplicate', async () => {
    const body = [
      `eventType=conversion&goalId=1&revenue=10&nonce=ABCDEF0123456789`,
      `eventType=conversion&goalId=1&revenue=99&nonce=abcdef0123456789`,
      `eventType=conversion&goalId=1&revenue=10&nonce=ABCDEF0123456789&visitorCode=other`,
      `eventType=conversion&goalId=1&revenue=10&nonce=ABCDEF0123456789&mappingValue=dupes`,
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=dupes', body);
    expect(report.events.map((v) => v.status)).toEqual(['accepted', 'duplicate', 'accepted', 'accepted']);
    expect(report).toMatchObject({ accepted: 3, duplicate: 1, rejected: 0 });
    const visit = (await readAll(url, 'hostile', 'visitorCode=dupes')).currentVisit as { conversionEvents: { data: { revenue: number } }[] };
    expect(visit.conversionEvents.map((c) => c.data.revenue)).toEqual([10, 10]);
    const again = await postForVerdicts(url, 'siteCode=hostile&visitorCode=dupes', body);
    expect(again.events.map((v) => v.status)).toEqual(['duplicate', 'duplicate', 'duplicate', 'duplicate']);
  });

  it('JSON mode is all or nothing: one bad item answers 400 invalid_events listing every error, and nothing is stored', async () => {
    const body = JSON.stringify([
      { eventType: 'conversion', goalId: 1, nonce: nonce(70) },
      { eventType: 'conversion', goalId: 'one', nonce: nonce(71) },
      { eventType: 'page', href: '/', nonce: nonce(72) },
      'not an object',
      { eventType: 'teleport', nonce: nonce(73) },
      { eventType: 'activity', nonce: 'short' },
    ]);
    const r = await post('siteCode=hostile&visitorCode=allornothing&json=true', body, { 'Content-Type': 'application/json' });
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/application\/json/);
    const error = r.json as { message: string; code: string; errors: { index: number; code: string; message: string }[] };
    expect(error.code).toBe('invalid_events');
    expect(error.message).toMatch(/4 of 6/);
    expect(error.errors.map((e) => [e.index, e.code])).toEqual([
      [1, 'invalid_field'],
      [3, 'invalid_event'],
      [4, 'unknown_event_type'],
      [5, 'invalid_nonce'],
    ]);
    expect(await readAll(url, 'hostile', 'visitorCode=allornothing')).toEqual({});
  });

  it('answers 400 invalid_body to JSON that is not an array, or not JSON', async () => {
    for (const body of ['{"eventType":"activity","nonce":"0000000000000001"}', '"events"', '42', 'null', '[{"eventType":', 'eventType=activity']) {
      const r = await post('siteCode=hostile&visitorCode=notarray&json=true', body);
      expect(r.status, body).toBe(400);
      expect(r.json).toMatchObject({ code: 'invalid_body' });
      expect((r.json as { message: string }).message).toBeTruthy();
    }
  });

  it('answers 204 to an empty body, in either format', async () => {
    for (const [query, body] of [
      ['siteCode=hostile&visitorCode=empty', ''],
      ['siteCode=hostile&visitorCode=empty', '\n\r\n\n'],
      ['siteCode=hostile&visitorCode=empty&json=true', ''],
      ['siteCode=hostile&visitorCode=empty&json=true', '[]'],
    ] as const) {
      const r = await post(query, body);
      expect(r.status, `${query} ${JSON.stringify(body)}`).toBe(204);
      expect(r.text).toBe('');
    }
    const bare = seen(await fetch(`${url}/visit/events?siteCode=hostile&visitorCode=empty`, { method: 'POST' }).then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text(), json: undefined })));
    expect(bare.status).toBe(204);
  });

  it('answers 400 invalid_query without siteCode, with a malformed one, or with siteCode repeated', async () => {
    for (const query of ['visitorCode=v', 'siteCode=&visitorCode=v', 'siteCode=a/b', `siteCode=${'s'.repeat(65)}`, 'siteCode=a&siteCode=b', 'siteCode=a&siteCode=a', 'siteCode=a&json=maybe', 'siteCode=a&visitorCode=v&visitorCode=w']) {
      const r = await post(query, `eventType=activity&nonce=${nonce(80)}&visitorCode=v`);
      expect(r.status, query).toBe(400);
      expect(r.json, query).toMatchObject({ code: 'invalid_query' });
    }
  });

  it('answers 405 with Allow to a wrong method, and 404 to an unknown route', async () => {
    const get = seen(await fetch(`${url}/visit/events?siteCode=hostile`).then(async (res) => ({ status: res.status, headers: res.headers, text: await res.text(), json: undefined })));
    expect(get.status).toBe(405);
    expect(get.headers.get('allow')).toContain('POST');
    expect(JSON.parse(get.text)).toMatchObject({ code: 'method_not_allowed' });

    const put = await fetch(`${url}/visit/visitor?siteCode=hostile&visitorCode=v`, { method: 'PUT', body: 'x' });
    statuses.push(put.status);
    expect(put.status).toBe(405);
    expect(put.headers.get('allow')).toContain('GET');

    for (const path of ['/visit/eventz', '/visit/events/extra', '/']) {
      const r = await fetch(`${url}${path}`, { method: 'POST', body: 'x' });
      statuses.push(r.status);
      expect(r.status, path).toBe(404);
      expect(await r.json()).toMatchObject({ code: 'not_found' });
    }
    // A path that is not valid percent-encoding names no route either.
    const bad = await fetch(`${url}/visit/events%ZZ`, { method: 'POST', body: 'x' });
    statuses.push(bad.status);
    expect(bad.status).toBe(404);
    expect(await bad.json()).toMatchObject({ code: 'not_found', message: expect.any(String) });
  });

  it('answers 413 body_too_large to a body over 3 MB and stores nothing of it', async () => {
    const line = `eventType=activity&nonce=${nonce(90)}&visitorCode=toolarge&pad=`;
    const body = line + 'p'.repeat(3 * 1024 * 1024 + 1 - line.length);
    const r = await post('siteCode=hostile', body);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'body_too_large' });
    expect(await readAll(url, 'hostile', 'visitorCode=toolarge')).toEqual({});
  });

  it('answers 413 too_many_events to more than 100,000 events, in either format', async () => {
    const lines = Array<string>(100_001).fill('x').join('\n');
    const r = await post('siteCode=hostile&visitorCode=many', lines);
    expect(r.status).toBe(413);
    expect(r.json).toMatchObject({ code: 'too_many_events' });
    const items = `[${Array<string>(100_001).fill('{}').join(',')}]`;
    const j = await post('siteCode=hostile&visitorCode=many&json=true', items);
    expect(j.status).toBe(413);
    expect(j.json).toMatchObject({ code: 'too_many_events' });
  });

  it('takes a 100,000-line body of junk: the first 1,000 errors listed, every one counted and located', async () => {
    const lines = Array.from({ length: 100_000 }, (_, i) => (i % 2 ? `eventType=x${i}` : `nonce=${i}`)).join('\n');
    const started = Date.now();
    const r = await post('siteCode=hostile&visitorCode=junk&verdicts=true', lines);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'invalid_events',
      rejections: { listed: 1000, byCode: { missing_event_type: 50_000, unknown_event_type: 50_000 }, lines: '1-100000' },
    });
    expect((r.json as { errors: unknown[] }).errors).toHaveLength(1000);
    expect(r.text.length).toBeLessThan(lines.length);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it('dryRun=true validates and reports duplicates but stores nothing', async () => {
    await postForVerdicts(url, 'siteCode=hostile&visitorCode=dry', `eventType=conversion&goalId=1&nonce=${nonce(100)}`);
    const body = [
      `eventType=conversion&goalId=1&nonce=${nonce(100)}`,
      `eventType=conversion&goalId=2&nonce=${nonce(101)}`,
      `eventType=conversion&goalId=3&nonce=${nonce(101)}`,
      `eventType=conversion&goalId=x&nonce=${nonce(102)}`,
    ].join('\n');
    const r = await post('siteCode=hostile&visitorCode=dry&dryRun=true', body);
    expect(r.status).toBe(200);
    const report = r.json as { dryRun: boolean; events: { status: string; code?: string }[] };
    expect(report).toMatchObject({ dryRun: true, accepted: 1, duplicate: 2, rejected: 1 });
    expect(report.events.map((v) => v.code ?? v.status)).toEqual(['duplicate', 'accepted', 'duplicate', 'invalid_field']);
    const visit = (await readAll(url, 'hostile', 'visitorCode=dry')).currentVisit as { conversionEvents: unknown[] };
    expect(visit.conversionEvents).toHaveLength(1);
    const json = await post('siteCode=hostile&visitorCode=dry&dryRun=true&json=true', JSON.stringify([{ eventType: 'conversion', goalId: 9, nonce: nonce(103) }]));
    expect(json.status).toBe(200);
    expect(json.json).toMatchObject({ dryRun: true, accepted: 1 });
    expect(((await readAll(url, 'hostile', 'visitorCode=dry')).currentVisit as { conversionEvents: unknown[] }).conversionEvents).toHaveLength(1);
  });

  it('rejects event times outside the horizon or too far ahead, per line', async () => {
    const now = Date.now();
    const body = [
      `eventType=conversion&goalId=1&nonce=${nonce(110)}&time=${now - 31 * 86_400_000}`,
      `eventType=conversion&goalId=1&nonce=${nonce(111)}&time=${now + 10 * 60_000}`,
      `eventType=conversion&goalId=1&nonce=${nonce(112)}&time=${Math.floor(now / 1000)}`,
      `eventType=conversion&goalId=1&nonce=${nonce(113)}&time=${now - 86_400_000}`,
    ].join('\n');
    const report = await postForVerdicts(url, 'siteCode=hostile&visitorCode=times', body);
    expect(report.events.map((v) => v.code ?? v.status)).toEqual(['time_out_of_range', 'time_out_of_range', 'time_out_of_range', 'accepted']);
    expect(report.events[2]!.message).toMatch(/seconds/);
  });

  it('GET /visit/visitor refuses bad queries with 400 and never 5xx', async () => {
    for (const query of [
      'visitorCode=v',
      'siteCode=hostile',
      'siteCode=hostile&visitorCode=',
      'siteCode=hostile&visitorCode=v&maxNumberPreviousVisits=-1',
      'siteCode=hostile&visitorCode=v&maxNumberPreviousVisits=abc',
      'siteCode=hostile&visitorCode=v&currentVisit=perhaps',
      `siteCode=hostile&visitorCode=${'v'.repeat(256)}`,
      'siteCode=hostile&siteCode=other&visitorCode=v',
    ]) {
      const r = seen(await getVisitor(url, query));
      expect(r.status, query).toBe(400);
      expect(r.json, query).toMatchObject({ code: 'invalid_query' });
    }
    const unknown = seen(await getVisitor(url, 'siteCode=hostile&visitorCode=never-seen&all=true&currentVisit=true'));
    expect(unknown.status).toBe(200);
    expect(unknown.json).toEqual({});
  });
});

describe('POST /visit/events with ANOLE_AUTO_CREATE_SITES=false', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ANOLE_AUTO_CREATE_SITES: 'false' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('answers 404 unknown_site to an unregistered site, for writes and reads', async () => {
    const post = await postEvents(server.url, 'siteCode=nosuchsite&visitorCode=v', `eventType=activity&nonce=${nonce(1)}`);
    expect(post.status).toBe(404);
    expect(post.json).toMatchObject({ code: 'unknown_site' });
    const empty = await postEvents(server.url, 'siteCode=nosuchsite&visitorCode=v', '');
    expect(empty.status).toBe(404);
    const get = await getVisitor(server.url, 'siteCode=nosuchsite&visitorCode=v');
    expect(get.status).toBe(404);
    expect(get.json).toMatchObject({ code: 'unknown_site' });
  });
});

describe('POST /visit/events with a raised body limit', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ANOLE_BODY_LIMIT_BYTES: String(8 * 1024 * 1024) });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('stores a 100,000-event body exactly once, and a replay stores nothing', async () => {
    const body = Array.from({ length: 100_000 }, (_, i) => `eventType=activity&nonce=${nonce(i)}&visitorCode=bulk${i % 100}`).join('\n');
    const started = Date.now();
    const first = await postForVerdicts(server.url, 'siteCode=bulk', body);
    const firstMs = Date.now() - started;
    expect(first).toMatchObject({ accepted: 100_000, duplicate: 0, rejected: 0 });
    const replay = await postForVerdicts(server.url, 'siteCode=bulk', body);
    expect(replay).toMatchObject({ accepted: 0, duplicate: 100_000, rejected: 0 });
    expect(firstMs).toBeLessThan(30_000);
    const visitor = await readAll(server.url, 'bulk', 'visitorCode=bulk7');
    expect((visitor.currentVisit as { visitorCode: string }).visitorCode).toBe('bulk7');
  });
});
