import { compareEvents, type VisitorEvent } from './events.ts';

/**
 * A visit: one visitor code's events, in time order, with no gap longer than the visit timeout.
 * Visits are a pure function of the events, so live traffic, late events, imports and replays all
 * give the same visits.
 */
export interface Visit {
  visitorCode: string;
  timeStarted: number;
  timeLastEvent: number;
  events: VisitorEvent[];
}

/**
 * Splits one visitor code's events into visits, oldest first. The input may be in any order;
 * events are sorted by (time, nonce) first so arrival order never matters.
 */
export function sessionize(visitorCode: string, events: readonly VisitorEvent[], visitTimeoutMs: number): Visit[] {
  const sorted = [...events].sort(compareEvents);
  const visits: Visit[] = [];
  let current: Visit | undefined;
  for (const event of sorted) {
    if (!current || event.time - current.timeLastEvent > visitTimeoutMs) {
      current = { visitorCode, timeStarted: event.time, timeLastEvent: event.time, events: [] };
      visits.push(current);
    }
    current.events.push(event);
    current.timeLastEvent = event.time;
  }
  return visits;
}

export interface SplitVisits {
  current: Visit | null;
  /** Newest first. */
  previous: Visit[];
}

/**
 * The current visit is the most recently active one if its last event is within the timeout of
 * `now`; every other visit is a previous visit, newest first. An offline conversion posted long
 * after the last activity thus opens a visit of its own, which is current until the timeout passes.
 * One visitor code's visits never overlap, so "most recently active" only matters for a person's
 * several codes: the device used last holds the current visit, as Kameleoon answers for mapping values.
 */
export function splitCurrentVisit(visits: readonly Visit[], now: number, visitTimeoutMs: number): SplitVisits {
  // Visits of a person's several visitor codes may start together; the code breaks the tie so that
  // the order never depends on the order the codes were read in.
  const newestFirst = [...visits].sort(
    (a, b) =>
      b.timeStarted - a.timeStarted ||
      b.timeLastEvent - a.timeLastEvent ||
      (a.visitorCode < b.visitorCode ? -1 : a.visitorCode > b.visitorCode ? 1 : 0),
  );
  let active: Visit | undefined;
  for (const visit of newestFirst) if (!active || visit.timeLastEvent > active.timeLastEvent) active = visit;
  if (active && now - active.timeLastEvent <= visitTimeoutMs) {
    return { current: active, previous: newestFirst.filter((v) => v !== active) };
  }
  return { current: null, previous: newestFirst };
}
