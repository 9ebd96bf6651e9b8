import http from 'node:http';
import zlib from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../src/core/limits.ts';
import { engineCases } from './helpers/engine-servers.ts';
import type { TestServer } from './helpers/test-server.ts';
import { nonce, postEvents, readAll } from './helpers/visit-api.ts';

/**
 * Regression tests for requests a black-box fuzzer found to freeze the server, break the error
 * contract or lose data, over real HTTP on both engines where storage is involved.
 */
describe.each(engineCases())('hostile input on $engine', ({ skip, start }) => {
  let server: TestServer;
  beforeAll(async () => {
    if (!skip) server = await start();
  });
  afterAll(async () => {
    await server?.stop();
  });

  it.skipIf(skip)('answers a number field of 96k digits at once, and /health meanwhile', async () => {
    const digits = '9'.repeat(96_000);
    const started = performance.now();
    const [events, line, health] = await Promise.all([
      postEvents(server.url, 'siteCode=hostile&visitorCode=v1&json=true', JSON.stringify([{ eventType: 'conversion', goalId: 1, revenue: `${digits}x`, nonce: nonce(1) }])),
      postEvents(server.url, 'siteCode=hostile&visitorCode=v1&verdicts=true', `eventType=conversion&goalId=${'1'.repeat(32_000)}x&nonce=${nonce(2)}`),
      fetch(`${server.url}/health`),
    ]);
    // The backtracking number pattern took 21 s on the first body alone.
    expect(performance.now() - started).toBeLessThan(5000);
    expect(events.status).toBe(400);
    expect(events.json).toMatchObject({ code: 'invalid_events' });
    expect(JSON.stringify(events.json)).toContain(`at most ${LIMITS.numberLength} characters`);
    // Its only line is invalid, so nothing is stored: a 400 listing the line's error.
    expect(line.status).toBe(400);
    expect((line.json as { errors: { code: string }[] }).errors[0]).toMatchObject({ code: 'invalid_field' });
    expect(health.status).toBe(200);
  });

  it.skipIf(skip)(`refuses a query of more than ${LIMITS.queryParameters} parameters with invalid_query`, async () => {
    const many = Array.from({ length: LIMITS.queryParameters + 1 }, (_, i) => `p${i}=1`).join('&');
    for (const path of ['/visit/visitor?siteCode=s1&visitorCode=v&', '/map/map?siteCode=s1&key=k&', '/health?']) {
      const res = await fetch(`${server.url}${path}${many}`);
      expect(res.status, path).toBe(400);
      expect(await res.json()).toEqual({ code: 'invalid_query', message: `the query has more than ${LIMITS.queryParameters} parameters` });
    }
    const repeated = await fetch(`${server.url}/visit/visitor?siteCode=s1&visitorCode=v&${'a&'.repeat(7_900)}`);
    expect(repeated.status).toBe(400);
  });

  it.skipIf(skip)('refuses meaningless traffic splits, and answers results for the smallest accepted share', async () => {
    const put = (split: unknown) =>
      fetch(`${server.url}/api/sites/splits/experiments/9001`, {
        method: 'PUT',
        headers: { Authorization: `Bearer ${server.adminKey}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ name: 'Split', trafficSplit: split }),
      });
    for (const split of [{ '0': 1, '1': 1e-300 }, { '0': 1, '1': 0 }, { '0': 1 }, { '0': 1, '1': -1 }, { '0': 1, '1': 1e7 }, { x: 1, '1': 1 }, { ['9'.repeat(40)]: 1, '1': 1 }]) {
      const res = await put(split);
      expect(res.status, JSON.stringify(split)).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_body' });
    }
    expect((await put({ '0': 1 / LIMITS.trafficSplitMinShare - 1, '1': 1 })).status).toBe(200);
    const lines = [0, 1, 2, 3].map((i) => `eventType=experiment&id=9001&variationId=${i % 2}&nonce=${nonce(100 + i)}&visitorCode=split${i}`);
    expect((await postEvents(server.url, 'siteCode=splits', lines.join('\n'))).status).toBe(204);
    await server.settle();
    const res = await fetch(`${server.url}/api/sites/splits/experiments/9001/results`, { headers: { Authorization: `Bearer ${server.adminKey}` } });
    expect(res.status).toBe(200);
    const body = (await res.json()) as { health: { srm: { mismatch: boolean; pValue: { value: number } } } };
    expect(body.health.srm).toMatchObject({ mismatch: true });
    expect(body.health.srm.pValue.value).toBeLessThan(1e-6);
  });

  describe('Content-Encoding', () => {
    const line = (i: number, visitor: string) => `eventType=conversion&goalId=7&revenue=${i}&nonce=${nonce(1000 + i)}&visitorCode=${visitor}`;
    const post = (query: string, body: Buffer, headers: Record<string, string>) =>
      fetch(`${server.url}/visit/events?siteCode=encoded&${query}`, { method: 'POST', headers, body: new Uint8Array(body) });
    const conversions = async (visitor: string) =>
      ((await readAll(server.url, 'encoded', `visitorCode=${visitor}`)).currentVisit as { conversionEvents: unknown[] } | undefined)?.conversionEvents.length ?? 0;

    it.skipIf(skip)('stores gzip, deflate (zlib and raw) and x-gzip bodies, line and JSON formats', async () => {
      const bodies: [string, string, (b: Buffer) => Buffer][] = [
        ['gzip', 'gz', (b) => zlib.gzipSync(b)],
        ['x-gzip', 'xgz', (b) => zlib.gzipSync(b)],
        ['deflate', 'zl', (b) => zlib.deflateSync(b)],
        ['Deflate', 'raw', (b) => zlib.deflateRawSync(b)],
      ];
      for (const [coding, visitor, compress] of bodies) {
        const lines = Buffer.from([1, 2, 3].map((i) => line(i, visitor)).join('\n'));
        expect((await post('', compress(lines), { 'Content-Encoding': coding })).status, coding).toBe(204);
        expect(await conversions(visitor), coding).toBe(3);
        const json = Buffer.from(JSON.stringify([{ eventType: 'conversion', goalId: 7, nonce: nonce(2000 + visitor.length), visitorCode: `${visitor}-json` }]));
        expect((await post('json=true', compress(json), { 'Content-Encoding': coding, 'Content-Type': 'application/json' })).status, coding).toBe(204);
        expect(await conversions(`${visitor}-json`), coding).toBe(1);
      }
    });

    it.skipIf(skip)('decodes a chunked gzip body without Content-Length', async () => {
      const gz = zlib.gzipSync(Buffer.from([4, 5].map((i) => line(i, 'chunked')).join('\n')));
      const status = await new Promise<number>((resolve, reject) => {
        const req = http.request(`${server.url}/visit/events?siteCode=encoded`, { method: 'POST', headers: { 'Content-Encoding': 'gzip', 'Transfer-Encoding': 'chunked' } }, (res) => {
          res.resume();
          resolve(res.statusCode ?? 0);
        });
        req.on('error', reject);
        for (let i = 0; i < gz.length; i += 7) req.write(gz.subarray(i, i + 7));
        req.end();
      });
      expect(status).toBe(204);
      expect(await conversions('chunked')).toBe(2);
    });

    it.skipIf(skip)('answers a zip bomb 413 at the limit without inflating it, and stays usable', async () => {
      // 200 gzip members of 5 MB of zeros: 1 GB once inflated, about 1 MB on the wire.
      const member = zlib.gzipSync(Buffer.alloc(5 * 1024 * 1024, 0x61));
      const bomb = Buffer.concat(Array.from({ length: 200 }, () => member));
      expect(bomb.length).toBeLessThan(LIMITS.eventsBodyBytes);
      const cpu = process.cpuUsage();
      const res = await post('', bomb, { 'Content-Encoding': 'gzip' });
      expect(res.status).toBe(413);
      expect(await res.json()).toMatchObject({ code: 'body_too_large' });
      const used = process.cpuUsage(cpu);
      // Inflating the whole gigabyte takes seconds of CPU; stopping at 3 MB takes tens of milliseconds.
      expect((used.user + used.system) / 1000).toBeLessThan(1000);
      const after = await post('', zlib.gzipSync(Buffer.from(line(9, 'after-bomb'))), { 'Content-Encoding': 'gzip' });
      expect(after.status).toBe(204);
    });

    it.skipIf(skip)('survives a compressed body nobody reads: a zip bomb to a path with no route, or over the limit by its length', async () => {
      const member = zlib.gzipSync(Buffer.alloc(2 * 1024 * 1024));
      const bomb = Buffer.concat(Array.from({ length: 8 }, () => member));
      const nowhere = await fetch(`${server.url}/no/such/route`, { method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: new Uint8Array(bomb) });
      expect([404, 413]).toContain(nowhere.status);
      const options = await fetch(`${server.url}/visit/events?siteCode=encoded`, { method: 'DELETE', headers: { 'Content-Encoding': 'gzip' }, body: new Uint8Array(bomb) });
      expect([405, 413]).toContain(options.status);
      const huge = zlib.gzipSync(Buffer.alloc(LIMITS.eventsBodyBytes + 1024 * 1024, 0x41), { level: 0 });
      const tooLong = await fetch(`${server.url}/visit/events?siteCode=encoded`, { method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: new Uint8Array(huge) });
      expect(tooLong.status).toBe(413);
      expect((await fetch(`${server.url}/health`)).status).toBe(200);
    });

    it.skipIf(skip)('answers a body that is not what its Content-Encoding says 400 invalid_body', async () => {
      const res = await post('', Buffer.from(line(1, 'liar')), { 'Content-Encoding': 'gzip' });
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_body' });
      const truncated = zlib.gzipSync(Buffer.from(line(1, 'liar')));
      expect((await post('', truncated.subarray(0, truncated.length - 6), { 'Content-Encoding': 'gzip' })).status).toBe(400);
      expect(await conversions('liar')).toBe(0);
    });

    it.skipIf(skip)('answers any other encoding or charset 415 unsupported_media_type and stores nothing', async () => {
      for (const coding of ['br', 'zstd', 'compress', 'gzip, deflate']) {
        const res = await post('', Buffer.from(line(1, 'other')), { 'Content-Encoding': coding });
        expect(res.status, coding).toBe(415);
        expect(res.headers.get('accept-encoding')).toBe('gzip, deflate');
        expect(await res.json()).toMatchObject({ code: 'unsupported_media_type' });
      }
      const utf16 = await post('', Buffer.from(line(1, 'other'), 'utf16le'), { 'Content-Type': 'text/plain; charset=utf-16le' });
      expect(utf16.status).toBe(415);
      for (const path of ['/map/maps?siteCode=encoded', '/visit/forget?siteCode=encoded']) {
        const res = await fetch(`${server.url}${path}`, { method: 'POST', headers: { 'Content-Encoding': 'br', Authorization: `Bearer ${server.adminKey}` }, body: 'x' });
        expect(res.status, path).toBe(415);
      }
      expect(await conversions('other')).toBe(0);
    });

    it.skipIf(skip)('reads an ISO-8859-1 body in its charset', async () => {
      const res = await post('verdicts=true', Buffer.from(`eventType=page&href=/caf\u00e9&title=Caf\u00e9&nonce=${nonce(3000)}&visitorCode=latin`, 'latin1'), { 'Content-Type': 'text/plain; charset=ISO-8859-1' });
      expect(res.status).toBe(200);
      const visit = (await readAll(server.url, 'encoded', 'visitorCode=latin')).currentVisit as { pageEvents: { data: { title: string } }[] };
      expect(visit.pageEvents[0]!.data.title).toBe('Caf\u00e9');
    });

    it.skipIf(skip)('applies the decoded limit of each route: a map body inflating past 1 MB is 413', async () => {
      const big = zlib.gzipSync(Buffer.from(JSON.stringify({ k: { f: 'x'.repeat(LIMITS.mapsBodyBytes) } })));
      const res = await fetch(`${server.url}/map/maps?siteCode=encoded`, { method: 'POST', headers: { 'Content-Encoding': 'gzip' }, body: new Uint8Array(big) });
      expect(res.status).toBe(413);
    });
  });

  describe('identifiers and names', () => {
    const auth = () => ({ Authorization: `Bearer ${server.adminKey}` });
    // A URL is UTF-8 bytes, so a lone surrogate can only arrive in a JSON body.
    const inQuery = ['a\u0000b', 'a\tb', 'line\nbreak', 'del\u007f'];
    const bad = [...inQuery, 'x\ud800'];

    it.skipIf(skip)('refuses a control character or lone surrogate in a query identity with 400 invalid_query, never a 500', async () => {
      for (const value of inQuery) {
        for (const kind of ['visitorCode', 'mappingValue']) {
          for (const path of [`/visit/visitor?siteCode=ids&${kind}=`, `/api/sites/ids/experiments/1/explain?${kind}=`]) {
            const res = await fetch(`${server.url}${path}${encodeURIComponent(value)}`, { headers: auth() });
            const body = (await res.json()) as { code: string };
            expect(res.status, `${path} ${JSON.stringify(value)}`).toBeLessThan(500);
            if (path.startsWith('/visit')) expect([res.status, body.code], `${path} ${JSON.stringify(value)}`).toEqual([400, 'invalid_query']);
          }
        }
      }
    });

    it.skipIf(skip)('rejects such identities on events, in links and on forget lines alike', async () => {
      const lines = [
        `eventType=activity&nonce=${nonce(4000)}&visitorCode=a%00b`,
        `eventType=activity&nonce=${nonce(4001)}&mappingValue=a%09b`,
        `eventType=customData&index=1&valuesCountMap=${encodeURIComponent(JSON.stringify({ 'user\u0000x': 1 }))}&mappingIdentifier=true&nonce=${nonce(4002)}&visitorCode=linker`,
        `eventType=customData&index=1&valuesCountMap=${encodeURIComponent(JSON.stringify({ ['u'.repeat(300)]: 1 }))}&mappingIdentifier=true&nonce=${nonce(4003)}&visitorCode=linker`,
        `eventType=activity&nonce=${nonce(4005)}&visitorCode=fine`,
      ];
      const res = await postEvents(server.url, 'siteCode=ids&verdicts=true', lines.join('\n'));
      expect((res.json as { events: { code?: string }[] }).events.map((e) => e.code)).toEqual(['invalid_identity', 'invalid_identity', 'invalid_field', 'invalid_field', undefined]);
      const query = await postEvents(server.url, `siteCode=ids&verdicts=true&visitorCode=${encodeURIComponent('q\u0000')}`, `eventType=activity&nonce=${nonce(4004)}`);
      expect(query.status).toBe(400);
      expect(query.json).toMatchObject({ code: 'invalid_events', errors: [{ code: 'invalid_identity' }] });
      for (const value of bad.slice(0, 1)) {
        const forget = await fetch(`${server.url}/visit/forget?siteCode=ids`, { method: 'POST', headers: auth(), body: `ok\n${value}` });
        expect(forget.status).toBe(400);
        expect(await forget.json()).toMatchObject({ code: 'invalid_body' });
      }
    });

    it.skipIf(skip)('refuses such map keys in queries and bodies with 400, never a 500', async () => {
      for (const value of inQuery) {
        const one = await fetch(`${server.url}/map/map?siteCode=ids&key=${encodeURIComponent(value)}`);
        expect(one.status, JSON.stringify(value)).toBe(400);
      }
      for (const value of bad) {
        const many = await fetch(`${server.url}/map/maps?siteCode=ids&keys=${encodeURIComponent(JSON.stringify(['ok', value]))}`);
        expect(many.status, JSON.stringify(value)).toBe(400);
        const write = await fetch(`${server.url}/map/maps?siteCode=ids`, { method: 'POST', body: JSON.stringify({ [value]: { f: 1 } }) });
        expect(write.status, JSON.stringify(value)).toBe(400);
        expect(await write.json()).toMatchObject({ code: 'invalid_body' });
      }
      // Inside a map's JSON a NUL is just an escaped character, on both engines.
      expect((await fetch(`${server.url}/map/maps?siteCode=ids`, { method: 'POST', body: JSON.stringify({ k: { f: 'a\u0000b', ['g\u0000']: 1 } }) })).status).toBe(204);
      expect(await (await fetch(`${server.url}/map/map?siteCode=ids&key=k`)).json()).toEqual({ f: 'a\u0000b', ['g\u0000']: 1 });
    });

    it.skipIf(skip)('refuses control characters in registry names and SDK names, which are stored as text', async () => {
      const put = await fetch(`${server.url}/api/sites/ids/experiments/5`, { method: 'PUT', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'a\u0000b' }) });
      expect(put.status).toBe(400);
      const goal = await fetch(`${server.url}/api/sites/ids/goals/5`, { method: 'PUT', headers: { ...auth(), 'Content-Type': 'application/json' }, body: JSON.stringify({ name: 'g\u0000' }) });
      expect(goal.status).toBe(400);
      for (const param of ['sdkName', 'sdkVersion']) {
        const res = await postEvents(server.url, `siteCode=ids&visitorCode=v&${param}=a%00b`, `eventType=activity&nonce=${nonce(4100)}`);
        expect(res.status, param).toBe(400);
      }
    });
  });

  describe('maps', () => {
    it.skipIf(skip)('keeps a field named __proto__ (it was dropped with a 204)', async () => {
      const body = '{"protokey":{"__proto__":{"admin":true},"constructor":"c","plain":1}}';
      expect((await fetch(`${server.url}/map/maps?siteCode=maps`, { method: 'POST', body })).status).toBe(204);
      const read = await (await fetch(`${server.url}/map/map?siteCode=maps&key=protokey`)).text();
      expect(JSON.parse(read)).toEqual(JSON.parse('{"__proto__":{"admin":true},"constructor":"c","plain":1}'));
      await fetch(`${server.url}/map/maps?siteCode=maps`, { method: 'POST', body: '{"protokey":{"__proto__":null}}' });
      expect(await (await fetch(`${server.url}/map/map?siteCode=maps&key=protokey`)).json()).toEqual({ constructor: 'c', plain: 1 });
    });

    it.skipIf(skip)(`refuses a GET /map/maps whose answer would exceed ${LIMITS.mapReadBytes} bytes, before loading it`, async () => {
      const value = 'x'.repeat(LIMITS.mapStoredBytes - 100);
      for (let i = 0; i < 5; i++) {
        const res = await fetch(`${server.url}/map/maps?siteCode=maps`, { method: 'POST', body: JSON.stringify({ [`big${i}`]: { v: value } }) });
        expect(res.status).toBe(204);
      }
      const read = (keys: string[]) => fetch(`${server.url}/map/maps?siteCode=maps&keys=${encodeURIComponent(JSON.stringify(keys))}`);
      const over = await read(['big0', 'big1', 'big2', 'big3', 'big4', 'absent']);
      expect(over.status).toBe(400);
      expect(await over.json()).toMatchObject({ code: 'answer_too_large' });
      const within = await read(['big0', 'big1', 'big2', 'absent']);
      expect(within.status).toBe(200);
      expect(Object.keys((await within.json()) as object)).toEqual(['big0', 'big1', 'big2']);
    });
  });
});
