// Worker threads do not inherit tsx's loader under Node 20 (`node --import tsx` registers it for the
// main thread only): register it here, then load the TypeScript entry the spawner named.
//
// `esm`: tsx's module hooks, which Node runs on a loader thread of their own (one more V8 heap per
// thread, 10-25 MB); any entry, top-level await included. `cjs`: tsx's require hook, in this
// thread, for entries without top-level await (the SQLite writer and checkpointer): the same code,
// without the loader thread.
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { workerData } from 'node:worker_threads';

if (workerData.loader === 'cjs') {
  const { register } = await import('tsx/cjs/api');
  register();
  createRequire(import.meta.url)(fileURLToPath(workerData.entry));
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import(workerData.entry);
}
