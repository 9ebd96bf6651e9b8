import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { compareEvents, type VisitorEvent } from './events.ts';
import { resolveMappingValue, type IdentityLink } from './identity.ts';
import { sessionize, splitCurrentVisit } from './visits.ts';

const T0 = 1_795_900_000_000;
const MIN = 60_000;
const TIMEOUT = 30 * MIN;

/** Events of one visitor code: times clustered so that both short and long gaps occur. */
const eventsArb = fc
  .uniqueArray(
    fc.record({
      time: fc.oneof(fc.integer({ min: 0, max: 3 * 3_600_000 }), fc.constantFrom(0, TIMEOUT, TIMEOUT + 1, 2 * TIMEOUT + 1)),
      nonce: fc.integer({ min: 0, max: 2 ** 40 }).map((n) => n.toString(16).padStart(16, '0')),
    }),
    { selector: (e) => e.nonce, maxLength: 40 },
  )
  .map((list) =>
    list.map(
      (e): VisitorEvent => ({ type: 'activity', data: {}, identity: { kind: 'visitorCode', value: 'v' }, nonce: e.nonce, time: T0 + e.time, receivedAt: T0, itp: false, sdk: null }),
    ),
  );

describe('visits are a pure function of the events', () => {
  it('do not depend on arrival order', () => {
    fc.assert(
      fc.property(eventsArb.chain((events) => fc.tuple(fc.constant(events), fc.shuffledSubarray(events, { minLength: events.length }))), ([events, shuffled]) => {
        expect(sessionize('v', shuffled, TIMEOUT)).toEqual(sessionize('v', events, TIMEOUT));
      }),
      { numRuns: 300 },
    );
  });

  it('keep every event once, in time order, with gaps ≤ timeout inside a visit and > timeout between visits', () => {
    fc.assert(
      fc.property(eventsArb, (events) => {
        const visits = sessionize('v', events, TIMEOUT);
        expect(visits.flatMap((v) => v.events)).toEqual([...events].sort(compareEvents));
        for (const visit of visits) {
          expect(visit.timeStarted).toBe(visit.events[0]!.time);
          expect(visit.timeLastEvent).toBe(visit.events.at(-1)!.time);
          for (let i = 1; i < visit.events.length; i++) expect(visit.events[i]!.time - visit.events[i - 1]!.time).toBeLessThanOrEqual(TIMEOUT);
        }
        for (let i = 1; i < visits.length; i++) expect(visits[i]!.timeStarted - visits[i - 1]!.timeLastEvent).toBeGreaterThan(TIMEOUT);
      }),
      { numRuns: 300 },
    );
  });

  it('split into current and previous whatever order the visits come in; the current one is recent', () => {
    fc.assert(
      fc.property(eventsArb, fc.integer({ min: 0, max: 4 * 3_600_000 }), (events, nowOffset) => {
        const visits = sessionize('v', events, TIMEOUT);
        const now = T0 + nowOffset;
        const split = splitCurrentVisit(visits, now, TIMEOUT);
        expect(splitCurrentVisit([...visits].reverse(), now, TIMEOUT)).toEqual(split);
        expect((split.current ? 1 : 0) + split.previous.length).toBe(visits.length);
        if (split.current) expect(now - split.current.timeLastEvent).toBeLessThanOrEqual(TIMEOUT);
        for (let i = 1; i < split.previous.length; i++) expect(split.previous[i - 1]!.timeStarted).toBeGreaterThan(split.previous[i]!.timeStarted);
      }),
      { numRuns: 300 },
    );
  });
});

describe('identity resolution is a pure function of the link history', () => {
  const linkArb = fc.record({
    mappingValue: fc.constantFrom('u1', 'u2', 'u3'),
    visitorCode: fc.constantFrom('a', 'b', 'c', 'u1'),
    time: fc.integer({ min: 0, max: 100 }),
    nonce: fc.integer({ min: 0, max: 2 ** 30 }).map((n) => n.toString(16).padStart(16, '0')),
  });

  it('does not depend on the order links are read in', () => {
    fc.assert(
      fc.property(
        fc.array(linkArb, { maxLength: 12 }).chain((links) => fc.tuple(fc.constant(links), fc.shuffledSubarray(links, { minLength: links.length }))),
        fc.constantFrom('u1', 'u2', 'u3'),
        fc.integer({ min: -1, max: 101 }),
        ([links, shuffled], value, time) => {
          const resolved = resolveMappingValue(value, time, links as IdentityLink[]);
          expect(resolveMappingValue(value, time, shuffled as IdentityLink[])).toBe(resolved);
          // The answer is the value itself or a code linked to it by then.
          if (resolved !== value) expect(links.some((l) => l.mappingValue === value && l.visitorCode === resolved && l.time <= time)).toBe(true);
        },
      ),
      { numRuns: 500 },
    );
  });
});
