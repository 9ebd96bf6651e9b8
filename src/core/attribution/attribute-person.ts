import type { ConversionData, VisitorEvent } from '../events.ts';
import { sessionize, type Visit } from '../visits.ts';
import { ATTRIBUTION, inPeriod, utcDay, type AttributionSettings } from './rules.ts';

export type ConversionReason =
  | 'in_window'
  | 'before_exposure'
  | 'after_window'
  | 'outside_period'
  | 'outlier_visit';

export interface ConversionVerdict {
  time: number;
  goalId: number;
  revenue: number;
  negative: boolean;
  visitorCode: string;
  /** The conversion event's nonce, so that a verdict names the event it is about. */
  nonce: string;
  counted: boolean;
  reason: ConversionReason;
  /** The exposure whose window admitted it, when counted. */
  exposureTime?: number;
}

/** One goal's figures for one unit (a person, or one visit). */
export interface GoalFigures {
  /** Counted conversions, refunds excluded. */
  conversions: number;
  /** Net revenue: counted revenue minus counted refunds. */
  revenue: number;
  /** Time of the first counted (non-refund) conversion, if any. */
  firstConversion: number | null;
  /** Per UTC day: counted conversions and net revenue. */
  daily: Map<number, { conversions: number; revenue: number }>;
}

export interface PreExposure {
  converted: number;
  conversions: number;
  revenue: number;
}

export interface VisitUnit {
  visitorCode: string;
  start: number;
  goals: Map<number, GoalFigures>;
}

export interface ExperimentAttribution {
  experimentId: number;
  /** The variation of the first exposure: the one the person counts in. */
  variationId: number;
  firstExposure: number;
  /** Every variation the person was exposed to, first one first (more than one is a health warning). */
  variations: number[];
  outlierVisits: number;
  goals: Map<number, GoalFigures>;
  /** CUPED covariates per goal, over [first exposure − 14 days, first exposure). */
  preExposure: Map<number, PreExposure>;
  visits: VisitUnit[];
  conversions: ConversionVerdict[];
}

interface Exposure {
  time: number;
  variationId: number;
  visit: Visit;
  visitStart: number;
}

function isOutlier(visit: Visit): boolean {
  return visit.timeLastEvent - visit.timeStarted > ATTRIBUTION.outlierVisitMs || visit.events.length > ATTRIBUTION.outlierVisitEvents;
}

function emptyFigures(): GoalFigures {
  return { conversions: 0, revenue: 0, firstConversion: null, daily: new Map() };
}

/** Adds one counted conversion (or refund) to a unit's figures. */
function addConversion(figures: Map<number, GoalFigures>, data: ConversionData, time: number, day: number): void {
  const goal = figures.get(data.goalId) ?? emptyFigures();
  figures.set(data.goalId, goal);
  const signed = data.negative ? -data.revenue : data.revenue;
  goal.revenue += signed;
  const daily = goal.daily.get(day) ?? { conversions: 0, revenue: 0 };
  goal.daily.set(day, daily);
  daily.revenue += signed;
  if (!data.negative) {
    goal.conversions += 1;
    daily.conversions += 1;
    if (goal.firstConversion === null || time < goal.firstConversion) goal.firstConversion = time;
  }
}

/**
 * Attributes one person's events (all their visitor codes) to every experiment they were exposed
 * to. A conversion at time c counts when some exposure e has start(visit of e) ≤ c ≤ e.time + window
 * and c is inside the experiment's analysis period. Outlier visits are left out entirely. Pure.
 */
export function attributePerson(
  eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>,
  settings: AttributionSettings,
): ExperimentAttribution[] {
  const visits: Visit[] = [];
  for (const [code, events] of eventsByCode) visits.push(...sessionize(code, events, settings.visitTimeoutMs));
  visits.sort((a, b) => a.timeStarted - b.timeStarted || (a.visitorCode < b.visitorCode ? -1 : 1));
  const outliers = visits.filter(isOutlier);
  const kept = visits.filter((v) => !isOutlier(v));

  const exposures = new Map<number, Exposure[]>();
  for (const visit of visits) {
    for (const event of visit.events) {
      if (event.type !== 'experiment') continue;
      if (isOutlier(visit) || !inPeriod(event.time, settings.periodOf(event.data.id))) continue;
      const list = exposures.get(event.data.id) ?? [];
      list.push({ time: event.time, variationId: event.data.variationId, visit, visitStart: visit.timeStarted });
      exposures.set(event.data.id, list);
    }
  }

  const results: ExperimentAttribution[] = [];
  for (const [experimentId, list] of [...exposures].sort(([a], [b]) => a - b)) {
    list.sort((a, b) => a.time - b.time || a.variationId - b.variationId);
    const first = list[0]!;
    const period = settings.periodOf(experimentId);
    const window = settings.attributionWindowMs;
    const admitting = (c: number) => list.find((e) => e.visitStart <= c && c <= e.time + window);

    const attribution: ExperimentAttribution = {
      experimentId,
      variationId: first.variationId,
      firstExposure: first.time,
      variations: [...new Set(list.map((e) => e.variationId))],
      outlierVisits: outliers.length,
      goals: new Map(),
      preExposure: new Map(),
      visits: [],
      conversions: [],
    };

    for (const visit of visits) {
      const outlier = isOutlier(visit);
      for (const event of visit.events) {
        if (event.type !== 'conversion') continue;
        const verdict: ConversionVerdict = {
          time: event.time,
          goalId: event.data.goalId,
          revenue: event.data.revenue,
          negative: event.data.negative,
          visitorCode: visit.visitorCode,
          nonce: event.nonce,
          counted: false,
          reason: 'after_window',
        };
        attribution.conversions.push(verdict);
        if (outlier) {
          verdict.reason = 'outlier_visit';
          continue;
        }
        if (event.time >= first.time - ATTRIBUTION.cupedLookbackMs && event.time < first.time) {
          const pre = attribution.preExposure.get(event.data.goalId) ?? { converted: 0, conversions: 0, revenue: 0 };
          attribution.preExposure.set(event.data.goalId, pre);
          pre.revenue += event.data.negative ? -event.data.revenue : event.data.revenue;
          if (!event.data.negative) {
            pre.conversions += 1;
            pre.converted = 1;
          }
        }
        if (!inPeriod(event.time, period)) {
          verdict.reason = 'outside_period';
          continue;
        }
        const exposure = admitting(event.time);
        if (!exposure) {
          verdict.reason = event.time < first.visitStart ? 'before_exposure' : 'after_window';
          continue;
        }
        verdict.counted = true;
        verdict.reason = 'in_window';
        verdict.exposureTime = exposure.time;
        addConversion(attribution.goals, event.data, event.time, utcDay(event.time));
      }
    }

    // Visit level: visits that hold an exposure or start inside an exposure's window.
    for (const visit of kept) {
      const exposed = list.some((e) => e.visit === visit) || admitting(visit.timeStarted) !== undefined;
      if (!exposed) continue;
      const unit: VisitUnit = { visitorCode: visit.visitorCode, start: visit.timeStarted, goals: new Map() };
      for (const event of visit.events) {
        if (event.type === 'conversion' && inPeriod(event.time, period)) {
          addConversion(unit.goals, event.data, event.time, utcDay(event.time));
        }
      }
      attribution.visits.push(unit);
    }
    results.push(attribution);
  }
  return results;
}
