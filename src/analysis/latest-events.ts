import { LIMITS } from '../core/limits.ts';
import type { EventType, VisitorEvent } from '../core/events.ts';
import type { Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';

export interface LatestEventsRequest {
  limit: number;
  /** Only events received at or after this time; absent: as far back as the tail looks. */
  since?: number;
  type?: EventType;
  /** A visitor code or mapping value, as the events were sent. */
  identity?: string;
  now: number;
}

/** First reads widen their window step by step, so a busy store is not read a day back to find 100 events. */
const WINDOWS_MS = [60_000, 3_600_000, LIMITS.latestEventsWindowMs];

/** An event as the live tail shows it: everything stored, with its key. */
function tailEvent(event: VisitorEvent) {
  return {
    type: event.type,
    identity: event.identity,
    nonce: event.nonce,
    time: event.time,
    receivedAt: event.receivedAt,
    data: event.data,
    itp: event.itp,
    sdk: event.sdk,
  };
}

/**
 * The latest events of a site, newest first (the live tail). Polls pass `since` (the previous
 * answer's `now` minus a margin, de-duplicating by nonce and identity), so each one reads seconds of
 * events. A filtered read looks at most at the site's newest LIMITS.latestEventsScan rows.
 */
export async function latestEvents(storage: Storage, site: Site, request: LatestEventsRequest) {
  const floor = request.now - LIMITS.latestEventsWindowMs;
  const requested = Math.max(request.since ?? floor, floor);
  const filters = { ...(request.type ? { type: request.type } : {}), ...(request.identity ? { identity: request.identity } : {}) };
  let events: VisitorEvent[] = [];
  for (const window of WINDOWS_MS) {
    const since = Math.max(requested, request.now - window);
    events = await storage.latestEvents(site.id, { since, limit: request.limit, scan: LIMITS.latestEventsScan, ...filters });
    if (events.length >= request.limit || since === requested) break;
  }
  events.sort((a, b) => b.receivedAt - a.receivedAt);
  return {
    siteCode: site.code,
    now: request.now,
    since: requested,
    scanLimit: LIMITS.latestEventsScan,
    events: events.map(tailEvent),
  };
}
