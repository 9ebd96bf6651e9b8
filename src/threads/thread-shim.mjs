// Worker threads do not inherit tsx's loader under Node 20 (`node --import tsx` registers it for the
// main thread only): register it here, then load the TypeScript entry the spawner named.
import { workerData } from 'node:worker_threads';
import { register } from 'tsx/esm/api';

register();
await import(workerData.entry);
