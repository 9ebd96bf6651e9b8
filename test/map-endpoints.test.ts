import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const SITE = 'maps01';

describe('map endpoints over HTTP', () => {
  let server: TestServer;
  const post = (body: string, query = '') =>
    fetch(`${server.url}/map/maps?siteCode=${SITE}${query}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body });
  const getOne = async (key: string) => {
    const res = await fetch(`${server.url}/map/map?siteCode=${SITE}&key=${encodeURI(key)}`);
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('stores the reference example and serves it back, one key or several', async () => {
    const res = await post(
      '{"keyToUpdate":{"field1":"newStringValue","field2":["a","b"]},"keyToDelete":{},"someVisitorCode":{"someMapProperty":{"name1":0,"name2":["a","b","c"]},"someBooleanProperty":true,"someNumberProperty":25}}',
    );
    expect(res.status).toBe(204);
    expect(await res.text()).toBe('');
    expect(await getOne('keyToUpdate')).toEqual({ status: 200, body: { field1: 'newStringValue', field2: ['a', 'b'] } });
    const many = await fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=${encodeURIComponent('["keyToUpdate","someVisitorCode","keyToDelete","nothing"]')}`);
    expect(many.status).toBe(200);
    expect(await many.json()).toEqual({
      keyToUpdate: { field1: 'newStringValue', field2: ['a', 'b'] },
      someVisitorCode: { someMapProperty: { name1: 0, name2: ['a', 'b', 'c'] }, someBooleanProperty: true, someNumberProperty: 25 },
    });
  });

  it('merges shallowly: fields overwrite, null deletes a field, {} deletes the key', async () => {
    await post('{"m1":{"a":1,"b":{"x":1},"c":"keep"}}');
    await post('{"m1":{"a":2,"b":{"y":2},"c":null,"d":[1]}}');
    expect((await getOne('m1')).body).toEqual({ a: 2, b: { y: 2 }, d: [1] });
    await post('{"m1":{"a":null,"b":null,"d":null}}');
    expect(await getOne('m1')).toEqual({ status: 200, body: {} });
    await post('{"m2":{"a":1}}');
    await post('{"m2":{}}');
    expect(await getOne('m2')).toEqual({ status: 200, body: {} });
  });

  it('answers {} (200, JSON) for a key that was never written and for an unknown site', async () => {
    expect(await getOne('never-written')).toEqual({ status: 200, body: {} });
    const res = await fetch(`${server.url}/map/map?siteCode=neverSeenSite&key=abc`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/application\/json/);
    expect(await res.json()).toEqual({});
  });

  it('keeps + and other encodeURI-safe characters of a key literally', async () => {
    await post('{"a+b@c.d":{"v":1}}');
    expect((await getOne('a+b@c.d')).body).toEqual({ v: 1 });
  });

  it('pretty-prints on prettyPrint=true', async () => {
    await post('{"pp":{"a":1}}');
    const res = await fetch(`${server.url}/map/map?siteCode=${SITE}&key=pp&prettyPrint=true`);
    expect(await res.text()).toBe('{\n  "a": 1\n}');
  });

  it('refuses each limit with a clear 4xx {message, code} and writes nothing', async () => {
    const cases: [Promise<Response>, number, string, RegExp][] = [
      [post(JSON.stringify({ ['k'.repeat(101)]: { a: 1 } })), 400, 'invalid_body', /100 characters/],
      [post(JSON.stringify({ k: { ['f'.repeat(1025)]: 1 } })), 400, 'invalid_body', /1024 characters/],
      [post('{"ok":{"a":1},"bad":[1]}'), 400, 'invalid_body', /must be a JSON object of fields/],
      [post('[1,2]'), 400, 'invalid_body', /JSON object of keys/],
      [post('{"x":'), 400, 'invalid_body', /not valid JSON/],
      [post(''), 400, 'invalid_body', /not valid JSON/],
      [post(`{"deep":{"v":${'['.repeat(100_000)}${']'.repeat(100_000)}}}`), 400, 'invalid_body', /nests deeper than 64/],
      [post(JSON.stringify({ big: { v: 'x'.repeat(1024 * 1024) } })), 413, 'body_too_large', /./],
      [post('{"t":{"a":1}}', '&ttlHours=8785'), 400, 'invalid_query', /1 to 8784/],
      [post('{"t":{"a":1}}', '&ttlHours=0'), 400, 'invalid_query', /ttlHours/],
      [post('{"t":{"a":1}}', '&ttlHours=-5'), 400, 'invalid_query', /ttlHours/],
      [post('{"t":{"a":1}}', '&ttlHours=1.5'), 400, 'invalid_query', /ttlHours/],
      [fetch(`${server.url}/map/map?siteCode=${SITE}&key=${'k'.repeat(101)}`), 400, 'invalid_query', /100 characters/],
      [fetch(`${server.url}/map/map?siteCode=${SITE}&key=`), 400, 'invalid_query', /empty/],
      [fetch(`${server.url}/map/map?siteCode=${SITE}`), 400, 'invalid_query', /key/],
      [fetch(`${server.url}/map/map?siteCode=bad%20site&key=a`), 400, 'invalid_query', /siteCode/],
      [fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=${encodeURIComponent(JSON.stringify(Array.from({ length: 101 }, (_, i) => `k${i}`)))}`), 400, 'invalid_query', /at most 100/],
      [fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=notjson`), 400, 'invalid_query', /JSON array/],
      [fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=%5B1%5D`), 400, 'invalid_query', /JSON array/],
      [fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=%5B%5D`), 400, 'invalid_query', /at least one/],
    ];
    for (const [pending, status, code, message] of cases) {
      const res = await pending;
      const body = (await res.json()) as { message: string; code: string };
      expect({ status: res.status, code: body.code }).toEqual({ status, code });
      expect(body.message).toMatch(message);
    }
    expect(await getOne('ok')).toEqual({ status: 200, body: {} });
    expect(await getOne('t')).toEqual({ status: 200, body: {} });
  });

  it('refuses a merge that would grow a key past 1 MB (map_too_large) and keeps the key as it was', async () => {
    const half = 'x'.repeat(600 * 1024);
    expect((await post(JSON.stringify({ grow: { a: half } }))).status).toBe(204);
    const res = await post(JSON.stringify({ other: { z: 1 }, grow: { b: half } }));
    expect(res.status).toBe(413);
    expect(((await res.json()) as { code: string }).code).toBe('map_too_large');
    expect(Object.keys((await getOne('grow')).body)).toEqual(['a']);
    expect(await getOne('other')).toEqual({ status: 200, body: {} });
  });

  it('accepts 100 keys in one GET /map/maps and the maximum ttlHours', async () => {
    const keys = Array.from({ length: 100 }, (_, i) => `bulk${i}`);
    expect((await post(JSON.stringify(Object.fromEntries(keys.map((k) => [k, { k }]))), '&ttlHours=8784')).status).toBe(204);
    const res = await fetch(`${server.url}/map/maps?siteCode=${SITE}&keys=${encodeURIComponent(JSON.stringify(keys))}`);
    expect(Object.keys((await res.json()) as object)).toHaveLength(100);
  });
});
