import type { Identity } from '../core/events.ts';
import type { Site } from '../core/site-settings.ts';
import { experimentOverview, type OverviewPage } from './experiment-overview.ts';
import { explainAttribution } from './explain-attribution.ts';
import { inspectVisitor } from './inspect-visitor.ts';
import { latestEvents, type LatestEventsRequest } from './latest-events.ts';
import { readVisitor, type ReadDeps, type VisitorQuery } from './read-visitor.ts';

/**
 * The reads whose cost depends on a visitor's history or on how much a site holds: a visitor's
 * visits, a person's attribution and inspection, a site's live tail and its experiments list. The
 * server answers them on a thread of their own (src/query-thread.ts), so that none of them holds
 * the HTTP thread; `inProcessReads` is the same use-cases called directly.
 */
export interface HeavyReads {
  /** GET /visit/visitor's body, as text (it crosses threads as one string). */
  visitorText(query: VisitorQuery, options: { pretty: boolean }): Promise<string>;
  explain(site: Site, experimentId: number, identity: Identity): Promise<Awaited<ReturnType<typeof explainAttribution>>>;
  inspect(site: Site, identity: Identity, now: number): Promise<Awaited<ReturnType<typeof inspectVisitor>>>;
  latestEvents(site: Site, request: LatestEventsRequest): Promise<Awaited<ReturnType<typeof latestEvents>>>;
  overview(site: Site, now: number, page: OverviewPage): Promise<Awaited<ReturnType<typeof experimentOverview>>>;
}

export function inProcessReads(deps: ReadDeps): HeavyReads {
  return {
    async visitorText(query, { pretty }) {
      const body = await readVisitor(deps, query);
      return pretty ? JSON.stringify(body, null, 2) : JSON.stringify(body);
    },
    explain: (site, experimentId, identity) => explainAttribution(deps.storage, site, experimentId, identity),
    inspect: (site, identity, now) => inspectVisitor(deps.storage, site, identity, now),
    latestEvents: (site, request) => latestEvents(deps.storage, site, request),
    overview: (site, now, page) => experimentOverview(deps.storage, site, now, page),
  };
}
