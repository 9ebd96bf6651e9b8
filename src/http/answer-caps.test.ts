import { describe, expect, it } from 'vitest';
import { LIMITS } from '../core/limits.ts';
import type { EventVerdict, IngestReport } from '../ingest/ingest-events.ts';
import { capErrors, capReport, rejectionsOf } from './answer-caps.ts';

const rejected = (line: number, code = 'missing_event_type'): EventVerdict => ({ line, status: 'rejected', code: code as EventVerdict['code'], message: 'm' });
const accepted = (line: number): EventVerdict => ({ line, status: 'accepted', nonce: '0123456789abcdef' });
const warned = (line: number, n: number): EventVerdict => ({ ...accepted(line), warnings: Array.from({ length: n }, (_, i) => ({ code: 'unknown_field' as const, field: `f${i}`, message: 'w' })) });

describe('rejectionsOf', () => {
  it('counts by code and merges consecutive rejected events into ranges, whatever their codes', () => {
    const verdicts = [rejected(1), rejected(2, 'invalid_nonce'), rejected(3), accepted(4), rejected(5), accepted(6), rejected(7), rejected(8)];
    expect(rejectionsOf(verdicts, 6)).toEqual({ listed: 6, byCode: { missing_event_type: 5, invalid_nonce: 1 }, lines: '1-3,5,7-8' });
  });

  it('runs a range of lines over the blank lines between events (line numbers skip, the list does not)', () => {
    expect(rejectionsOf([rejected(1), rejected(3), rejected(7), accepted(9), rejected(11)], 4).lines).toBe('1-7,11');
  });

  it('uses array indices in JSON, where a list of errors alone shows its gaps', () => {
    const json = (index: number): EventVerdict => ({ index, status: 'rejected', code: 'invalid_event', message: 'm' });
    expect(rejectionsOf([json(0), json(1), json(4), json(5), json(9)], 5)).toEqual({ listed: 5, byCode: { invalid_event: 5 }, indices: '0-1,4-5,9' });
  });
});

describe('capReport and capErrors', () => {
  const report = (events: EventVerdict[]): IngestReport => ({
    siteCode: 's',
    format: 'lines',
    dryRun: false,
    accepted: events.filter((e) => e.status === 'accepted').length,
    duplicate: 0,
    rejected: events.filter((e) => e.status === 'rejected').length,
    ignoredFields: 0,
    stringValues: 0,
    events,
  });

  it('lists every stored event and the first rejections whole; every rejection is located', () => {
    const events = Array.from({ length: 3000 }, (_, i) => (i % 3 === 0 ? accepted(i + 1) : rejected(i + 1)));
    const capped = capReport(report(events));
    expect(capped.events.filter((e) => e.status === 'accepted')).toHaveLength(1000);
    expect(capped.events.filter((e) => e.status === 'rejected')).toHaveLength(LIMITS.listedRejections);
    expect(capped.rejections).toMatchObject({ listed: LIMITS.listedRejections, byCode: { missing_event_type: 2000 } });
    expect(capped.rejections!.lines!.split(',')).toHaveLength(1000);
    expect(capReport(report([accepted(1)])).rejections).toBeUndefined();
  });

  it('lists warnings until 1,000 are listed, then counts the events whose warnings were left out', () => {
    const events = Array.from({ length: 300 }, (_, i) => warned(i + 1, 11));
    const capped = capReport(report(events));
    const listed = capped.events.filter((e) => e.warnings).length;
    expect(listed).toBe(Math.floor(LIMITS.listedWarnings / 11));
    expect(capped.warningsOmitted).toBe(300 - listed);
    expect(events[299]!.warnings).toHaveLength(11); // the use-case's verdicts are left whole
  });

  it('cuts the errors of invalid_events the same way', () => {
    const errors = Array.from({ length: 5000 }, (_, i) => rejected(i + 1));
    const capped = capErrors(errors);
    expect(capped.errors).toHaveLength(LIMITS.listedRejections);
    expect(capped.rejections).toEqual({ listed: LIMITS.listedRejections, byCode: { missing_event_type: 5000 }, lines: '1-5000' });
  });
});
