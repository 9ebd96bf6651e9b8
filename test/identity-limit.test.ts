import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { nonce, postEvents, postForVerdicts, readAll } from './helpers/visit-api.ts';

/**
 * The cap on events per identity over real HTTP, against a client that floods one visitor code:
 * every event past the cap is refused with its own code, in either body format, never dropped in
 * silence, and the visitor's reads stay bounded by it.
 */
describe('POST /visit/events: events per identity', () => {
  let server: TestServer;
  const CAP = 100;
  beforeAll(async () => {
    server = await startTestServer({ ANOLE_MAX_EVENTS_PER_IDENTITY: String(CAP) });
  });
  afterAll(async () => {
    await server.stop();
  });

  const lines = (from: number, count: number) =>
    Array.from({ length: count }, (_, i) => `eventType=page&href=https%3A%2F%2Fx.example%2F${from + i}&title=p&nonce=${nonce(from + i)}`).join('\n');

  it('line format: stores up to the cap and rejects every later line with identity_event_limit', async () => {
    const report = await postForVerdicts(server.url, 'siteCode=flood&visitorCode=bot', lines(1, 250));
    expect(report).toMatchObject({ accepted: CAP, duplicate: 0, rejected: 150 });
    expect(report.events.slice(CAP).every((v) => v.status === 'rejected' && v.code === 'identity_event_limit')).toBe(true);
    expect(report.events[CAP]).toMatchObject({ line: CAP + 1, nonce: nonce(CAP + 1) });
    // Without verdicts the answer is 204, as for any rejected line; a replay of stored lines is still a duplicate.
    const quiet = await postEvents(server.url, 'siteCode=flood&visitorCode=bot', lines(1, 120));
    expect(quiet.status).toBe(204);
    const again = await postForVerdicts(server.url, 'siteCode=flood&visitorCode=bot', lines(95, 10));
    expect(again.events.map((v) => v.status)).toEqual([...Array(6).fill('duplicate'), ...Array(4).fill('rejected')]);
    // The same value as a mapping value is another identity, with room of its own.
    expect(await postForVerdicts(server.url, 'siteCode=flood&mappingValue=bot', lines(1000, 3))).toMatchObject({ accepted: 3 });
    // The visitor code's read holds its capped history plus the unlinked mapping value's events (which resolve to it).
    const visitor = await readAll(server.url, 'flood', 'visitorCode=bot');
    expect((visitor.currentVisit as { pageEvents: unknown[] }).pageEvents).toHaveLength(CAP + 3);
  });

  it('json=true: answers 413 identity_event_limit listing the refused events, and says what was stored', async () => {
    const events = Array.from({ length: CAP + 5 }, (_, i) => ({ eventType: 'conversion', goalId: 1, nonce: nonce(5000 + i) }));
    const r = await postEvents(server.url, 'siteCode=flood&visitorCode=buyer&json=true', JSON.stringify(events), { 'Content-Type': 'application/json' });
    expect(r.status).toBe(413);
    const body = r.json as { code: string; message: string; errors: { index: number; code: string }[]; accepted: number };
    expect(body.code).toBe('identity_event_limit');
    expect(body.accepted).toBe(CAP);
    expect(body.message).toContain(`the ${CAP} others were stored`);
    expect(body.errors.map((e) => e.index)).toEqual([100, 101, 102, 103, 104]);
    expect(body.errors.every((e) => e.code === 'identity_event_limit')).toBe(true);
    expect(body).toMatchObject({ duplicate: 0, rejections: { listed: 5, byCode: { identity_event_limit: 5 }, indices: '100-104' } });
  });

  it('json=true: a flood past the cap lists the first 1,000 refused events and locates every one', async () => {
    const flood = 6_000;
    const events = Array.from({ length: flood }, (_, i) => ({ eventType: 'conversion', goalId: 1, nonce: nonce(20_000 + i) }));
    const payload = JSON.stringify(events);
    const r = await postEvents(server.url, 'siteCode=flood&visitorCode=flooder&json=true', payload, { 'Content-Type': 'application/json' });
    expect(r.status).toBe(413);
    const body = r.json as { code: string; errors: { index: number }[]; accepted: number; rejections: { listed: number; byCode: Record<string, number>; indices: string } };
    expect(body).toMatchObject({ code: 'identity_event_limit', accepted: CAP });
    expect(body.errors).toHaveLength(1_000);
    expect(body.errors[0]!.index).toBe(CAP);
    expect(body.rejections).toEqual({ listed: 1_000, byCode: { identity_event_limit: flood - CAP }, indices: `${CAP}-${flood - 1}` });
    expect(r.text.length).toBeLessThan(payload.length);
  });
});
