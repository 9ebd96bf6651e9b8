import { describe, expect, it } from 'vitest';
import type { IANAZone } from 'luxon';
import { createTimeParser, timeFormatOf, timeZone } from './local-time.ts';

const zone = (name: string) => timeZone(name) as IANAZone;
const ms = (iso: string) => Date.parse(iso);

describe('import times', () => {
  const paris = createTimeParser('auto', zone('Europe/Paris'));

  it('reads ISO 8601 with an offset or Z as the instant it names, whatever the zone', () => {
    expect(paris('2026-03-10T14:30:00+05:00')).toEqual({ ok: true, ms: ms('2026-03-10T09:30:00Z') });
    expect(paris('2026-03-10T14:30:00.250Z')).toEqual({ ok: true, ms: ms('2026-03-10T14:30:00.250Z') });
    expect(paris('2026-03-10 14:30:00-0330')).toEqual({ ok: true, ms: ms('2026-03-10T18:00:00Z') });
  });

  it('reads times without an offset in the zone, winter and summer', () => {
    expect(paris('2026-01-15 09:00')).toEqual({ ok: true, ms: ms('2026-01-15T08:00:00Z') });
    expect(paris('2026-07-15T09:00:00')).toEqual({ ok: true, ms: ms('2026-07-15T07:00:00Z') });
    expect(paris('2026-07-15')).toEqual({ ok: true, ms: ms('2026-07-14T22:00:00Z') });
  });

  it('refuses a local time in the DST gap, with its code', () => {
    // Europe/Paris skips 02:00–03:00 on 2026-03-29; New York skips 02:00–03:00 on 2026-03-08.
    expect(paris('2026-03-29 02:30')).toMatchObject({ ok: false, code: 'nonexistent_time' });
    expect(paris('2026-03-29 01:59')).toEqual({ ok: true, ms: ms('2026-03-29T00:59:00Z') });
    expect(paris('2026-03-29 03:00')).toEqual({ ok: true, ms: ms('2026-03-29T01:00:00Z') });
    const ny = createTimeParser('auto', zone('America/New_York'));
    expect(ny('2026-03-08T02:15:00')).toMatchObject({ ok: false, code: 'nonexistent_time', message: expect.stringContaining('America/New_York') });
  });

  it('reads a repeated hour (clocks going back) as its first occurrence', () => {
    // 2026-10-25 02:30 happens at +02:00 and again at +01:00 in Paris: the first is 00:30Z.
    expect(paris('2026-10-25 02:30')).toEqual({ ok: true, ms: ms('2026-10-25T00:30:00Z') });
    expect(paris('2026-10-25 03:30')).toEqual({ ok: true, ms: ms('2026-10-25T02:30:00Z') });
  });

  it('tells epoch seconds from milliseconds by size, or as --time-format says', () => {
    expect(paris('1795914781')).toEqual({ ok: true, ms: 1795914781000 });
    expect(paris('1795914781021')).toEqual({ ok: true, ms: 1795914781021 });
    expect(createTimeParser('epoch-ms', zone('UTC'))('1795914781')).toEqual({ ok: true, ms: 1795914781 });
    expect(createTimeParser('epoch-s', zone('UTC'))('2026-01-01')).toMatchObject({ ok: false, code: 'invalid_time' });
  });

  it('reads patterns in the zone, gap included, and patterns with their own offset', () => {
    const european = createTimeParser(timeFormatOf('dd/MM/yyyy HH:mm'), zone('Europe/Paris'));
    expect(european('15/01/2026 09:00')).toEqual({ ok: true, ms: ms('2026-01-15T08:00:00Z') });
    expect(european('29/03/2026 02:30')).toMatchObject({ ok: false, code: 'nonexistent_time' });
    expect(european('2026-01-15 09:00')).toMatchObject({ ok: false, code: 'invalid_time', message: expect.stringContaining('dd/MM/yyyy HH:mm') });
    const offset = createTimeParser(timeFormatOf('yyyy-MM-dd HH:mm ZZ'), zone('Europe/Paris'));
    expect(offset('2026-01-15 09:00 -05:00')).toEqual({ ok: true, ms: ms('2026-01-15T14:00:00Z') });
  });

  it('refuses what the calendar does not have, and what is not a time', () => {
    for (const bad of ['2026-02-30', '2026-13-01', '2026-01-01T24:00', 'yesterday', '', '12/01/2026', '2026-01-01T10:00+25:00']) {
      expect(paris(bad), bad).toMatchObject({ ok: false, code: 'invalid_time' });
    }
  });

  it('names an unknown zone', () => {
    expect(timeZone('Mars/Olympus')).toMatch(/unknown time zone "Mars\/Olympus"/);
    expect(typeof timeZone('utc')).toBe('object');
  });
});
