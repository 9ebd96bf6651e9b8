import { Worker, workerData, type TransferListItem } from 'node:worker_threads';
import { watchThread } from './thread-busy.ts';

export interface SpawnOptions {
  name: string;
  transferList?: TransferListItem[];
  /**
   * How the thread loads its TypeScript (thread-shim.mjs): `esm` (the default) through tsx's module
   * hooks, which run on a loader thread of their own; `cjs` through tsx's require hook in the thread
   * itself, one V8 heap fewer, for entries without top-level await.
   */
  loader?: 'esm' | 'cjs';
}

/**
 * Starts a worker thread running a TypeScript module (through thread-shim.mjs, which registers tsx
 * in the new thread). The module reads what it was given with `threadData()`.
 */
export function spawnThread(entry: URL, data: unknown, options: SpawnOptions): Worker {
  const worker = new Worker(new URL('./thread-shim.mjs', import.meta.url), {
    workerData: { entry: entry.href, data, loader: options.loader ?? 'esm' },
    transferList: options.transferList ?? [],
    name: options.name,
  });
  watchThread(worker, options.name);
  return worker;
}

/** What the spawner passed to this thread. */
export function threadData<T>(): T {
  return (workerData as { data: T }).data;
}
