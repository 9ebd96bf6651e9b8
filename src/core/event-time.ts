import { LIMITS } from './limits.ts';

export type EventTimeVerdict =
  | { ok: true; time: number }
  | { ok: false; problem: 'too_old'; cutoff: number; looksLikeSeconds: boolean }
  | { ok: false; problem: 'too_far_ahead'; limit: number };

/**
 * The time an event is filed under: the receive time, unless the client supplied one (epoch ms)
 * no older than the site's late-event horizon and no more than a few minutes in the future.
 */
export function eventTime(supplied: number | undefined, receivedAt: number, lateHorizonMs: number): EventTimeVerdict {
  if (supplied === undefined) return { ok: true, time: receivedAt };
  const cutoff = receivedAt - lateHorizonMs;
  if (supplied < cutoff) return { ok: false, problem: 'too_old', cutoff, looksLikeSeconds: supplied < 1e11 };
  if (supplied > receivedAt + LIMITS.futureSkewMs) return { ok: false, problem: 'too_far_ahead', limit: receivedAt + LIMITS.futureSkewMs };
  return { ok: true, time: supplied };
}
