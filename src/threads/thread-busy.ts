/**
 * How long each thread of this process has kept its event loop busy (Node's event loop
 * utilization: time not spent waiting for I/O or timers), by thread name, for /metrics. A thread
 * that is busy most of each second is the one every request behind it waits for: on SQLite, the
 * writer. The time inside a synchronous SQLite call counts as busy, as does waiting there for an
 * fsync or for a core.
 */
import { performance } from 'node:perf_hooks';
import type { Worker } from 'node:worker_threads';

export const MAIN_THREAD = 'main';

/** Threads alive now, by name (spawnThread registers every one). */
const live = new Map<Worker, { name: string; seen: number }>();
/** Busy ms of threads that have exited, by name: a thread restarted under the same name keeps counting up. */
const ended = new Map<string, number>();

export function watchThread(worker: Worker, name: string): void {
  const entry = { name, seen: 0 };
  live.set(worker, entry);
  worker.once('exit', () => {
    // An exited worker reports nothing more: what it did since the last reading is not counted.
    ended.set(name, (ended.get(name) ?? 0) + entry.seen);
    live.delete(worker);
  });
}

/** Busy seconds since each thread started, this one's (MAIN_THREAD) first. */
export function threadBusySeconds(): Map<string, number> {
  const ms = new Map<string, number>([[MAIN_THREAD, performance.eventLoopUtilization().active], ...ended]);
  for (const [worker, entry] of live) {
    entry.seen = Math.max(entry.seen, worker.performance.eventLoopUtilization().active);
    ms.set(entry.name, (ms.get(entry.name) ?? 0) + entry.seen);
  }
  return new Map([...ms].map(([name, value]) => [name, value / 1000]));
}
