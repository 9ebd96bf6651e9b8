import type { TransferListItem, Worker } from 'node:worker_threads';
import { rpcClient, type RpcClient } from './rpc.ts';
import { spawnThread } from './spawn-thread.ts';

export interface NodeThread {
  rpc: RpcClient;
  /** Resolves once the thread said it is ready; rejects if it died first. */
  ready: Promise<void>;
  /** Ends the thread after `goodbye` (an RPC method that lets it finish its work). */
  stop(goodbye?: string): Promise<void>;
}

/**
 * A long-lived thread of the node (query, attribution): spawned with its data, answering RPC calls,
 * and restarted a second later if it dies on its own, so that one failed thread costs the requests
 * it was serving and nothing else. `describe` names it in the error log.
 */
export function startNodeThread(
  entry: URL,
  data: () => Promise<{ data: unknown; transfer: TransferListItem[] }>,
  options: { name: string; onError: (message: string, error: unknown) => void },
): NodeThread {
  let stopping = false;
  let worker: Worker;
  let current: RpcClient;
  const rpc: RpcClient = {
    call: (method, args, transfer) => current.call(method, args, transfer),
    get pending() {
      return current.pending;
    },
    fail: (error) => current.fail(error),
  };

  async function spawn(): Promise<void> {
    const { data: threadData, transfer } = await data();
    worker = spawnThread(entry, threadData, { name: options.name, transferList: transfer });
    current = rpcClient(worker);
    const started = new Promise<void>((resolve, reject) => {
      worker.on('message', (message: { kind?: string }) => {
        if (message.kind === 'ready') resolve();
      });
      worker.once('exit', (code) => reject(new Error(`${options.name} exited with ${code} before it was ready`)));
    });
    worker.on('error', (error) => options.onError(`${options.name} failed`, error));
    worker.once('exit', (code) => {
      current.fail(new Error(`${options.name} exited (code ${code})`));
      if (stopping) return;
      options.onError(`${options.name} exited; restarting it`, new Error(`exit code ${code}`));
      setTimeout(() => void spawn().catch((error: unknown) => options.onError(`${options.name} did not restart`, error)), 1000).unref();
    });
    await started;
  }

  const ready = spawn();
  return {
    rpc,
    ready,
    async stop(goodbye) {
      stopping = true;
      await ready.catch(() => undefined);
      if (goodbye) await rpc.call(goodbye, []).catch(() => undefined);
      await worker.terminate();
    },
  };
}

/** Several threads of one kind (attribution), started, called and stopped together. */
export interface ThreadGroup {
  threads: readonly NodeThread[];
  ready: Promise<void>;
  stop(goodbye?: string): Promise<void>;
  /** Calls `method` on every thread; resolves once each has answered. */
  callEach(method: string, args: unknown[]): Promise<void>;
}

export function startThreadGroup(count: number, start: (index: number) => NodeThread): ThreadGroup {
  const threads = Array.from({ length: count }, (_, i) => start(i));
  return {
    threads,
    ready: Promise.all(threads.map((t) => t.ready)).then(() => undefined),
    stop: async (goodbye) => {
      await Promise.all(threads.map((t) => t.stop(goodbye)));
    },
    callEach: async (method, args) => {
      await Promise.all(threads.map((t) => t.rpc.call(method, args)));
    },
  };
}
