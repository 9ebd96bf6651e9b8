import { describe, expect, it } from 'vitest';
import type { VisitorEvent } from './events.ts';
import { sessionize, splitCurrentVisit, type Visit } from './visits.ts';

const MIN = 60_000;
const TIMEOUT = 30 * MIN;
const T0 = 1_795_900_000_000;

let counter = 0;
function ev(time: number, nonce = (++counter).toString(16).padStart(16, '0')): VisitorEvent {
  return { type: 'activity', data: {}, identity: { kind: 'visitorCode', value: 'v' }, nonce, time, receivedAt: time, itp: false, sdk: null };
}
const shape = (visits: Visit[]) => visits.map((v) => ({ start: v.timeStarted - T0, last: v.timeLastEvent - T0, n: v.events.length }));

describe('sessionize', () => {
  it('gives no visit for no events', () => {
    expect(sessionize('v', [], TIMEOUT)).toEqual([]);
  });

  it('keeps a gap of exactly the timeout in the same visit and splits just over it', () => {
    expect(shape(sessionize('v', [ev(T0), ev(T0 + TIMEOUT)], TIMEOUT))).toEqual([{ start: 0, last: TIMEOUT, n: 2 }]);
    expect(shape(sessionize('v', [ev(T0), ev(T0 + TIMEOUT + 1)], TIMEOUT))).toEqual([
      { start: 0, last: 0, n: 1 },
      { start: TIMEOUT + 1, last: TIMEOUT + 1, n: 1 },
    ]);
  });

  it('measures the gap from the previous event, not from the visit start', () => {
    const events = [0, 20, 40, 60, 80].map((m) => ev(T0 + m * MIN));
    expect(shape(sessionize('v', events, TIMEOUT))).toEqual([{ start: 0, last: 80 * MIN, n: 5 }]);
  });

  it('sorts events by time then nonce, whatever their order, and labels visits with the visitor code', () => {
    const a = ev(T0 + 5 * MIN, '00000000000000aa');
    const b = ev(T0 + 5 * MIN, '00000000000000ab');
    const c = ev(T0);
    const d = ev(T0 + 2 * 3_600_000);
    const forward = sessionize('code-1', [c, a, b, d], TIMEOUT);
    const backward = sessionize('code-1', [d, b, a, c], TIMEOUT);
    expect(backward).toEqual(forward);
    expect(forward.map((v) => v.visitorCode)).toEqual(['code-1', 'code-1']);
    expect(forward[0]!.events).toEqual([c, a, b]);
    expect(forward[1]!.events).toEqual([d]);
  });

  it('does not mutate its input', () => {
    const events = [ev(T0 + MIN), ev(T0)];
    const copy = [...events];
    sessionize('v', events, TIMEOUT);
    expect(events).toEqual(copy);
  });

  it('honours another site timeout', () => {
    expect(sessionize('v', [ev(T0), ev(T0 + 10 * MIN)], 5 * MIN)).toHaveLength(2);
  });
});

describe('splitCurrentVisit', () => {
  const visits = sessionize('v', [ev(T0), ev(T0 + 10 * MIN), ev(T0 + 2 * 3_600_000), ev(T0 + 5 * 3_600_000)], TIMEOUT);
  const last = T0 + 5 * 3_600_000;

  it('makes the newest visit current while its last event is within the timeout of now, boundary included', () => {
    const split = splitCurrentVisit(visits, last + TIMEOUT, TIMEOUT);
    expect(split.current?.timeStarted).toBe(last);
    expect(split.previous.map((v) => v.timeStarted)).toEqual([T0 + 2 * 3_600_000, T0]);
  });

  it('makes every visit previous, newest first, once the timeout has passed', () => {
    const split = splitCurrentVisit(visits, last + TIMEOUT + 1, TIMEOUT);
    expect(split.current).toBeNull();
    expect(split.previous.map((v) => v.timeStarted)).toEqual([last, T0 + 2 * 3_600_000, T0]);
  });

  it('handles no visits', () => {
    expect(splitCurrentVisit([], T0, TIMEOUT)).toEqual({ current: null, previous: [] });
  });

  it('does not depend on the order visits are given in', () => {
    expect(splitCurrentVisit([...visits].reverse(), last + 1, TIMEOUT)).toEqual(splitCurrentVisit(visits, last + 1, TIMEOUT));
  });

  it('orders visits of several visitor codes that start together the same way whatever their order', () => {
    const a = sessionize('a', [ev(T0)], TIMEOUT);
    const b = sessionize('b', [ev(T0)], TIMEOUT);
    const one = splitCurrentVisit([...a, ...b], T0 + 3_600_000, TIMEOUT);
    const two = splitCurrentVisit([...b, ...a], T0 + 3_600_000, TIMEOUT);
    expect(two.previous.map((v) => v.visitorCode)).toEqual(one.previous.map((v) => v.visitorCode));
  });

  it('makes the most recently active visit of a person current, even if another code started later', () => {
    const phone = sessionize('phone', [ev(T0), ev(T0 + 20 * MIN)], TIMEOUT);
    const laptop = sessionize('laptop', [ev(T0 + 5 * MIN), ev(T0 + 10 * MIN)], TIMEOUT);
    const split = splitCurrentVisit([...laptop, ...phone], T0 + 25 * MIN, TIMEOUT);
    expect(split.current?.visitorCode).toBe('phone');
    expect(split.previous.map((v) => v.visitorCode)).toEqual(['laptop']);
    expect(splitCurrentVisit([...phone, ...laptop], T0 + 25 * MIN, TIMEOUT)).toEqual(split);
  });

  it('files an offline conversion posted long after the last activity in a visit of its own', () => {
    const withLate = sessionize('v', [ev(T0), ev(T0 + 3 * 86_400_000)], TIMEOUT);
    const split = splitCurrentVisit(withLate, T0 + 3 * 86_400_000 + MIN, TIMEOUT);
    expect(split.current?.events).toHaveLength(1);
    expect(split.previous).toHaveLength(1);
  });
});
