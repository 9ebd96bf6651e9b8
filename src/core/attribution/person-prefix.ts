import type { VisitorEvent } from '../events.ts';
import {
  attributeVisits,
  isOutlier,
  sortedVisits,
  type GoalFigures,
  type PersonPrefix,
  type PrefixConversion,
  type PrefixExperiment,
} from './attribute-person.ts';
import { accumulate, visitUnitContributions, type Contributions } from './contributions.ts';
import { ATTRIBUTION, type AttributionSettings } from './rules.ts';

/**
 * Incremental attribution. A *quiet point* of a person is a time before which every visit of every
 * one of their codes has ended: the person's events, all codes merged in time order, have a gap
 * longer than the visit timeout just before it. Nothing from a quiet point on can change a visit,
 * an exposure or a counted conversion before it, so those are summed up once (a PersonPrefix) and
 * a later recomputation attributes only the events from the quiet point on, on top of the summary:
 * `attributePerson(eventsSince(q), settings, prefix)` equals `attributePerson(allEvents, settings)`
 * (person-prefix.test.ts holds them equal). Only an event older than the quiet point, a change of
 * the person's codes or of the settings makes the summary wrong; the worker then starts afresh.
 */

/** The latest quiet point of these events: where their last stretch without a long gap starts (null: no events). */
export function latestQuietPoint(eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>, visitTimeoutMs: number): number | null {
  const times: number[] = [];
  for (const events of eventsByCode.values()) for (const e of events) times.push(e.time);
  if (times.length === 0) return null;
  times.sort((a, b) => a - b);
  let point = times[0]!;
  for (let i = 1; i < times.length; i++) if (times[i]! - times[i - 1]! > visitTimeoutMs) point = times[i]!;
  return point;
}

/**
 * The summary at quiet point `point` from the summary at an earlier one and the events between the
 * two (`eventsByCode`: every event of the person from the earlier point to before `point`).
 */
export function extendPrefix(
  prefix: PersonPrefix,
  eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>,
  settings: AttributionSettings,
  point: number,
): PersonPrefix {
  const visits = sortedVisits(eventsByCode, settings.visitTimeoutMs);
  if (visits.length === 0) return prefix;
  const attributions = attributeVisits(visits, settings, prefix);
  const experiments = new Map<number, PrefixExperiment>();
  for (const a of attributions) {
    experiments.set(a.experimentId, {
      variationId: a.variationId,
      firstExposure: a.firstExposure,
      firstExposureVisitStart: a.firstExposureVisitStart,
      lastExposure: a.lastExposure,
      variations: a.variations,
      goals: a.goals,
      preExposure: a.preExposure,
    });
  }
  const conversions: PrefixConversion[] = [...prefix.recentConversions];
  for (const visit of visits) {
    if (isOutlier(visit)) continue;
    for (const e of visit.events) if (e.type === 'conversion') conversions.push({ time: e.time, goalId: e.data.goalId, revenue: e.data.revenue, negative: e.data.negative });
  }
  const visitUnits: Contributions = new Map([...prefix.visitUnits].map(([k, v]) => [k, [...v]]));
  accumulate(visitUnits, visitUnitContributions(attributions));
  return {
    outlierVisits: prefix.outlierVisits + visits.filter(isOutlier).length,
    experiments,
    recentConversions: conversions.filter((c) => c.time >= point - ATTRIBUTION.cupedLookbackMs),
    visitUnits,
  };
}

type FiguresJson = [number, number, number, number | null, [number, number, number][]];

function figuresToJson(goals: ReadonlyMap<number, GoalFigures>): FiguresJson[] {
  return [...goals].map(([id, g]) => [id, g.conversions, g.revenue, g.firstConversion, [...g.daily].map(([day, d]) => [day, d.conversions, d.revenue])]);
}

function figuresFromJson(json: FiguresJson[]): Map<number, GoalFigures> {
  return new Map(
    json.map(([id, conversions, revenue, firstConversion, daily]) => [
      id,
      { conversions, revenue, firstConversion, daily: new Map(daily.map(([day, c, r]) => [day, { conversions: c, revenue: r }])) },
    ]),
  );
}

/** The summary as JSON-ready data (it is stored with the person's contributions). */
export function prefixToJson(prefix: PersonPrefix): unknown {
  return {
    o: prefix.outlierVisits,
    e: [...prefix.experiments].map(([id, x]) => [
      id,
      x.variationId,
      x.firstExposure,
      x.firstExposureVisitStart,
      x.lastExposure,
      x.variations,
      figuresToJson(x.goals),
      [...x.preExposure].map(([goal, p]) => [goal, p.converted, p.conversions, p.revenue]),
    ]),
    r: prefix.recentConversions.map((c) => [c.time, c.goalId, c.revenue, c.negative ? 1 : 0]),
    u: [...prefix.visitUnits],
  };
}

export function prefixFromJson(json: unknown): PersonPrefix {
  const j = json as {
    o: number;
    e: [number, number, number, number, number, number[], FiguresJson[], [number, number, number, number][]][];
    r: [number, number, number, number][];
    u: [string, number[]][];
  };
  return {
    outlierVisits: j.o,
    experiments: new Map(
      j.e.map(([id, variationId, firstExposure, firstExposureVisitStart, lastExposure, variations, goals, pre]) => [
        id,
        {
          variationId,
          firstExposure,
          firstExposureVisitStart,
          lastExposure,
          variations,
          goals: figuresFromJson(goals),
          preExposure: new Map(pre.map(([goal, converted, conversions, revenue]) => [goal, { converted, conversions, revenue }])),
        },
      ]),
    ),
    recentConversions: j.r.map(([time, goalId, revenue, negative]) => ({ time, goalId, revenue, negative: negative === 1 })),
    visitUnits: new Map(j.u),
  };
}
