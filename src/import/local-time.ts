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
    const m = ISO.exec(text);
    if (!m) return null;
    const [, y, mo, d, h = '0', mi = '0', s = '0', fraction = '', offset] = m;
    const year = Number(y);
    const month = Number(mo);
    const day = Number(d);
    const local = Date.UTC(year, month - 1, day, Number(h), Number(mi), Number(s), Number(fraction.padEnd(3, '0').slice(0, 3)));
    // Date.UTC rolls 2024-02-30 over into March: refuse what the calendar does not have.
    const check = new Date(local);
    if (check.getUTCFullYear() !== year || check.getUTCMonth() !== month - 1 || check.getUTCDate() !== day || Number(h) > 23 || Number(mi) > 59 || Number(s) > 59) {
      return invalid(text, 'a calendar date and time');
    }
    if (offset !== undefined) {
      if (offset === 'Z' || offset === 'z') return { ok: true, ms: local };
      const sign = offset[0] === '-' ? -1 : 1;
      const digits = offset.slice(1).replace(':', '');
      const minutes = Number(digits.slice(0, 2)) * 60 + Number(digits.slice(2) || '0');
      if (minutes > 18 * 60) return invalid(text, 'a time with a valid UTC offset');
      return { ok: true, ms: local - sign * minutes * MINUTE };
    }
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
