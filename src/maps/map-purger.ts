import type { Storage } from '../storage/port.ts';

export interface MapPurger {
  /** One pass: deletes expired keys in batches until none is left; answers how many. */
  purgeNow(): Promise<number>;
  stop(): void;
}

const BATCH = 1000;

/**
 * Expired keys are invisible at once (reads filter on expiry); this timer reclaims their space in
 * small batches so that one purge never holds the writer for long.
 */
export function startMapPurger(storage: Storage, options: { intervalMs: number; now?: () => number }): MapPurger {
  const now = options.now ?? Date.now;
  let running: Promise<number> | null = null;

  async function pass(): Promise<number> {
    let total = 0;
    for (;;) {
      const purged = await storage.purgeExpiredMaps(now(), BATCH);
      total += purged;
      if (purged < BATCH) return total;
      await new Promise((resolve) => setImmediate(resolve));
    }
  }

  const purgeNow = () => (running ??= pass().finally(() => (running = null)));
  const timer = options.intervalMs > 0
    ? setInterval(() => {
        purgeNow().catch(() => undefined);
      }, options.intervalMs)
    : null;
  timer?.unref();

  return {
    purgeNow,
    stop() {
      if (timer) clearInterval(timer);
    },
  };
}
