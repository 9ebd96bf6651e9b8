import type { VisitorEvent } from './events.ts';
import { sessionize, type Visit } from './visits.ts';

/**
 * What a visitor read needs to know to stop reading: GET /visit/visitor returns the active visit
 * (the one holding the newest event) and the `maxPreviousVisits` newest others, so a reader that
 * goes through a person's events newest first can stop as soon as those visits are known whole.
 *
 * `collected` holds, per visitor code, every event newer than `bound` (and possibly some at it);
 * every event not collected is at or before `bound` (null once the history is exhausted). A code's
 * oldest collected visit is complete only if the gap down to `bound` exceeds the visit timeout.
 */
export interface NewestVisits {
  /** True when reading further cannot change the answer. */
  done: boolean;
  /** Every complete visit found so far (when done: a superset of the visits to return). */
  visits: Visit[];
}

export function newestVisits(
  collected: ReadonlyMap<string, readonly VisitorEvent[]>,
  bound: number | null,
  options: { maxPreviousVisits: number; visitTimeoutMs: number },
): NewestVisits {
  const complete: Visit[] = [];
  /** Start so far of each code's oldest visit when more of it may still be unread. */
  const open: Visit[] = [];
  for (const [code, events] of collected) {
    const visits = sessionize(code, events, options.visitTimeoutMs);
    const oldest = visits[0];
    if (oldest && bound !== null && oldest.timeStarted - bound <= options.visitTimeoutMs) {
      open.push(oldest);
      complete.push(...visits.slice(1));
    } else {
      complete.push(...visits);
    }
  }
  if (bound === null) return { done: true, visits: complete };
  // The active visit holds the newest event; every visit that ties for it must be whole, since the
  // order between them decides which one is active.
  const newest = Math.max(-Infinity, ...complete.map((v) => v.timeLastEvent), ...open.map((v) => v.timeLastEvent));
  if (open.some((v) => v.timeLastEvent === newest)) return { done: false, visits: complete };
  // A complete visit starts more than a timeout after `bound` (else it would be its code's oldest,
  // and open), while an open or unseen visit starts at most a timeout after it: every complete
  // visit sorts before all of them. One more than maxPreviousVisits, since the active visit may be
  // among the newest and is then left out of the previous ones.
  return { done: complete.length >= options.maxPreviousVisits + 1, visits: complete };
}
