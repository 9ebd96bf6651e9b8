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

export interface GroupCommitOptions {
  /** Most events one transaction writes, so that no transaction holds a writer for long. */
  maxEvents: number;
  /**
   * Transactions in flight at once. An embedded store has one writer (1); a server database
   * overlaps one commit's flush with the next one's work, so several lanes keep it busy.
   */
  lanes: number;
  /** Called after each transaction that stored events (e.g. to wake the attribution worker). */
  onCommitted?: () => void;
}

/**
 * Group commit: requests that arrive while a transaction is being written wait and are then written
 * together in the next one, so one flush acknowledges many requests.
 */
export function createGroupCommitter(storage: Storage, options: GroupCommitOptions): GroupCommitter {
  const queue: Pending[] = [];
  const running = new Set<Promise<void>>();

  function takeBatch(): Pending[] {
    const batch: Pending[] = [];
    let size = 0;
    while (queue.length > 0 && (batch.length === 0 || size + queue[0]!.events.length <= options.maxEvents)) {
      const next = queue.shift()!;
      batch.push(next);
      size += next.events.length;
    }
    return batch;
  }

  async function lane(): Promise<void> {
    // Let requests parsed in the same turn of the event loop join the first batch.
    await new Promise((resolve) => setImmediate(resolve));
    while (queue.length > 0) {
      const batch = takeBatch();
      try {
        const verdicts = await storage.appendEvents(batch.flatMap((p) => p.events));
        options.onCommitted?.();
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
    if (running.size >= Math.max(1, options.lanes)) return;
    const done: Promise<void> = lane().finally(() => {
      running.delete(done);
      if (queue.length > 0) ensureRunning();
    });
    running.add(done);
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
      while (running.size > 0) await Promise.all([...running]);
    },
  };
}
