import fs from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import * as bodies from '../src/admin/registry-admin.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** The admin API as a newcomer uses it: PUT replaces, PATCH changes only what it sends, errors say what is allowed. */
describe('admin bodies: PUT replaces, PATCH changes only what it sends', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const call = async (method: string, path: string, body?: unknown) => {
    const res = await fetch(`${server.url}/api/sites/admin-bodies${path}`, {
      method,
      headers: { Authorization: `Bearer ${server.adminKey}` },
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    return { status: res.status, json: (await res.json()) as Record<string, any> };
  };

  it('renames an experiment with PATCH and keeps its reference, split and period', async () => {
    const put = await call('PUT', '/experiments/4001', {
      name: 'Checkout',
      variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }],
      referenceVariationId: 2,
      trafficSplit: { '1': 1, '2': 3 },
      analysisPeriod: { start: 1_767_225_600_000, end: null },
    });
    expect(put.status).toBe(200);
    const patched = await call('PATCH', '/experiments/4001', { name: 'Checkout (green)', analysisPeriod: { end: 1_769_904_000_000 } });
    expect(patched.status).toBe(200);
    expect(patched.json.experiment).toEqual({
      id: 4001,
      name: 'Checkout (green)',
      variations: [{ id: 1, name: 'A' }, { id: 2, name: 'B' }],
      referenceVariationId: 2,
      trafficSplit: { '1': 1, '2': 3 },
      analysisPeriod: { start: 1_767_225_600_000, end: 1_769_904_000_000 },
      status: 'running',
    });
    expect(patched.json.recomputing).toBeGreaterThanOrEqual(0);
  });

  it('PUT is a full replace: what it leaves out takes its default, name included', async () => {
    const put = await call('PUT', '/experiments/4001', { status: 'paused' });
    expect(put.status).toBe(200);
    expect(put.json.experiment).toMatchObject({ name: 'Experiment 4001', referenceVariationId: null, trafficSplit: null, analysisPeriod: { start: null, end: null }, status: 'paused' });
    // Variations are never removed: results name them.
    expect(put.json.experiment.variations).toHaveLength(2);
  });

  it('PATCH creates a registry entry with the defaults, and refuses an inverted period with ISO dates', async () => {
    const created = await call('PATCH', '/experiments/77', { status: 'draft' });
    expect(created.json.experiment).toMatchObject({ id: 77, name: 'Experiment 77', status: 'draft' });
    const inverted = await call('PATCH', '/experiments/77', { analysisPeriod: { start: 1_769_904_000_000, end: 1_767_225_600_000 } });
    expect(inverted).toEqual({
      status: 400,
      json: { code: 'invalid_body', message: 'analysisPeriod.start (2026-02-01T00:00:00.000Z) must not be after analysisPeriod.end (2026-01-01T00:00:00.000Z)' },
    });
  });

  it('goals: PUT without a name gets `Goal <id>`; PATCH changes the name and keeps the kind', async () => {
    expect((await call('PUT', '/goals/9', { kind: 'revenue' })).json).toEqual({ id: 9, name: 'Goal 9', kind: 'revenue' });
    expect((await call('PATCH', '/goals/9', { name: 'In-store purchase' })).json).toEqual({ id: 9, name: 'In-store purchase', kind: 'revenue' });
    expect((await call('GET', '/goals')).json.goals).toContainEqual({ id: 9, name: 'In-store purchase', kind: 'revenue' });
  });

  it('validation errors list the allowed keys and values', async () => {
    expect((await call('PATCH', '', { horizon: 5 })).json.message).toBe(
      'body: unknown key "horizon"; allowed keys: visitTimeoutMs, attributionWindowMs, lateEventHorizonMs, privateIngest, privateReads, openForget, ingestRequestsPerMinute, readRequestsPerMinute, maxRegistryEntries, maxMapBytes',
    );
    expect((await call('PATCH', '/experiments/1', { analysisPeriod: { begin: 1 } })).json.message).toBe('analysisPeriod: unknown key "begin"; allowed keys: start, end');
    expect((await call('PATCH', '/goals/1', { kind: 'sale' })).json.message).toBe('kind: Invalid option: expected one of "conversion"|"revenue"|"engagement"|"custom"');
    expect((await call('GET', '/experiments/4001/results?level=person')).json).toEqual({ code: 'invalid_query', message: 'invalid query: query parameter level must be one of: visitor, visit' });
    expect((await call('GET', '/experiments/4001/results?confidence=95')).json.message).toBe('invalid query: query parameter confidence must be a decimal between 0 and 1 such as 0.95');
    expect((await call('GET', '/experiments/x1')).json.message).toBe('invalid query: path parameter experimentId must be a whole number (digits only)');
    const flag = await fetch(`${server.url}/visit/events?siteCode=admin-bodies&json=yes`, { method: 'POST', body: '' });
    expect(((await flag.json()) as { message: string }).message).toBe('invalid query: query parameter json must be true or false (1 and 0, in any case, also work)');
  });

  it('results warnings agree in number ("1 person was exposed …")', async () => {
    const body = ['eventType=experiment&id=4001&variationId=1&nonce=00000000000000a1', 'eventType=experiment&id=4001&variationId=2&nonce=00000000000000a2'].join('\n');
    expect((await fetch(`${server.url}/visit/events?siteCode=admin-bodies&visitorCode=twice`, { method: 'POST', body })).status).toBe(204);
    await server.settle();
    const results = await call('GET', '/experiments/4001/results');
    expect(results.json.health.warnings).toContain('1 person was exposed to more than one variation; each counts in its first');
  });
});

describe('docs/admin-api.md', () => {
  it('shows only examples the server accepts, each with the schema it names', () => {
    const doc = fs.readFileSync(new URL('../docs/admin-api.md', import.meta.url), 'utf8');
    const examples = [...doc.matchAll(/<!-- example: (\w+) -->\n```json\n([\s\S]*?)\n```/g)];
    expect(examples.length).toBeGreaterThanOrEqual(6);
    for (const [, name, json] of examples) {
      const schema = (bodies as unknown as Record<string, Parameters<typeof bodies.parseBody>[0]>)[name!];
      expect(schema, name).toBeDefined();
      expect(() => bodies.parseBody(schema!, json!), `${name}: ${json}`).not.toThrow();
    }
  });
});
