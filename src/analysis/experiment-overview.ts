import { LIMITS } from '../core/limits.ts';
import type { ExperimentRecord } from '../core/registry.ts';
import type { Site } from '../core/site-settings.ts';
import type { Storage } from '../storage/port.ts';
import { count, srmCheck, totalsByVariation, variationIdsOf } from './experiment-results.ts';
import { latestEvents } from './latest-events.ts';

const DAY = 86_400_000;
const isoDay = (day: number) => new Date(day * DAY).toISOString().slice(0, 10);

/**
 * Days an experiment has been collecting: from its analysis period's start (else its first unit's
 * UTC day) to the period's end, or now while it is still open. Null before anything started.
 */
export function daysRunning(experiment: ExperimentRecord, firstUnitDay: number | null, now: number): number | null {
  const start = experiment.analysisPeriod.start ?? (firstUnitDay === null ? null : firstUnitDay * DAY);
  if (start === null || start > now) return null;
  const end = Math.min(experiment.analysisPeriod.end ?? now, now);
  return Math.max(0, Math.floor((end - start) / DAY));
}

/** One line of the experiments list, from the unit and health aggregates only (not the goals'). */
async function summary(storage: Storage, site: Site, experiment: ExperimentRecord, now: number, lastExposureAt: number | null) {
  const aggregates = await storage.resultAggregates(site.id, experiment.id, ['U', 'H']);
  const { variations, health } = totalsByVariation(aggregates, 'visitor');
  const ids = variationIdsOf(experiment, variations);
  const days = [...variations.values()].flatMap((v) => [...v.daily].filter(([, d]) => count(d.units) > 0).map(([day]) => day));
  const firstDay = days.length > 0 ? Math.min(...days) : null;
  const lastDay = days.length > 0 ? Math.max(...days) : null;
  const units = Object.fromEntries(ids.map((id) => [id, count(variations.get(id)?.units ?? 0)]));
  const srm = srmCheck(experiment, ids, (id) => units[id] ?? 0);
  return {
    id: experiment.id,
    name: experiment.name,
    status: experiment.status,
    analysisPeriod: experiment.analysisPeriod,
    variations: ids.map((id) => ({ id, name: experiment.variations.find((v) => v.id === id)?.name ?? `Variation ${id}`, units: units[id] ?? 0 })),
    units: Object.values(units).reduce((a, b) => a + b, 0),
    firstUnitDay: firstDay === null ? null : isoDay(firstDay),
    lastUnitDay: lastDay === null ? null : isoDay(lastDay),
    daysRunning: daysRunning(experiment, firstDay, now),
    lastExposureAt,
    srm: srm === null ? null : { pValue: srm.pValue, mismatch: srm.mismatch },
    multipleVariationPersons: count(health[1] ?? 0),
    excludedOutlierVisits: count(health[2] ?? 0),
  };
}

/** Which experiments of the list to summarise (in id order): at most LIMITS.overviewExperiments. */
export interface OverviewPage {
  offset?: number;
  limit?: number;
}

/**
 * The experiments list of a site, a page at a time: per experiment its status, days running, exposed units (visitor
 * level), its latest exposure, the days of its first and latest new unit, and its health (SRM, persons in several
 * variations, outlier visits), plus the time of the site's latest event. Reads only the unit and
 * health rows of each experiment's aggregates, never events.
 */
export async function experimentOverview(storage: Storage, site: Site, now: number, page: OverviewPage = {}) {
  const offset = page.offset ?? 0;
  const limit = Math.min(page.limit ?? LIMITS.overviewExperiments, LIMITS.overviewExperiments);
  const [all, exposures] = await Promise.all([storage.listExperiments(site.id), storage.lastExposures(site.id)]);
  const shown = all.slice(offset, offset + limit);
  const [pendingRecomputations, latest, ...experiments] = await Promise.all([
    storage.dirtyBacklog(),
    latestEvents(storage, site, { limit: 1, now }),
    ...shown.map((experiment) => summary(storage, site, experiment, now, exposures.get(experiment.id) ?? null)),
  ]);
  return {
    siteCode: site.code,
    settings: site.settings,
    lastEventReceivedAt: latest.events[0]?.receivedAt ?? null,
    pendingRecomputations,
    experimentCount: all.length,
    offset,
    truncated: all.length > offset + shown.length,
    experiments,
  };
}
