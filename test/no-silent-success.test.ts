import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { getVisitor, nonce, postEvents, readAll, type IngestReport } from './helpers/visit-api.ts';
import { startTestServer, type TestServer } from './helpers/test-server.ts';

/** A request that stored nothing (or not what was meant) never looks like a success. */
describe('POST /visit/events never answers success for a request that stored nothing by mistake', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const json = { 'Content-Type': 'application/json' };

  it('reads a body starting with "[" as JSON although json=true is missing (the tutorial request without its flag)', async () => {
    const body = ` \n[{"nonce":"${nonce(1)}","eventType":"CONVERSION","goalId":36151,"revenue":23.50}]`;
    const r = await postEvents(server.url, 'siteCode=brackets&visitorCode=245fc', body, json);
    expect(r.status).toBe(204);
    const visitor = await readAll(server.url, 'brackets', 'visitorCode=245fc');
    expect(JSON.stringify(visitor)).toContain('"goalId":36151');

    // json=false does not change it: a line never starts with "[".
    const again = await postEvents(server.url, 'siteCode=brackets&visitorCode=245fc&json=false&verdicts=true', `[{"nonce":"${nonce(2)}","eventType":"page","href":"/a"}]`, json);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ format: 'json', accepted: 1 });
  });

  it('leaves the ongoing visit out without currentVisit=true, as the README warns (Kameleoon-compatible)', async () => {
    await postEvents(server.url, 'siteCode=current&visitorCode=now', `eventType=conversion&goalId=1&revenue=5&nonce=${nonce(40)}`);
    const without = await getVisitor(server.url, 'siteCode=current&visitorCode=now&conversion=true');
    expect(without.json).toEqual({});
    const withCurrent = await getVisitor(server.url, 'siteCode=current&visitorCode=now&conversion=true&currentVisit=true');
    expect(JSON.stringify(withCurrent.json)).toContain('"goalId":1');
  });

  it('answers 400 for an invalid JSON body detected that way, and says why it was read as JSON', async () => {
    const r = await postEvents(server.url, 'siteCode=brackets&visitorCode=245fc', `[{"nonce":"${nonce(3)}","goalId":1}]`, json);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({ code: 'invalid_events', errors: [{ index: 0, code: 'missing_event_type' }] });
    expect((r.json as { message: string }).message).toContain('starts with "["');
    const broken = await postEvents(server.url, 'siteCode=brackets&visitorCode=245fc', '[{"nonce":', json);
    expect(broken.status).toBe(400);
    expect(broken.json).toMatchObject({ code: 'invalid_body' });
  });

  it('answers 400 with every rejection listed when no line of a line-format body is valid', async () => {
    const body = ['eventType=conversion&revenue=10', `eventType=CUSTOM_DATA&nonce=${nonce(4)}`, '', 'nonce=zz&eventType=page&href=/'].join('\n');
    const r = await postEvents(server.url, 'siteCode=lines&visitorCode=v1', body);
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'invalid_events',
      errors: [
        { line: 1, status: 'rejected', code: 'missing_nonce' },
        { line: 2, status: 'rejected', code: 'unknown_event_type' },
        { line: 4, status: 'rejected', code: 'invalid_nonce' },
      ],
    });
    expect((r.json as { message: string }).message).toMatch(/none of the 3 lines is a valid event/);
    // The unsupported type names the supported ones and the closest spelling.
    const [, custom] = (r.json as { errors: { message: string }[] }).errors;
    expect(custom!.message).toMatch(/did you mean customData\?/);
    expect(custom!.message).toMatch(/conversion, customData, page, experiment, personalization, targetingSegment, staticData, geolocation, activity/);
    // An empty body is still a flush with nothing to send.
    expect((await postEvents(server.url, 'siteCode=lines&visitorCode=v1', '\n\n')).status).toBe(204);
  });

  it('keeps 204 when some lines are stored, and counts the rejected ones in Anole-Rejected-Lines', async () => {
    const body = [`eventType=page&href=/ok&nonce=${nonce(5)}`, 'eventType=page&href=/no-nonce', `eventType=page&href=/ok2&nonce=${nonce(6)}`, 'garbage'].join('\n');
    const r = await postEvents(server.url, 'siteCode=lines&visitorCode=v2', body);
    expect(r.status).toBe(204);
    expect(r.headers.get('anole-rejected-lines')).toBe('2');
    const clean = await postEvents(server.url, 'siteCode=lines&visitorCode=v2', `eventType=page&href=/ok3&nonce=${nonce(7)}`);
    expect(clean.status).toBe(204);
    expect(clean.headers.get('anole-rejected-lines')).toBeNull();
    // A duplicate is stored already, not rejected: no header, no 400.
    const dup = await postEvents(server.url, 'siteCode=lines&visitorCode=v2', `eventType=page&href=/ok3&nonce=${nonce(7)}`);
    expect(dup.status).toBe(204);
    expect(dup.headers.get('anole-rejected-lines')).toBeNull();
  });
});

describe('unknown and misspelled fields are visible', () => {
  let server: TestServer;
  beforeAll(async () => {
    server = await startTestServer();
  });
  afterAll(async () => {
    await server.stop();
  });
  const verdictsOf = async (query: string, body: string) => {
    const r = await postEvents(server.url, `${query}&verdicts=true`, body);
    expect(r.status, r.text).toBe(200);
    return r.json as IngestReport;
  };

  it('warns about `refund` with the closest known field, and stores the event without it', async () => {
    const report = await verdictsOf('siteCode=fields&visitorCode=v1&json=true', JSON.stringify([{ eventType: 'conversion', goalId: 1, revenue: 10, refund: true, nonce: nonce(10) }]));
    expect(report).toMatchObject({ accepted: 1, ignoredFields: 1 });
    expect(report.events[0]!.warnings).toEqual([
      { code: 'unknown_field', field: 'refund', suggestion: 'negative', message: expect.stringMatching(/^`refund` is not a field of conversion and was ignored; did you mean `negative`\?/) },
    ]);
  });

  it('says field names are case-sensitive, and names the field a missing required one was probably sent as', async () => {
    const r = await postEvents(server.url, 'siteCode=fields&visitorCode=v1&json=true', JSON.stringify([{ eventType: 'conversion', GoalId: 1, nonce: nonce(11) }]));
    expect(r.status).toBe(400);
    const [error] = (r.json as { errors: { code: string; message: string; warnings: { suggestion: string }[] }[] }).errors;
    expect(error!.code).toBe('missing_field');
    expect(error!.message).toBe('conversion: goalId is required (`GoalId` was sent: field names are case-sensitive)');
    expect(error!.warnings[0]!.suggestion).toBe('goalId');
  });

  it('warns in dry runs too, and suggests typos and fields of other types', async () => {
    const r = await postEvents(server.url, 'siteCode=fields&visitorCode=v1&dryRun=true', [`eventType=conversion&goalId=1&reveneu=3&nonce=${nonce(12)}`, `eventType=conversion&goalId=1&href=/x&nonce=${nonce(13)}`].join('\n'));
    expect(r.status).toBe(200);
    const report = r.json as IngestReport;
    expect(report.events.map((v) => v.warnings?.map((w) => ('suggestion' in w && w.suggestion) || w.message))).toEqual([
      ['revenue'],
      [expect.stringContaining('(it is a field of page)')],
    ]);
  });

  it('accepts the line-format SDK extras silently (userAgent, keyPages)', async () => {
    const line = `eventType=page&href=/&keyPages=[]&nonce=${nonce(14)}&visitorCode=v3&userAgent=Mozilla/5.0 (X11; Linux x86_64) Bot/1.0`;
    const report = await verdictsOf('siteCode=fields', line);
    expect(report).toMatchObject({ accepted: 1, ignoredFields: 0 });
    expect(report.events[0]!.warnings).toBeUndefined();
  });

  it('strict=true rejects an event with an unknown field (unknown_field), and /metrics counts both', async () => {
    const body = [`eventType=conversion&goalId=1&refund=true&nonce=${nonce(15)}`, `eventType=conversion&goalId=1&nonce=${nonce(16)}`].join('\n');
    const report = await verdictsOf('siteCode=fields&visitorCode=v4&strict=true', body);
    expect(report).toMatchObject({ accepted: 1, rejected: 1 });
    expect(report.events[0]).toMatchObject({ status: 'rejected', code: 'unknown_field', message: expect.stringContaining('did you mean `negative`?') });
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    expect(metrics).toMatch(/anole_events_total\{outcome="rejected",code="unknown_field"\} 1/);
    // refund (earlier test), reveneu and href were in a dry run (not counted): one field was ignored in a stored event.
    expect(metrics).toMatch(/anole_ignored_fields_total 1\n/);
  });

  it('JSON numbers and booleans sent as strings: stored as what they spell, a warning each in verdicts and dry runs, string_value under strict=true, counted in /metrics', async () => {
    const event = (n: number) => ({ eventType: 'conversion', goalId: 1, revenue: '10.50', negative: 'true', nonce: nonce(n) });
    const report = await verdictsOf('siteCode=strings&visitorCode=s1&json=true', JSON.stringify([event(30)]));
    expect(report).toMatchObject({ accepted: 1, stringValues: 2, ignoredFields: 0 });
    expect(report.events[0]!.warnings).toEqual([
      { code: 'string_value', field: 'revenue', message: 'conversion: revenue is the string "10.50", not a JSON number; it was read as 10.5 (send it without quotes; strict=true refuses strings here)' },
      { code: 'string_value', field: 'negative', message: 'conversion: negative is the string "true", not a JSON boolean; it was read as true (send it without quotes; strict=true refuses strings here)' },
    ]);
    const stored = JSON.stringify(await readAll(server.url, 'strings', 'visitorCode=s1'));
    expect(stored).toContain('"revenue":10.5');
    expect(stored).toContain('"negative":true');
    const dry = await postEvents(server.url, 'siteCode=strings&visitorCode=s1&json=true&dryRun=true', JSON.stringify([event(31)]));
    expect((dry.json as IngestReport).events[0]!.warnings?.map((w) => w.code)).toEqual(['string_value', 'string_value']);
    // strict=true: a JSON body is all or nothing, so the request is refused with the event's reason.
    const strict = await postEvents(server.url, 'siteCode=strings&visitorCode=s1&json=true&strict=true', JSON.stringify([event(32), { ...event(33), revenue: 1, negative: true }]));
    expect(strict.status).toBe(400);
    expect(strict.json).toMatchObject({ code: 'invalid_events', errors: [{ index: 0, code: 'string_value', message: 'strict=true: conversion: revenue must be a JSON number, not the string "10.50"' }] });
    const metrics = await (await fetch(`${server.url}/metrics`, { headers: { Authorization: `Bearer ${server.adminKey}` } })).text();
    expect(metrics).toMatch(/anole_string_values_total 2\n/);
    expect(metrics).toMatch(/anole_events_total\{outcome="rejected",code="string_value"\} 1/);
  });

  it('lists at most 10 warnings per event however many junk fields a line carries, and counts them all', async () => {
    const junk = Array.from({ length: 5000 }, (_, i) => `junk${i}=1`).join('&');
    const r = await postEvents(server.url, 'siteCode=fields&visitorCode=v5&verdicts=true', `eventType=activity&${junk}&nonce=${nonce(20)}`);
    expect(r.status).toBe(200);
    expect(r.text.length).toBeLessThan(5000);
    const report = r.json as IngestReport;
    expect(report).toMatchObject({ accepted: 1, ignoredFields: 5000 });
    expect(report.events[0]!.warnings).toHaveLength(11);
    expect(report.events[0]!.warnings![10]).toEqual({ code: 'unknown_field', field: '(4990 more)', message: '4990 more fields that activity does not read were ignored' });
  });
});
