import { describe, expect, it } from 'vitest';
import type { EventDataByType, EventType, VisitorEvent } from '../events.ts';
import { attributePerson } from './attribute-person.ts';
import { contributionDelta, personContributions } from './contributions.ts';
import type { AttributionSettings } from './rules.ts';

/**
 * The attribution rules as executable examples. Times are minutes after T0; the window is 7 days.
 */
const T0 = Date.UTC(2026, 10, 2, 10, 0, 0);
const MIN = 60_000;
const DAY = 1_440 * MIN;
let nonce = 0;

function ev<T extends EventType>(type: T, minute: number, data: EventDataByType[T], visitorCode = 'A'): VisitorEvent {
  nonce += 1;
  return {
    type,
    data,
    identity: { kind: 'visitorCode', value: visitorCode },
    nonce: nonce.toString(16).padStart(16, '0'),
    time: T0 + minute * MIN,
    receivedAt: T0 + minute * MIN,
    itp: false,
    sdk: null,
  } as VisitorEvent;
}
const expose = (minute: number, variationId: number, code = 'A') => ev('experiment', minute, { id: 9, variationId }, code);
const convert = (minute: number, revenue = 10, code = 'A', negative = false) =>
  ev('conversion', minute, { goalId: 1, revenue, negative, metadata: {} }, code);
const page = (minute: number, code = 'A') =>
  ev('page', minute, { href: 'https://x/', canonicalHref: null, title: '', keyPagesIndices: [], referrerHref: null, referrersIndices: [] }, code);

const settings = (overrides: Partial<AttributionSettings> = {}): AttributionSettings => ({
  visitTimeoutMs: 30 * MIN,
  attributionWindowMs: 7 * DAY,
  periodOf: () => ({ start: null, end: null }),
  ...overrides,
});

function attribute(events: VisitorEvent[], s = settings()) {
  const byCode = new Map<string, VisitorEvent[]>();
  for (const e of events) byCode.set(e.identity.value, [...(byCode.get(e.identity.value) ?? []), e]);
  return attributePerson(byCode, s);
}

describe('attribution rules', () => {
  it('counts a conversion in the exposed visit, even one that happened just before the exposure', () => {
    const [a] = attribute([page(0), convert(2), expose(5, 1)]);
    expect(a!.conversions.map((c) => [c.counted, c.reason])).toEqual([[true, 'in_window']]);
  });

  it('counts an offline conversion days later inside the window, not one after it', () => {
    const [a] = attribute([expose(0, 1), convert(3 * 1_440), convert(8 * 1_440)]);
    expect(a!.conversions.map((c) => c.reason)).toEqual(['in_window', 'after_window']);
    expect(a!.goals.get(1)!.conversions).toBe(1);
  });

  it('does not count a conversion in an earlier visit', () => {
    const [a] = attribute([convert(0), expose(120, 1)]);
    expect(a!.conversions[0]).toMatchObject({ counted: false, reason: 'before_exposure' });
  });

  it('re-opens the window at every exposure', () => {
    const [a] = attribute([expose(0, 1), expose(6 * 1_440, 1), convert(12 * 1_440)]);
    expect(a!.conversions[0]).toMatchObject({ counted: true, exposureTime: T0 + 6 * DAY });
  });

  it('nets a refund against revenue without counting it as a conversion', () => {
    const [a] = attribute([expose(0, 1), convert(10, 50), convert(60 * 24, 20, 'A', true)]);
    expect(a!.goals.get(1)).toMatchObject({ conversions: 1, revenue: 30 });
  });

  it('a person with only refunds has not converted', () => {
    const [a] = attribute([expose(0, 1), convert(10, 20, 'A', true)]);
    const g = personContributions([a!]).get('G|9|1|1|visitor')!;
    expect(g[0]).toBe(0);
    expect(g[9]).toBe(-20);
  });

  it('counts a person in the variation of their first exposure and flags the second', () => {
    const [a] = attribute([expose(0, 2), expose(60 * 24, 1)]);
    expect(a!.variationId).toBe(2);
    expect(a!.variations).toEqual([2, 1]);
    expect(personContributions([a!]).get('H|9')).toEqual([1, 1, 0]);
  });

  it('leaves outlier visits out entirely (over 120 minutes)', () => {
    const long = [expose(0, 1), ...Array.from({ length: 9 }, (_, i) => page(15 * (i + 1))), convert(140)];
    expect(attribute(long)).toEqual([]);
  });

  it('follows the person across devices', () => {
    const [a] = attribute([expose(0, 1, 'phone'), convert(2 * 1_440, 10, 'laptop')]);
    expect(a!.conversions[0]).toMatchObject({ counted: true, visitorCode: 'laptop' });
  });

  it('ignores exposures and conversions outside the analysis period', () => {
    const s = settings({ periodOf: () => ({ start: T0 + 60 * MIN, end: T0 + 2 * DAY }) });
    const [a] = attribute([expose(0, 1), expose(90, 2), convert(100), convert(3 * 1_440)], s);
    expect(a!.variationId).toBe(2);
    expect(a!.conversions.map((c) => c.reason)).toEqual(['in_window', 'outside_period']);
  });

  it('counts at visit level every visit that holds an exposure or starts inside a window', () => {
    const [a] = attribute([expose(0, 1), convert(5), page(3 * 1_440), convert(3 * 1_440 + 1), page(9 * 1_440)]);
    expect(a!.visits.map((v) => v.goals.get(1)?.conversions ?? 0)).toEqual([1, 1]);
  });

  it('takes the 14 days before the first exposure as the CUPED covariate', () => {
    const [a] = attribute([convert(-3 * 1_440, 5), convert(-20 * 1_440, 7), expose(0, 1), convert(10, 8)]);
    expect(a!.preExposure.get(1)).toEqual({ converted: 1, conversions: 1, revenue: 5 });
  });

  it('gives deltas that undo a person exactly', () => {
    const c = personContributions(attribute([expose(0, 1), convert(5, 12.5)]));
    expect(contributionDelta(c, c).size).toBe(0);
    const removal = contributionDelta(c, new Map());
    for (const [key, v] of removal) expect(v.map((x, i) => x + c.get(key)![i]!)).toEqual(v.map(() => 0));
  });
});
