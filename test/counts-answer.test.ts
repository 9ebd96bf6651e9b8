import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { CountsAnswer } from '../src/http/answer-caps.ts';
import { LIMITS } from '../src/core/limits.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';
import { nonce, postEvents } from './helpers/visit-api.ts';

const activity = (i: number) => `eventType=activity&nonce=${nonce(i)}`;

describe('POST /visit/events?answer=counts', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer({ ANOLE_RATE_LIMITS: 'off' });
  });
  afterAll(async () => {
    await server.stop();
  });

  it('tells stored, duplicate and rejected events apart and lists only the rejected ones', async () => {
    const body = [activity(1), activity(1), 'eventType=conversion&nonce=zz', '', activity(2), 'eventType=page&nonce=' + nonce(3)].join('\n');
    const r = await postEvents(server.url, 'siteCode=counts1&visitorCode=v&answer=counts', body);
    expect(r.status, r.text).toBe(200);
    expect(r.headers.get('anole-rejected-lines')).toBe('2');
    expect(r.json).toEqual({
      siteCode: 'counts1',
      format: 'lines',
      dryRun: false,
      stored: 2,
      duplicate: 1,
      rejected: 2,
      rejectedByCode: { invalid_nonce: 1, missing_field: 1 },
      ignoredFields: 0,
      stringValues: 0,
      errors: [
        { line: 3, status: 'rejected', nonce: 'zz', code: 'invalid_nonce', message: expect.any(String) },
        { line: 6, status: 'rejected', nonce: nonce(3), code: 'missing_field', message: expect.stringContaining('href') },
      ],
      // Lines 3 and 6 are not one range: the answer does not know that line 4 is blank and 5 stored.
      rejections: { listed: 2, byCode: { invalid_nonce: 1, missing_field: 1 }, lines: '3,6' },
    });

    // Sent again: every valid line is a duplicate now, nothing is stored twice.
    const again = (await postEvents(server.url, 'siteCode=counts1&visitorCode=v&answer=counts', body)).json as CountsAnswer;
    expect(again).toMatchObject({ stored: 0, duplicate: 3, rejected: 2 });
  });

  it('answers a body with no rejection in a few bytes, whatever its size', async () => {
    const body = Array.from({ length: 20_000 }, (_, i) => activity(1000 + i)).join('\n');
    const r = await postEvents(server.url, 'siteCode=counts2&visitorCode=v&answer=counts', body);
    expect(r.status).toBe(200);
    expect(r.headers.get('anole-rejected-lines')).toBeNull();
    expect(r.json).toEqual({ siteCode: 'counts2', format: 'lines', dryRun: false, stored: 20_000, duplicate: 0, rejected: 0, rejectedByCode: {}, ignoredFields: 0, stringValues: 0, errors: [] });
    expect(r.text.length).toBeLessThan(200);
  });

  it('lists the first 1,000 rejected events whole and locates every one', async () => {
    const body = Array.from({ length: 5000 }, (_, i) => (i % 2 === 0 ? activity(100_000 + i) : i % 4 === 1 ? 'x' : 'eventType=q')).join('\n');
    const r = await postEvents(server.url, 'siteCode=counts3&visitorCode=v&answer=counts', body);
    expect(r.status).toBe(200);
    const answer = r.json as CountsAnswer;
    expect(answer).toMatchObject({ stored: 2500, duplicate: 0, rejected: 2500, rejectedByCode: { missing_event_type: 1250, unknown_event_type: 1250 } });
    expect(answer.errors).toHaveLength(LIMITS.listedRejections);
    expect(answer.errors.every((v) => v.status === 'rejected' && v.line! % 2 === 0)).toBe(true);
    expect(answer.rejections!.listed).toBe(LIMITS.listedRejections);
    expect(answer.rejections!.lines!.split(',')).toEqual(Array.from({ length: 2500 }, (_, i) => String(2 * i + 2)));
    // The same body with a verdict per event answers every stored one besides.
    const verdicts = await postEvents(server.url, 'siteCode=counts3b&visitorCode=v&verdicts=true', body);
    expect(r.text.length).toBeLessThan(verdicts.text.length - 2500 * 50);
  });

  it('with dryRun stores nothing and says what would be stored', async () => {
    const body = [activity(500), activity(500), activity(1)].join('\n');
    const r = await postEvents(server.url, 'siteCode=counts1&visitorCode=v&answer=counts&dryRun=true', body);
    expect(r.json).toMatchObject({ dryRun: true, stored: 1, duplicate: 2, rejected: 0, errors: [] });
    const real = (await postEvents(server.url, 'siteCode=counts1&visitorCode=v&answer=counts', body)).json as CountsAnswer;
    expect(real).toMatchObject({ stored: 1, duplicate: 2 });
  });

  it('JSON bodies answer the same counts; their invalid items stay a 400 invalid_events', async () => {
    const items = [{ eventType: 'activity', nonce: nonce(900) }, { eventType: 'activity', nonce: nonce(900) }];
    const r = await postEvents(server.url, 'siteCode=counts4&visitorCode=v&json=true&answer=counts', JSON.stringify(items));
    expect(r.json).toMatchObject({ format: 'json', stored: 1, duplicate: 1, rejected: 0 });
    const bad = await postEvents(server.url, 'siteCode=counts4&visitorCode=v&json=true&answer=counts', JSON.stringify([...items, 7]));
    expect(bad.status).toBe(400);
    expect(bad.json).toMatchObject({ code: 'invalid_events', errors: [{ index: 2, code: 'invalid_event' }] });
  });

  it('refuses an answer it does not know, and verdicts=true beside answer=counts, with invalid_query', async () => {
    for (const query of ['answer=everything', 'answer=counts&verdicts=true']) {
      const r = await postEvents(server.url, `siteCode=counts5&visitorCode=v&${query}`, activity(1));
      expect(r.status, query).toBe(400);
      expect(r.json, query).toMatchObject({ code: 'invalid_query', message: expect.any(String) });
    }
    // Nothing of those requests was stored.
    const r = await postEvents(server.url, 'siteCode=counts5&visitorCode=v&answer=counts&dryRun=true', activity(1));
    expect(r.json).toMatchObject({ stored: 1 });
  });

  it('leaves the Kameleoon answer alone: 204 without a body', async () => {
    const r = await postEvents(server.url, 'siteCode=counts6&visitorCode=v', activity(1));
    expect(r.status).toBe(204);
    expect(r.text).toBe('');
  });
});
