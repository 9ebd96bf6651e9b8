import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
let nonce = 0x1000;
const n = () => (nonce++).toString(16).padStart(16, '0');

/** Events of an experiment told as line-format bodies with explicit times (offline backfill). */
function scenario(now: number): string[] {
  const t = (hoursAgo: number) => now - hoursAgo * HOUR;
  const lines: string[] = [];
  // Reference (variation 1): 4 visitors exposed, 1 converts online.
  for (let i = 0; i < 4; i++) lines.push(`eventType=experiment&id=500&variationId=1&nonce=${n()}&visitorCode=ref${i}&time=${t(100)}`);
  lines.push(`eventType=conversion&goalId=7&revenue=20&nonce=${n()}&visitorCode=ref0&time=${t(99.9)}`);
  // Variation 2: 4 visitors exposed; an offline conversion 3 days later counts, one 9 days later does not.
  for (let i = 0; i < 4; i++) lines.push(`eventType=experiment&id=500&variationId=2&nonce=${n()}&visitorCode=var${i}&time=${t(240)}`);
  lines.push(`eventType=conversion&goalId=7&revenue=50&nonce=${n()}&visitorCode=var0&time=${t(240 - 72)}`);
  lines.push(`eventType=conversion&goalId=7&revenue=30&nonce=${n()}&visitorCode=var1&time=${t(240 - 9 * 24)}`);
  // A refund inside the window nets revenue and is not a conversion.
  lines.push(`eventType=conversion&goalId=7&revenue=10&negative=true&nonce=${n()}&visitorCode=var0&time=${t(240 - 96)}`);
  // Cross-device: var2's phone is linked to user u9; a store purchase posted by user id counts for var2.
  lines.push(`eventType=customData&index=3&valuesCountMap=%7B%22u9%22%3A1%7D&mappingIdentifier=true&nonce=${n()}&visitorCode=var2&time=${t(239)}`);
  lines.push(`eventType=conversion&goalId=7&revenue=15&nonce=${n()}&mappingValue=u9&time=${t(200)}`);
  return lines;
}

describe('experiment results over HTTP', () => {
  let server: TestServer;
  const now = Date.now();
  const lines = scenario(now);
  const auth = () => ({ Authorization: `Bearer ${server.adminKey}` });
  const results = async (site: string, query = '') => {
    const res = await fetch(`${server.url}/api/sites/${site}/experiments/500/results${query}`, { headers: auth() });
    expect(res.status).toBe(200);
    return (await res.json()) as any;
  };

  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });

  it('refuses the admin and results API without the admin key', async () => {
    for (const headers of [{}, { Authorization: 'Bearer wrong-key-wrong-key' }, { Authorization: server.adminKey }] as Record<string, string>[]) {
      const res = await fetch(`${server.url}/api/sites/s1/experiments/500/results`, { headers });
      expect(res.status).toBe(401);
      expect(await res.json()).toMatchObject({ code: 'unauthorized' });
    }
  });

  it('attributes offline, refunded and cross-device conversions within the window', async () => {
    const post = await fetch(`${server.url}/visit/events?siteCode=s1`, { method: 'POST', body: lines.join('\n') });
    expect(post.status).toBe(204);
    await server.settle();
    const body = await results('s1');
    expect(body.experiment).toMatchObject({ id: 500, referenceVariationId: 1 });
    expect(body.units).toEqual({ 1: 4, 2: 4 });
    const goal = body.goals.find((g: any) => g.goalId === 7);
    const [ref, variation] = goal.variations;
    expect(ref).toMatchObject({ variationId: 1, reference: true, units: 4, convertedUnits: 1, conversions: 1, revenue: 20, comparison: null });
    expect(variation).toMatchObject({ variationId: 2, units: 4, convertedUnits: 2, conversions: 2, revenue: 55 });
    expect(variation.comparison.conversionRate.frequentist.relativeImprovement.value).toBeCloseTo(1, 12);
    expect(variation.comparison.conversionRate.probabilityToBeat.value).toBeGreaterThan(0.5);
    expect(body.health.srm).toMatchObject({ mismatch: false, observed: [4, 4] });
    expect(goal.series.at(-1).variations['2']).toMatchObject({ units: 4, convertedUnits: 2, conversions: 2 });
  });

  it('explains why each conversion counted or not', async () => {
    const res = await fetch(`${server.url}/api/sites/s1/experiments/500/explain?visitorCode=var1`, { headers: auth() });
    const body = (await res.json()) as any;
    expect(body).toMatchObject({ exposed: true, variationId: 2 });
    expect(body.conversions).toHaveLength(1);
    expect(body.conversions[0]).toMatchObject({ counted: false, reason: 'after_window' });
    expect(body.conversions[0].explanation).toMatch(/attribution window/);
  });

  it('converges to the same results whatever the order, splitting and replays of the events', async () => {
    const shuffled = [...lines].reverse();
    for (let i = 0; i < shuffled.length; i += 3) {
      const body = shuffled.slice(i, i + 3).join('\n');
      await fetch(`${server.url}/visit/events?siteCode=s2`, { method: 'POST', body });
      await fetch(`${server.url}/visit/events?siteCode=s2`, { method: 'POST', body });
    }
    await server.settle();
    const strip = (r: any) => ({ ...r, siteCode: undefined, pendingRecomputations: undefined });
    expect(strip(await results('s2'))).toEqual(strip(await results('s1')));
  });

  it('recomputes when the attribution window changes', async () => {
    const patch = await fetch(`${server.url}/api/sites/s1`, {
      method: 'PATCH',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ attributionWindowMs: 10 * DAY }),
    });
    expect(patch.status).toBe(200);
    await server.settle();
    const goal = (await results('s1')).goals.find((g: any) => g.goalId === 7);
    expect(goal.variations[1]).toMatchObject({ convertedUnits: 3, conversions: 3, revenue: 85 });
  });

  it('registers experiments and goals seen in events and lets the admin name them', async () => {
    const put = await fetch(`${server.url}/api/sites/s1/experiments/500`, {
      method: 'PUT',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ name: 'Checkout', variations: [{ id: 1, name: 'Control' }, { id: 2, name: 'One-page' }], referenceVariationId: 1 }),
    });
    expect(put.status).toBe(200);
    const list = (await (await fetch(`${server.url}/api/sites/s1/experiments`, { headers: auth() })).json()) as any;
    expect(list.experiments[0]).toMatchObject({ id: 500, name: 'Checkout', variations: [{ id: 1, name: 'Control' }, { id: 2, name: 'One-page' }] });
    const goals = (await (await fetch(`${server.url}/api/sites/s1/goals`, { headers: auth() })).json()) as any;
    expect(goals.goals).toEqual([{ id: 7, name: 'Goal 7', kind: 'conversion' }]);
    const bad = await fetch(`${server.url}/api/sites/s1/experiments/500`, {
      method: 'PUT',
      headers: auth(),
      body: JSON.stringify({ name: '', analysisPeriod: { start: 5, end: 1 } }),
    });
    expect(bad.status).toBe(400);
    expect(await bad.json()).toMatchObject({ code: 'invalid_body' });
  });

  it('answers visit-level results', async () => {
    const body = await results('s1', '?level=visit');
    expect(body.level).toBe('visit');
    const goal = body.goals.find((g: any) => g.goalId === 7);
    expect(goal.variations[0]).toMatchObject({ units: 4, convertedUnits: 1 });
    expect(goal.variations[0].comparison).toBeNull();
    expect(goal.variations[1].comparison.conversionRate.cuped).toBeNull();
  });
});
