import type { AppendVerdict, SiteEvent, Storage } from '../storage/port.ts';

interface Pending {
  events: readonly SiteEvent[];
  resolve: (verdicts: AppendVerdict[]) => void;
  reject: (error: unknown) => void;
}

export interface GroupCommitter {
  /** Resolves with one verdict per event once they are durable. */
  submit(events: readonly SiteEvent[]): Promise<AppendVerdict[]>;
  /** Resolves when everything submitted so far is committed. */
  drain(): Promise<void>;
}

/**
 * Group commit: requests that arrive while a transaction is being written wait and are then written
 * together in the next one, so one fsync acknowledges many requests. Batches are capped so that one
 * transaction never holds the writer for long.
 */
export function createGroupCommitter(storage: Storage, options: { maxEvents: number }): GroupCommitter {
  const queue: Pending[] = [];
  let running: Promise<void> | null = null;

  async function run(): Promise<void> {
    // Let requests parsed in the same turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch: Pending[] = [];
      let size = 0;
      while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.events.length <= options.maxEvents)) {
        const next = queue.shift()!;
        batch.push(next);
        size += next.events.length;
      }
      try {
        const verdicts = await storage.appendEvents(batch.flatMap((p) => p.events));
        let offset = 0;
        for (const pending of batch) {
          pending.resolve(verdicts.slice(offset, offset + pending.events.length));
          offset += pending.events.length;
        }
      } catch (error) {
        for (const pending of batch) pending.reject(error);
      }
    }
  }

  function ensureRunning(): void {
    if (running) return;
    running = run().finally(() => {
      running = null;
      if (queue.length > 0) ensureRunning();
    });
  }

  return {
    submit(events) {
      if (events.length === 0) return Promise.resolve([]);
      return new Promise((resolve, reject) => {
        queue.push({ events, resolve, reject });
        ensureRunning();
      });
    },
    async drain() {
      while (running) await running;
    },
  };
}
