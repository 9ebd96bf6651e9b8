/**
 * The attribution thread: runs the attribution worker on a store handle of its own, so that
 * recomputing persons never holds the HTTP thread, its reads or its acknowledgements.
 */
import { parentPort } from 'node:worker_threads';
import { startAttributionWorker, type WorkerOptions } from './analysis/attribution-worker.ts';
import { createLogger } from './log.ts';
import { attachNodeStore, type StoreLink } from './store-link.ts';
import { serveRpc } from './threads/rpc.ts';
import { threadData } from './threads/spawn-thread.ts';
import { lowerThreadPriority } from './threads/thread-priority.ts';

export interface AttributionThreadData {
  link: StoreLink;
  logLevel: string;
  /** OS niceness of this thread: recomputations take the cores only when acknowledgements and reads leave them. */
  niceness: number;
  worker: Pick<WorkerOptions, 'batch' | 'idleMs' | 'gatherMs' | 'leaseMs' | 'quotas'>;
}

const { link, logLevel, niceness, worker: options } = threadData<AttributionThreadData>();
const logger = createLogger(logLevel);
if ((await lowerThreadPriority(niceness)) === null) logger.warn({ niceness }, 'this platform cannot lower one thread\'s priority: the attribution thread runs at the process\'s');
const storage = await attachNodeStore(link);
const worker = startAttributionWorker(storage, {
  ...options,
  now: Date.now,
  onError: (error) => logger.error({ err: error }, 'attribution round failed'),
});
serveRpc(parentPort!, {
  kick: () => worker.kick(),
  settle: () => worker.settle(),
  stop: async () => {
    await worker.stop();
    await storage.close();
  },
});
parentPort!.postMessage({ kind: 'ready' });
