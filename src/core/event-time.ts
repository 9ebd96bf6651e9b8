import { LIMITS } from './limits.ts';

export type EventTimeVerdict = { ok: true; time: number } | { ok: false; message: string };

/**
 * The time an event is filed under: the receive time, unless the client supplied one (epoch ms)
 * no older than the site's late-event horizon and no more than a few minutes in the future.
 */
export function eventTime(supplied: number | undefined, receivedAt: number, lateHorizonMs: number): EventTimeVerdict {
  if (supplied === undefined) return { ok: true, time: receivedAt };
  if (supplied < receivedAt - lateHorizonMs) {
    const hint = supplied < 1e11 ? ' (time is in epoch milliseconds; this looks like seconds)' : '';
    return { ok: false, message: `time ${supplied} is older than the late-event horizon of ${Math.round(lateHorizonMs / 86_400_000)} days${hint}` };
  }
  if (supplied > receivedAt + LIMITS.futureSkewMs) {
    return { ok: false, message: `time ${supplied} is more than ${LIMITS.futureSkewMs / 60_000} minutes in the future` };
  }
  return { ok: true, time: supplied };
}
