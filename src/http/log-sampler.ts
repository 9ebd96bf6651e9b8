/**
 * Keeps a warning that a misbehaving client repeats on every request from flooding the log: the
 * first occurrence of a key is logged, then at most one line per interval, which tells how many
 * were left out since the previous one. Keys are few (site codes); the table is bounded anyway.
 */
export interface LogSampler {
  /** null: leave this one out; otherwise log it, with the number left out since the last line. */
  take(key: string, now: number): { suppressed: number } | null;
}

const MAX_KEYS = 10_000;

export function createLogSampler(options: { intervalMs: number }): LogSampler {
  const seen = new Map<string, { loggedAt: number; suppressed: number }>();
  return {
    take(key, now) {
      const entry = seen.get(key);
      if (entry && now - entry.loggedAt < options.intervalMs) {
        entry.suppressed += 1;
        return null;
      }
      if (!entry && seen.size >= MAX_KEYS) seen.clear();
      seen.set(key, { loggedAt: now, suppressed: 0 });
      return { suppressed: entry?.suppressed ?? 0 };
    },
  };
}
