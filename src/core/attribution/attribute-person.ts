import type { ConversionData, VisitorEvent } from '../events.ts';
import { sessionize, type Visit } from '../visits.ts';
import type { Contributions } from './contributions.ts';
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
  /** Start of the visit of the first exposure. */
  firstExposureVisitStart: number;
  /** The latest exposure (in period, outside outlier visits): its window is the last to close. */
  lastExposure: number;
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

// Module functions rather than closures made per person and experiment inside attributeVisits:
// tsx keeps function names, and each closure created paid a defineProperty for its name.

/**
 * Whether the person's exposure before its quiet point admits a conversion at `time`: such an
 * exposure started its visit before any event after the point, so it admits exactly the
 * conversions up to the end of its window.
 */
function admittedBefore(before: PrefixExperiment | undefined, window: number, time: number): boolean {
  return before !== undefined && time <= before.lastExposure + window;
}

/** The first exposure (in time order) whose visit had started by `time` and whose window holds it. */
function admitting(exposures: readonly Exposure[], window: number, time: number): Exposure | undefined {
  for (const e of exposures) if (e.visitStart <= time && time <= e.time + window) return e;
  return undefined;
}

export function isOutlier(visit: Visit): boolean {
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
 * What a person's events before a *quiet point* contribute, summed up so that the events from that
 * point on can be attributed without reading the earlier ones again (see person-prefix.ts). At a
 * quiet point no visit of any of the person's codes is open across it, so nothing after it can
 * change what came before: every earlier visit and exposure is final.
 */
export interface PersonPrefix {
  outlierVisits: number;
  /** Experiments exposed before the quiet point, with their final first exposure and totals so far. */
  experiments: ReadonlyMap<number, PrefixExperiment>;
  /** Conversions in non-outlier visits during the CUPED lookback before the quiet point. */
  recentConversions: readonly PrefixConversion[];
  /** The visit-level contributions of the visits before the quiet point (final). */
  visitUnits: Contributions;
}

export interface PrefixExperiment {
  variationId: number;
  firstExposure: number;
  firstExposureVisitStart: number;
  lastExposure: number;
  variations: readonly number[];
  goals: ReadonlyMap<number, GoalFigures>;
  preExposure: ReadonlyMap<number, PreExposure>;
}

export interface PrefixConversion {
  time: number;
  goalId: number;
  revenue: number;
  negative: boolean;
}

export const NO_PREFIX: PersonPrefix = { outlierVisits: 0, experiments: new Map(), recentConversions: [], visitUnits: new Map() };

function copyFigures(goals: ReadonlyMap<number, GoalFigures>): Map<number, GoalFigures> {
  return new Map([...goals].map(([id, g]) => [id, { ...g, daily: new Map([...g.daily].map(([day, d]) => [day, { ...d }])) }]));
}

function addPreExposure(pre: Map<number, PreExposure>, data: Pick<ConversionData, 'goalId' | 'revenue' | 'negative'>): void {
  const entry = pre.get(data.goalId) ?? { converted: 0, conversions: 0, revenue: 0 };
  pre.set(data.goalId, entry);
  entry.revenue += data.negative ? -data.revenue : data.revenue;
  if (!data.negative) {
    entry.conversions += 1;
    entry.converted = 1;
  }
}

export function sortedVisits(eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>, visitTimeoutMs: number): Visit[] {
  const visits: Visit[] = [];
  for (const [code, events] of eventsByCode) visits.push(...sessionize(code, events, visitTimeoutMs));
  return visits.sort((a, b) => a.timeStarted - b.timeStarted || (a.visitorCode < b.visitorCode ? -1 : 1));
}

/**
 * Attributes one person's events (all their visitor codes) to every experiment they were exposed
 * to. A conversion at time c counts when some exposure e has start(visit of e) ≤ c ≤ e.time + window
 * and c is inside the experiment's analysis period. Outlier visits are left out entirely. Pure.
 *
 * With a `prefix`, `eventsByCode` holds only the events from its quiet point on, and the answer is
 * the one every event would give: totals include the prefix's, the conversions and visits listed
 * are those after the quiet point (an explanation recomputes from every event instead).
 */
export function attributePerson(
  eventsByCode: ReadonlyMap<string, readonly VisitorEvent[]>,
  settings: AttributionSettings,
  prefix: PersonPrefix = NO_PREFIX,
): ExperimentAttribution[] {
  return attributeVisits(sortedVisits(eventsByCode, settings.visitTimeoutMs), settings, prefix);
}

export function attributeVisits(visits: readonly Visit[], settings: AttributionSettings, prefix: PersonPrefix = NO_PREFIX): ExperimentAttribution[] {
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
  const experimentIds = [...new Set([...prefix.experiments.keys(), ...exposures.keys()])].sort((a, b) => a - b);
  for (const experimentId of experimentIds) {
    const list = exposures.get(experimentId) ?? [];
    list.sort((a, b) => a.time - b.time || a.variationId - b.variationId);
    const before = prefix.experiments.get(experimentId);
    // Every exposure before the quiet point precedes every one after it.
    const first = before
      ? { time: before.firstExposure, variationId: before.variationId, visitStart: before.firstExposureVisitStart }
      : { time: list[0]!.time, variationId: list[0]!.variationId, visitStart: list[0]!.visitStart };
    const period = settings.periodOf(experimentId);
    const window = settings.attributionWindowMs;

    const attribution: ExperimentAttribution = {
      experimentId,
      variationId: first.variationId,
      firstExposure: first.time,
      firstExposureVisitStart: first.visitStart,
      lastExposure: list.at(-1)?.time ?? before!.lastExposure,
      variations: [...new Set([...(before?.variations ?? []), ...list.map((e) => e.variationId)])],
      outlierVisits: prefix.outlierVisits + outliers.length,
      goals: before ? copyFigures(before.goals) : new Map(),
      preExposure: before ? new Map([...before.preExposure].map(([id, p]) => [id, { ...p }])) : new Map(),
      visits: [],
      conversions: [],
    };
    // A first exposure after the quiet point looks back at conversions before it too.
    if (!before) {
      for (const c of prefix.recentConversions) {
        if (c.time >= first.time - ATTRIBUTION.cupedLookbackMs && c.time < first.time) addPreExposure(attribution.preExposure, c);
      }
    }

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
        if (event.time >= first.time - ATTRIBUTION.cupedLookbackMs && event.time < first.time) addPreExposure(attribution.preExposure, event.data);
        if (!inPeriod(event.time, period)) {
          verdict.reason = 'outside_period';
          continue;
        }
        const exposure = admittedBefore(before, window, event.time) ? null : admitting(list, window, event.time);
        if (exposure === undefined) {
          verdict.reason = event.time < first.visitStart ? 'before_exposure' : 'after_window';
          continue;
        }
        verdict.counted = true;
        verdict.reason = 'in_window';
        // (Admitted by an exposure before a quiet point: which one is not kept; explanations recompute in full.)
        if (exposure) verdict.exposureTime = exposure.time;
        addConversion(attribution.goals, event.data, event.time, utcDay(event.time));
      }
    }

    // Visit level: visits that hold an exposure or start inside an exposure's window.
    for (const visit of kept) {
      const exposed = list.some((e) => e.visit === visit) || admittedBefore(before, window, visit.timeStarted) || admitting(list, window, visit.timeStarted) !== undefined;
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
