import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEvents, type VisitorEvent } from './events.ts';
import { newestVisits } from './newest-visits.ts';
import { sessionize, splitCurrentVisit, type Visit } from './visits.ts';

const MIN = 60_000;
const TIMEOUT = 30 * MIN;

const eventsOf = (code: string, times: number[]): VisitorEvent[] =>
  times.map((t, i) => ({ type: 'activity', data: {}, identity: { kind: 'visitorCode', value: code }, nonce: `${code}${i}`.padStart(16, '0'), time: t * MIN, receivedAt: 0, itp: false, sdk: null }));

/** What GET /visit/visitor shows of these visits: the current one and the previous ones it lists. */
function shown(visits: readonly Visit[], now: number, maxPrevious: number) {
  const split = splitCurrentVisit(visits, now, TIMEOUT);
  return { current: split.current, previous: split.previous.slice(0, maxPrevious) };
}

const personArb = fc.dictionary(
  fc.constantFrom('a', 'b', 'c'),
  fc.array(fc.oneof(fc.integer({ min: 0, max: 300 }), fc.integer({ min: 0, max: 3000 })), { maxLength: 25 }),
  { minKeys: 1 },
);

describe('newestVisits: when a newest-first read may stop', () => {
  it('once it says done, the visits found answer exactly what every visit answers', () => {
    fc.assert(
      fc.property(personArb, fc.integer({ min: -10, max: 3000 }), fc.integer({ min: 0, max: 5 }), fc.integer({ min: -5, max: 60 }), (times, cut, maxPrevious, lateBy) => {
        const all = new Map(Object.entries(times).map(([code, ts]) => [code, eventsOf(code, ts)]));
        const every = [...all].flatMap(([code, events]) => sessionize(code, events, TIMEOUT));
        // Mostly shortly after the newest event, when the active visit is the current one.
        const now = Math.max(0, ...Object.values(times).flat()) + lateBy;
        // Read down to `cut`: every event after it, some of those at it.
        const bound = cut * MIN;
        const collected = new Map([...all].map(([code, events]) => [code, events.filter((e, i) => e.time > bound || (e.time === bound && i % 2 === 0))]));
        const result = newestVisits(collected, bound, { maxPreviousVisits: maxPrevious, visitTimeoutMs: TIMEOUT });
        if (result.done) expect(shown(result.visits, now * MIN, maxPrevious)).toEqual(shown(every, now * MIN, maxPrevious));
        // With nothing left unread it is always done, with every visit.
        const whole = newestVisits(all, null, { maxPreviousVisits: maxPrevious, visitTimeoutMs: TIMEOUT });
        expect(whole.done).toBe(true);
        expect(whole.visits.flatMap((v) => v.events).sort(compareEvents)).toEqual([...all.values()].flat().sort(compareEvents));
      }),
      { numRuns: 3000 },
    );
  });

  it('waits for a long visit holding the newest event, even when other devices have newer visits', () => {
    // Device a: one visit from minute 0 to 200 (events every 20 minutes). Device b: short visits
    // starting later. Read down to minute 100: a's visit is not whole yet, and it is the active one.
    const collected = new Map([
      ['a', eventsOf('a', [120, 140, 160, 180, 200])],
      ['b', eventsOf('b', [150, 190])],
    ]);
    expect(newestVisits(collected, 100 * MIN, { maxPreviousVisits: 1, visitTimeoutMs: TIMEOUT }).done).toBe(false);
    // Once a's visit is known from its first event, the read may stop.
    const whole = new Map([...collected, ['a', eventsOf('a', [0, 20, 40, 60, 80, 100, 120, 140, 160, 180, 200])]]);
    expect(newestVisits(whole, -31 * MIN, { maxPreviousVisits: 1, visitTimeoutMs: TIMEOUT }).done).toBe(true);
  });
});
