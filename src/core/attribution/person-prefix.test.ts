import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { VisitorEvent } from '../events.ts';
import { attributePerson, NO_PREFIX } from './attribute-person.ts';
import { personContributions, type Contributions } from './contributions.ts';
import { extendPrefix, latestQuietPoint, prefixFromJson, prefixToJson } from './person-prefix.ts';
import type { AttributionSettings } from './rules.ts';

const T0 = Date.UTC(2026, 0, 5);
const MIN = 60_000;
const DAY = 1_440 * MIN;

let n = 0;
function ev(code: string, minute: number, kind: number): VisitorEvent {
  n += 1;
  const base = { identity: { kind: 'visitorCode' as const, value: code }, nonce: n.toString(16).padStart(16, '0'), time: T0 + minute * MIN, receivedAt: T0, itp: false, sdk: null };
  if (kind < 2) return { ...base, type: 'experiment', data: { id: 7 + kind, variationId: (n % 3) + (kind === 0 ? 0 : 10) } };
  if (kind < 5) return { ...base, type: 'conversion', data: { goalId: 1 + (kind % 2), revenue: ((n * 37) % 1000) / 10, negative: kind === 4 && n % 4 === 0, metadata: {} } };
  return { ...base, type: 'page', data: { href: 'https://x/', canonicalHref: null, title: '', keyPagesIndices: [], referrerHref: null, referrersIndices: [] } };
}

/** Bursts of activity on up to three devices, hours to days apart, some of them long enough to be outliers. */
const personArb = fc
  .array(
    fc.record({
      code: fc.constantFrom('a', 'b', 'c'),
      start: fc.oneof(fc.integer({ min: 0, max: 600 }), fc.integer({ min: 0, max: 30 * 1_440 })),
      steps: fc.array(fc.record({ gap: fc.constantFrom(0, 1, 7, 25, 29, 31, 45), kind: fc.integer({ min: 0, max: 7 }) }), { maxLength: 9 }),
    }),
    { maxLength: 10 },
  )
  .map((bursts) => {
    const events: VisitorEvent[] = [];
    for (const b of bursts) {
      let t = b.start;
      for (const step of b.steps) events.push(ev(b.code, (t += step.gap), step.kind));
    }
    return events;
  });

const settingsArb = fc.record({
  timeout: fc.constantFrom(30, 60),
  window: fc.constantFrom(20, 3 * 1_440, 7 * 1_440),
  periodStart: fc.option(fc.integer({ min: 0, max: 5 * 1_440 }), { nil: null }),
});

function settingsOf(s: { timeout: number; window: number; periodStart: number | null }): AttributionSettings {
  return {
    visitTimeoutMs: s.timeout * MIN,
    attributionWindowMs: s.window * MIN,
    // Experiment 8 has an analysis period; 7 is unbounded.
    periodOf: (id) => (id === 8 && s.periodStart !== null ? { start: T0 + s.periodStart * MIN, end: T0 + (s.periodStart + 10 * 1_440) * MIN } : { start: null, end: null }),
  };
}

const byCode = (events: readonly VisitorEvent[]) => {
  const out = new Map<string, VisitorEvent[]>();
  for (const e of events) out.set(e.identity.value, [...(out.get(e.identity.value) ?? []), e]);
  return out;
};

/** Sums reached in another order differ in the last bits; compare to 1e-9. */
const rounded = (c: Contributions) => new Map([...c].sort(([a], [b]) => (a < b ? -1 : 1)).map(([k, v]) => [k, v.map((x) => Math.round(x * 1e6) / 1e6 + 0)]));

/** Every quiet point of the events, oldest first. */
function quietPoints(events: readonly VisitorEvent[], timeoutMs: number): number[] {
  const times = events.map((e) => e.time).sort((a, b) => a - b);
  return times.filter((t, i) => i > 0 && t - times[i - 1]! > timeoutMs);
}

describe('incremental attribution from a quiet point', () => {
  it('gives the contributions of a recomputation from every event, from any quiet point and any chain of them', () => {
    fc.assert(
      fc.property(personArb, settingsArb, fc.integer({ min: 0, max: 1000 }), (events, s, pick) => {
        const settings = settingsOf(s);
        const full = rounded(personContributions(attributePerson(byCode(events), settings)));
        const points = quietPoints(events, settings.visitTimeoutMs);
        // One jump to a quiet point, then a chain through several, the summary stored as JSON between steps.
        for (const chain of [points.length > 0 ? [points[pick % points.length]!] : [], points.filter((_, i) => (i + pick) % 2 === 0)]) {
          let prefix = NO_PREFIX;
          let from = -Infinity;
          for (const point of chain) {
            prefix = prefixFromJson(JSON.parse(JSON.stringify(prefixToJson(extendPrefix(prefix, byCode(events.filter((e) => e.time >= from && e.time < point)), settings, point)))));
            from = point;
          }
          const since = byCode(events.filter((e) => e.time >= from));
          expect(rounded(personContributions(attributePerson(since, settings, prefix), prefix.visitUnits))).toEqual(full);
        }
      }),
      { numRuns: 2000 },
    );
  });

  it('finds the start of the last stretch without a gap longer than the timeout, across devices', () => {
    const events = [ev('a', 0, 6), ev('a', 20, 6), ev('b', 100, 6), ev('a', 125, 6), ev('b', 150, 6)];
    expect(latestQuietPoint(byCode(events), 30 * MIN)).toBe(T0 + 100 * MIN);
    expect(latestQuietPoint(byCode(events), 90 * MIN)).toBe(T0);
    expect(latestQuietPoint(new Map(), 30 * MIN)).toBeNull();
  });

  it('keeps a first exposure after the quiet point looking back 14 days for its covariate', () => {
    const settings = settingsOf({ timeout: 30, window: 7 * 1_440, periodStart: null });
    const events = [ev('a', 0, 2), ev('a', 3 * 1_440, 3), ev('a', 10 * 1_440, 0), ev('a', 10 * 1_440 + 5, 2)];
    const point = T0 + 10 * DAY;
    const prefix = extendPrefix(NO_PREFIX, byCode(events.slice(0, 2)), settings, point);
    expect(prefix.recentConversions).toHaveLength(2);
    const [a] = attributePerson(byCode(events.slice(2)), settings, prefix);
    expect(a!.preExposure.get(1)?.conversions ?? 0).toBe(1);
    expect(a!.preExposure.get(2)?.conversions).toBe(1);
  });
});
