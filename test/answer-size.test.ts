import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CappedReport, Rejections } from '../src/http/answer-caps.ts';
import { LIMITS } from '../src/core/limits.ts';
import { answerSizeCases } from './helpers/answer-size-cases.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { nonce, postEvents } from './helpers/visit-api.ts';

/** What the first 1,000 rejections and 1,000 warnings listed whole may cost, whatever the body (docs/limits.md). */
const FIXED_COST = 600_000;
/** Past that, an answer is at most this many times its body: a verdict per stored event is ~1.5 × the shortest valid line. */
const RATIO = 1.6;

describe('POST /visit/events answers are never many times their body', () => {
  let server: TestServer;
  let site = 0;
  beforeAll(async () => {
    server = await startTestServer({ ANOLE_RATE_LIMITS: 'off' });
  });
  afterAll(async () => {
    await server.stop();
  });

  for (const c of answerSizeCases()) {
    it(`${c.name}: answer ≤ ${RATIO} × body + ${FIXED_COST / 1000} kB`, async () => {
      const r = await postEvents(server.url, `siteCode=size${++site}&${c.query}`, c.body, { 'Content-Type': 'text/plain' });
      expect(r.status, r.text.slice(0, 300)).toBe(c.status);
      expect(Buffer.byteLength(r.text)).toBeLessThanOrEqual(RATIO * Buffer.byteLength(c.body) + FIXED_COST);
    });
  }

  it('an all-invalid line body lists the first 1,000 errors and locates all of them', async () => {
    const body = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? 'x' : 'eventType=q')).join('\n\n');
    const r = await postEvents(server.url, 'siteCode=size-lines&visitorCode=v', body);
    expect(r.status).toBe(400);
    const answer = r.json as { code: string; errors: { line: number; code: string; message: string }[]; rejections: Rejections };
    expect(answer.code).toBe('invalid_events');
    expect(answer.errors).toHaveLength(LIMITS.listedRejections);
    expect(answer.errors[999]).toMatchObject({ line: 1999, code: 'unknown_event_type', message: expect.stringContaining('is not supported') });
    expect(answer.rejections).toEqual({ listed: 1000, byCode: { missing_event_type: 2500, unknown_event_type: 2500 }, lines: '1-9999' });
  });

  it('verdicts keep every stored event and the first 1,000 rejections; the others are found in rejections', async () => {
    const body = Array.from({ length: 4000 }, (_, i) => (i % 2 === 0 ? `eventType=activity&nonce=${nonce(i)}` : 'x')).join('\n');
    const r = await postEvents(server.url, 'siteCode=size-verdicts&visitorCode=v&verdicts=true', body);
    expect(r.status).toBe(200);
    expect(r.headers.get('anole-rejected-lines')).toBe('2000');
    const report = r.json as CappedReport;
    expect(report).toMatchObject({ accepted: 2000, rejected: 2000 });
    expect(report.events.filter((v) => v.status === 'accepted')).toHaveLength(2000);
    expect(report.events.filter((v) => v.status === 'rejected')).toHaveLength(1000);
    expect(report.rejections!.lines!.split(',')).toEqual(Array.from({ length: 2000 }, (_, i) => String(2 * i + 2)));
  });

  it('a JSON body with invalid items locates them by index; warnings past 1,000 are counted, not listed', async () => {
    const items = Array.from({ length: 3000 }, (_, i) => (i < 2000 ? { eventType: 'activity', nonce: nonce(i), x: 1, y: 2 } : 7));
    const r = await postEvents(server.url, 'siteCode=size-json&visitorCode=v&json=true', JSON.stringify(items));
    expect(r.status).toBe(400);
    const answer = r.json as { errors: unknown[]; rejections: Rejections };
    expect(answer.errors).toHaveLength(1000);
    expect(answer.rejections).toEqual({ listed: 1000, byCode: { invalid_event: 1000 }, indices: '2000-2999' });

    const dry = await postEvents(server.url, 'siteCode=size-json&visitorCode=v&json=true&dryRun=true', JSON.stringify(items.slice(0, 2000)));
    const report = dry.json as CappedReport;
    expect(report.ignoredFields).toBe(4000);
    expect(report.events.filter((v) => v.warnings)).toHaveLength(500);
    expect(report.warningsOmitted).toBe(1500);
  });
});
