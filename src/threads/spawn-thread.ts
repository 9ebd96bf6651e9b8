import { Worker, workerData, type TransferListItem } from 'node:worker_threads';

/**
 * Starts a worker thread running a TypeScript module (through thread-shim.mjs, which registers tsx
 * in the new thread). The module reads what it was given with `threadData()`.
 */
export function spawnThread(entry: URL, data: unknown, options: { name: string; transferList?: TransferListItem[] }): Worker {
  return new Worker(new URL('./thread-shim.mjs', import.meta.url), {
    workerData: { entry: entry.href, data },
    transferList: options.transferList ?? [],
    name: options.name,
  });
}

/** What the spawner passed to this thread. */
export function threadData<T>(): T {
  return (workerData as { data: T }).data;
}
