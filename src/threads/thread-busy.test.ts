import { once } from 'node:events';
import { Worker } from 'node:worker_threads';
import { describe, expect, it } from 'vitest';
import { MAIN_THREAD, threadBusySeconds, watchThread } from './thread-busy.ts';

/** A thread that keeps its event loop busy for `ms`, then waits to be told to end. */
function spinner(ms: number): Worker {
  return new Worker(
    `const { parentPort } = require('node:worker_threads');
     const end = Date.now() + ${ms};
     while (Date.now() < end) {}
     parentPort.postMessage('spun');
     parentPort.once('message', () => process.exit(0));`,
    { eval: true },
  );
}

describe('thread busy time', () => {
  it('counts each watched thread by name, keeps what an exited one did, and adds a restarted one to it', async () => {
    const first = spinner(120);
    watchThread(first, 'spinner');
    await once(first, 'message');
    const during = threadBusySeconds();
    expect(during.get('spinner')).toBeGreaterThanOrEqual(0.1);
    expect(during.get(MAIN_THREAD)).toBeGreaterThan(0);
    first.postMessage('end');
    await once(first, 'exit');
    // Read once more after the exit: nothing is lost of what was read before it.
    expect(threadBusySeconds().get('spinner')).toBeGreaterThanOrEqual(during.get('spinner')!);

    const second = spinner(60);
    watchThread(second, 'spinner');
    await once(second, 'message');
    expect(threadBusySeconds().get('spinner')).toBeGreaterThanOrEqual(during.get('spinner')! + 0.05);
    second.postMessage('end');
    await once(second, 'exit');
  });
});
