import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LIMITS } from '../src/core/limits.ts';
import { engineCases } from './helpers/engine-servers.ts';
import type { TestServer } from './helpers/test-server.ts';
import { nonce, postEvents } from './helpers/visit-api.ts';

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
    expect(performance.now() - started).toBeLessThan(1000);
    expect(events.status).toBe(400);
    expect(events.json).toMatchObject({ code: 'invalid_events' });
    expect(JSON.stringify(events.json)).toContain(`at most ${LIMITS.numberLength} characters`);
    expect((line.json as { events: { code: string }[] }).events[0]).toMatchObject({ code: 'invalid_field' });
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
});
