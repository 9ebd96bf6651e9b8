import { DateTime, IANAZone } from 'luxon';

/**
 * Times of an import file: ISO 8601 with an offset, epoch seconds or milliseconds, or a local time
 * (ISO-like, or read by a pattern) in a named IANA zone. A local time that does not exist in that
 * zone (the hour skipped when clocks go forward) is refused; one that exists twice (the hour
 * repeated when clocks go back) is the first of the two, as Temporal's "compatible" rule does.
 */
export type TimeFormat = 'auto' | 'iso' | 'epoch-s' | 'epoch-ms' | { pattern: string };

export type ParsedTime = { ok: true; ms: number } | { ok: false; code: 'invalid_time' | 'nonexistent_time'; message: string };

export interface TimeParser {
  (text: string): ParsedTime;
}

/** Epoch values below this are seconds (up to the year 5138), above it milliseconds (after March 1973). */
const SECONDS_BELOW = 1e11;
// YYYY-MM-DD, then optionally [T or space]HH:mm[:ss[.fraction]], then optionally Z or ±HH[:]mm.
const ISO = /^(\d{4})-(\d{2})-(\d{2})(?:[T ](\d{2}):(\d{2})(?::(\d{2})(?:[.,](\d{1,9}))?)?)?\s*(Z|z|[+-]\d{2}(?::?\d{2})?)?$/;
const DIGITS = /^\d{1,16}$/;
const MINUTE = 60_000;
const DAY = 86_400_000;
/** Local minutes whose offset is remembered: a file's times cluster, and each needs the zone rules once. */
const OFFSET_CACHE_ENTRIES = 100_000;

/** The zone, or why it is not one. */
export function timeZone(name: string): IANAZone | string {
  if (name.toUpperCase() === 'UTC') return IANAZone.create('UTC');
  const zone = IANAZone.create(name);
  return zone.isValid ? zone : `unknown time zone ${JSON.stringify(name)}: use an IANA name such as Europe/Paris or America/New_York`;
}

/** A local wall-clock time (as if UTC) → the instant it names in the zone, or null in a gap. */
function localToInstant(zone: IANAZone, localMs: number): number | null {
  // The offsets in force a day either side cover any transition near this time; each candidate
  // instant is kept when the zone really has that offset at it. None: a gap; two: a repeated hour.
  const before = zone.offset(localMs - DAY);
  const after = zone.offset(localMs + DAY);
  let best: number | null = null;
  for (const offset of before === after ? [before] : [before, after]) {
    const instant = localMs - offset * MINUTE;
    if (zone.offset(instant) === offset && (best === null || instant < best)) best = instant;
  }
  return best;
}

const INVALID_DATE = 1;
const INVALID_OFFSET = 2;
/** An ISO-like time: its wall-clock fields as if UTC, and its offset when it names one. */
interface IsoParts {
  local: number;
  offsetMinutes: number | null;
}
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

/** The digits at text[from, from + n) as a number, or -1 when one is not a digit. */
function digitsAt(text: string, from: number, n: number): number {
  let value = 0;
  for (let i = from; i < from + n; i++) {
    const d = text.charCodeAt(i) - 48;
    // NaN past the end of the text fails too.
    if (!(d >= 0 && d <= 9)) return -1;
    value = value * 10 + d;
  }
  return value;
}

/**
 * The parts of an ISO-like time (the grammar of `ISO`), or null when it is not one. The common
 * shapes (`2026-11-28T14:30:00.250Z`, `2026-11-28 14:30`, `2026-11-28`) are read digit by digit:
 * they are most of a file's cells, and the expression's captures cost more than the rest of a row.
 */
function isoParts(text: string): IsoParts | typeof INVALID_DATE | typeof INVALID_OFFSET | null {
  const n = text.length;
  let year = -1;
  let month = -1;
  let day = -1;
  let hour = 0;
  let minute = 0;
  let second = 0;
  let millis = 0;
  let offset = '';
  // The fast path reads fixed positions; anything else is left to the expression.
  const fast =
    n >= 10 &&
    text.charCodeAt(4) === 45 &&
    text.charCodeAt(7) === 45 &&
    (year = digitsAt(text, 0, 4)) >= 0 &&
    (month = digitsAt(text, 5, 2)) >= 0 &&
    (day = digitsAt(text, 8, 2)) >= 0;
  let parsed = fast;
  if (fast && n > 10) {
    const sep = text.charCodeAt(10);
    parsed = (sep === 84 || sep === 32) && n >= 16 && text.charCodeAt(13) === 58 && (hour = digitsAt(text, 11, 2)) >= 0 && (minute = digitsAt(text, 14, 2)) >= 0;
    let at = 16;
    if (parsed && at < n && text.charCodeAt(at) === 58) {
      parsed = (second = digitsAt(text, at + 1, 2)) >= 0 && at + 3 <= n;
      at += 3;
      const mark = at < n ? text.charCodeAt(at) : 0;
      if (parsed && (mark === 46 || mark === 44)) {
        let end = at + 1;
        while (end < n && end - at <= 9) {
          const d = text.charCodeAt(end) - 48;
          if (!(d >= 0 && d <= 9)) break;
          if (end - at <= 3) millis = millis * 10 + d;
          end += 1;
        }
        parsed = end > at + 1;
        for (let k = Math.min(end - at - 1, 3); k < 3; k++) millis *= 10;
        at = end;
      }
    }
    if (parsed && at < n) {
      offset = text.slice(at);
      parsed = offset === 'Z' || offset === 'z' || /^[+-]\d{2}(?::?\d{2})?$/.test(offset);
    }
  }
  if (!parsed) {
    const m = ISO.exec(text);
    if (!m) return null;
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', z = ''] = m;
    year = Number(y);
    month = Number(mo);
    day = Number(d);
    hour = Number(h);
    minute = Number(mi);
    second = Number(s);
    millis = Number(fraction.padEnd(3, '0').slice(0, 3));
    offset = z;
  }
  // Refuse what the calendar does not have (Date.UTC would roll 2024-02-30 into March, and read
  // years below 100 as 19xx).
  if (year < 100 || month < 1 || month > 12 || day < 1 || day > (month === 2 && isLeap(year) ? 29 : DAYS_IN_MONTH[month - 1]!) || hour > 23 || minute > 59 || second > 59) {
    return INVALID_DATE;
  }
  const local = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (offset === '') return { local, offsetMinutes: null };
  if (offset === 'Z' || offset === 'z') return { local, offsetMinutes: 0 };
  const sign = offset.charCodeAt(0) === 45 ? -1 : 1;
  const digits = offset.slice(1).replace(':', '');
  const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
  if (minutes > 18 * 60) return INVALID_OFFSET;
  return { local, offsetMinutes: sign * minutes };
}

export function createTimeParser(format: TimeFormat, zone: IANAZone): TimeParser {
  // Offset per local minute (or null for a gap minute); cleared when full, so memory stays bounded.
  const cache = new Map<number, number | null>();
  const inZone = (localMs: number): number | null => {
    const minute = Math.floor(localMs / MINUTE);
    let delta = cache.get(minute);
    if (delta === undefined) {
      if (cache.size >= OFFSET_CACHE_ENTRIES) cache.clear();
      const instant = localToInstant(zone, minute * MINUTE);
      delta = instant === null ? null : minute * MINUTE - instant;
      cache.set(minute, delta);
    }
    return delta === null ? null : localMs - delta;
  };
  const gap = (text: string): ParsedTime => ({
    ok: false,
    code: 'nonexistent_time',
    message: `${JSON.stringify(text)} does not exist in ${zone.name} (the clocks skip it when they go forward)`,
  });
  const invalid = (text: string, expected: string): ParsedTime => ({
    ok: false,
    code: 'invalid_time',
    message: `${JSON.stringify(text.slice(0, 80))} is not ${expected}`,
  });

  const epoch = (text: string, unit: 's' | 'ms' | 'auto'): ParsedTime | null => {
    if (!DIGITS.test(text)) return null;
    const n = Number(text);
    const seconds = unit === 's' || (unit === 'auto' && n < SECONDS_BELOW);
    return { ok: true, ms: seconds ? n * 1000 : n };
  };

  const iso = (text: string): ParsedTime | null => {
    const parts = isoParts(text);
    if (parts === null) return null;
    if (parts === INVALID_DATE) return invalid(text, 'a calendar date and time');
    if (parts === INVALID_OFFSET) return invalid(text, 'a time with a valid UTC offset');
    const { local, offsetMinutes } = parts;
    if (offsetMinutes !== null) return { ok: true, ms: local - offsetMinutes * MINUTE };
    const instant = inZone(local);
    return instant === null ? gap(text) : { ok: true, ms: instant };
  };

  if (typeof format === 'object') {
    const pattern = format.pattern;
    return (text) => {
      // Read in UTC, which has no gaps, to get the wall-clock fields, then place them in the zone.
      const parsed = DateTime.fromFormat(text.trim(), pattern, { zone: 'UTC', setZone: true });
      if (!parsed.isValid) return invalid(text, `a time of the form ${pattern}`);
      // A pattern with its own offset (ZZ, Z) fixes the instant; otherwise it is local to the zone.
      if (/(^|[^'])Z/.test(pattern)) return { ok: true, ms: parsed.toMillis() };
      const local = Date.UTC(parsed.year, parsed.month - 1, parsed.day, parsed.hour, parsed.minute, parsed.second, parsed.millisecond);
      const instant = inZone(local);
      return instant === null ? gap(text) : { ok: true, ms: instant };
    };
  }
  return (raw) => {
    const text = raw.trim();
    if (format === 'epoch-s' || format === 'epoch-ms') {
      return epoch(text, format === 'epoch-s' ? 's' : 'ms') ?? invalid(text, format === 'epoch-s' ? 'epoch seconds' : 'epoch milliseconds');
    }
    if (format === 'iso') return iso(text) ?? invalid(text, 'an ISO 8601 date and time');
    return epoch(text, 'auto') ?? iso(text) ?? invalid(text, 'an ISO 8601 time or epoch seconds/milliseconds (use --time-format for other forms)');
  };
}

/** Parses the --time-format option. */
export function timeFormatOf(raw: string | undefined): TimeFormat {
  if (raw === undefined || raw === '' || raw === 'auto') return 'auto';
  if (raw === 'iso' || raw === 'epoch-s' || raw === 'epoch-ms') return raw;
  return { pattern: raw };
}
