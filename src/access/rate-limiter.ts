/** A budget: at most `limit` counted events per `windowMs`. */
export interface Budget {
  limit: number;
  windowMs: number;
}

export type Take = { ok: true } | { ok: false; retryAfterMs: number };

export interface RateLimiter {
  /** Counts one event against `key` and says whether it is within the budget. */
  take(key: string, budget: Budget): Take;
  /** Whether `key` has spent its budget, without counting (failed logins are counted only when they fail). */
  check(key: string, budget: Budget): Take;
  /** Counts one event against `key` without asking. */
  add(key: string, budget: Budget): void;
  /** Keys tracked now (for tests and metrics). */
  size(): number;
}

/**
 * Fixed windows per key, in memory, per node: a window opens at a key's first event and holds
 * `limit` events; the next event after that waits for the window's end (Retry-After). Fixed windows
 * let a client reach twice the limit across a window boundary, which is fine for limits meant to
 * stop floods, not to meter. At most `maxKeys` keys are tracked: beyond that, windows that ended
 * are dropped, and if that is not enough every window starts over.
 */
export function createRateLimiter(options: { now: () => number; maxKeys: number }): RateLimiter {
  const windows = new Map<string, { end: number; count: number }>();

  function windowOf(key: string, budget: Budget, now: number) {
    let window = windows.get(key);
    if (window && window.end <= now) {
      windows.delete(key);
      window = undefined;
    }
    if (!window) {
      if (windows.size >= options.maxKeys) {
        for (const [k, w] of windows) if (w.end <= now) windows.delete(k);
        if (windows.size >= options.maxKeys) windows.clear();
      }
      window = { end: now + budget.windowMs, count: 0 };
      windows.set(key, window);
    }
    return window;
  }

  const verdict = (count: number, budget: Budget, end: number, now: number): Take =>
    count <= budget.limit ? { ok: true } : { ok: false, retryAfterMs: end - now };

  return {
    take(key, budget) {
      const now = options.now();
      const window = windowOf(key, budget, now);
      window.count++;
      return verdict(window.count, budget, window.end, now);
    },
    check(key, budget) {
      const now = options.now();
      const window = windows.get(key);
      if (!window || window.end <= now) return { ok: true };
      return verdict(window.count + 1, budget, window.end, now);
    },
    add(key, budget) {
      windowOf(key, budget, options.now()).count++;
    },
    size: () => windows.size,
  };
}
