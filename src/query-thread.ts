/**
 * The query thread: answers the reads whose cost depends on a visitor's history or a site's size
 * (GET /visit/visitor, explain, the dashboard's inspection, live tail and experiments list) on a
 * store handle of its own, so that they never hold the HTTP thread.
 */
import { parentPort } from 'node:worker_threads';
import { inProcessReads } from './analysis/heavy-reads.ts';
import { createSiteDirectory } from './sites/site-directory.ts';
import { attachNodeStore, type StoreLink } from './store-link.ts';
import { serveRpc } from './threads/rpc.ts';
import { threadData } from './threads/spawn-thread.ts';

export interface QueryThreadData {
  link: StoreLink;
  autoCreateSites: boolean;
  siteCacheMs: number;
}

const { link, autoCreateSites, siteCacheMs } = threadData<QueryThreadData>();
const storage = await attachNodeStore(link);
const reads = inProcessReads({ storage, sites: createSiteDirectory(storage, { autoCreate: autoCreateSites, cacheMs: siteCacheMs }) });
serveRpc(parentPort!, {
  visitorText: reads.visitorText,
  explain: reads.explain,
  inspect: reads.inspect,
  latestEvents: reads.latestEvents,
  overview: reads.overview,
  close: () => storage.close(),
});
parentPort!.postMessage({ kind: 'ready' });
