import type { Identity, VisitorEvent } from '../core/events.ts';
import { LIMITS } from '../core/limits.ts';
import type { Site } from '../core/site-settings.ts';
import { sessionize, splitCurrentVisit, type Visit } from '../core/visits.ts';
import type { Storage } from '../storage/port.ts';
import { personOf, WHY } from './explain-attribution.ts';
import { attributionOfPerson } from './person-state.ts';

function eventView(event: VisitorEvent) {
  return { type: event.type, identity: event.identity, nonce: event.nonce, time: event.time, receivedAt: event.receivedAt, data: event.data, itp: event.itp, sdk: event.sdk };
}

/**
 * Everything about one visitor or person, for the visitor inspector: the person the identity
 * belongs to, its visitor codes and links, every visit of every code (newest first) with all of
 * its events, and for each experiment the person was exposed to, why each conversion counted or not.
 * The same reads and pure attribution as the results, so what it says is what the results count.
 */
export async function inspectVisitor(storage: Storage, site: Site, identity: Identity, now: number) {
  const person = await personOf(storage, site.id, identity);
  const { events, attributions } = await attributionOfPerson(storage, site, person);
  const codes = [...events.keys()].sort();
  const links = codes.length === 0 ? [] : await storage.linksOfVisitorCodes(site.id, codes);

  const visits: Visit[] = [];
  for (const [code, list] of events) visits.push(...sessionize(code, list, site.settings.visitTimeoutMs));
  const split = splitCurrentVisit(visits, now, site.settings.visitTimeoutMs);
  const newestFirst = split.current ? [split.current, ...split.previous] : split.previous;
  let eventBudget: number = LIMITS.inspectorEvents;
  const shown = [];
  for (const visit of newestFirst.slice(0, LIMITS.inspectorVisits)) {
    if (eventBudget <= 0) break;
    const kept = visit.events.slice(-eventBudget);
    eventBudget -= kept.length;
    shown.push({
      visitorCode: visit.visitorCode,
      timeStarted: visit.timeStarted,
      timeLastEvent: visit.timeLastEvent,
      current: visit === split.current,
      eventCount: visit.events.length,
      events: kept.map(eventView),
    });
  }
  const totalEvents = visits.reduce((n, v) => n + v.events.length, 0);

  const experiments = await Promise.all(
    attributions.map(async (a) => {
      const record = await storage.getExperiment(site.id, a.experimentId);
      const variationName = (id: number) => record?.variations.find((v) => v.id === id)?.name ?? `Variation ${id}`;
      return {
        experimentId: a.experimentId,
        name: record?.name ?? `Experiment ${a.experimentId}`,
        variationId: a.variationId,
        variationName: variationName(a.variationId),
        firstExposure: a.firstExposure,
        variationsSeen: a.variations.map((id) => ({ id, name: variationName(id) })),
        outlierVisits: a.outlierVisits,
        conversions: [...a.conversions]
          .sort((x, y) => x.time - y.time)
          .map((c) => ({
            ...c,
            refund: c.negative,
            explanation: c.counted && c.negative ? `${WHY[c.reason]} (a refund: it subtracts its revenue and is not a conversion)` : WHY[c.reason],
          })),
      };
    }),
  );

  return {
    siteCode: site.code,
    identity,
    person,
    visitorCodes: codes,
    links: links.map((l) => ({ visitorCode: l.visitorCode, mappingValue: l.mappingValue, time: l.time })).sort((x, y) => x.time - y.time),
    visitTimeoutMs: site.settings.visitTimeoutMs,
    attributionWindowMs: site.settings.attributionWindowMs,
    visitCount: visits.length,
    eventCount: totalEvents,
    truncated: shown.length < visits.length || shown.reduce((n, v) => n + v.events.length, 0) < totalEvents,
    visits: shown,
    experiments,
  };
}
