import { GOAL_VECTOR, type Contributions } from '../core/attribution/contributions.ts';
import { AnoleError } from '../core/error-codes.ts';
import { referenceVariationOf, type ExperimentRecord, type GoalRecord } from '../core/registry.ts';
import type { Site } from '../core/site-settings.ts';
import {
  compareCuped,
  compareMeans,
  compareMeansSequential,
  compareProportions,
  compareProportionsSequential,
  probabilityToBeatMean,
  probabilityToBeatRate,
  proportionInterval,
  sampleRatioMismatch,
  type CupedSample,
  type MeanSample,
  type ProportionSample,
} from '../core/stats/index.ts';
import type { Storage } from '../storage/port.ts';

export type ResultsLevel = 'visitor' | 'visit';

export interface ResultsQuery {
  site: Site;
  experimentId: number;
  level: ResultsLevel;
  confidence: number;
  goalId?: number;
}

type GoalTotals = Record<(typeof GOAL_VECTOR)[number], number>;

interface VariationTotals {
  units: number;
  goals: Map<number, GoalTotals>;
  daily: Map<number, { units: number; goals: Map<number, { convertedUnits: number; conversions: number; revenue: number }> }>;
}

/** Counts are sums of ±1 deltas; rounding removes float noise. Sums of squares cannot be negative. */
export const count = (x: number) => Math.max(0, Math.round(x));
const nonNegative = (x: number) => Math.max(0, x);

function emptyTotals(): GoalTotals {
  return Object.fromEntries(GOAL_VECTOR.map((k) => [k, 0])) as GoalTotals;
}

/** Reads the aggregate rows of one experiment and level into per-variation totals. */
export function totalsByVariation(aggregates: Contributions, level: ResultsLevel): { variations: Map<number, VariationTotals>; health: number[] } {
  const variations = new Map<number, VariationTotals>();
  const of = (id: number) => {
    let v = variations.get(id);
    if (!v) variations.set(id, (v = { units: 0, goals: new Map(), daily: new Map() }));
    return v;
  };
  const dayOf = (v: VariationTotals, day: number) => {
    let d = v.daily.get(day);
    if (!d) v.daily.set(day, (d = { units: 0, goals: new Map() }));
    return d;
  };
  let health = [0, 0, 0];
  for (const [key, vector] of aggregates) {
    const parts = key.split('|');
    const [kind] = parts;
    if (kind === 'H') {
      health = vector;
      continue;
    }
    const variation = Number(parts[2]);
    if (kind === 'U' && parts[3] === level) {
      const v = of(variation);
      v.units += vector[0] ?? 0;
      dayOf(v, Number(parts[4])).units += vector[0] ?? 0;
    } else if (kind === 'G' && parts[4] === level) {
      const totals = emptyTotals();
      GOAL_VECTOR.forEach((name, i) => (totals[name] = vector[i] ?? 0));
      of(variation).goals.set(Number(parts[3]), totals);
    } else if (kind === 'D' && parts[4] === level) {
      const d = dayOf(of(variation), Number(parts[5]));
      d.goals.set(Number(parts[3]), { convertedUnits: vector[0] ?? 0, conversions: vector[1] ?? 0, revenue: vector[2] ?? 0 });
    }
  }
  return { variations, health };
}

function samples(units: number, t: GoalTotals) {
  const n = count(units);
  const rate: ProportionSample = { n, conversions: Math.min(n, count(t.converted)) };
  const revenue: MeanSample = { n, sum: t.revenue, sumSquares: nonNegative(t.revenueSq) };
  const conversions: MeanSample = { n, sum: count(t.conversions), sumSquares: nonNegative(t.conversionsSq) };
  const cuped = (y: 'converted' | 'conversions' | 'revenue'): CupedSample => ({
    n,
    sumY: t[y],
    sumYSquares: y === 'converted' ? nonNegative(t.converted) : nonNegative(t[`${y}Sq` as 'revenueSq']),
    sumX: t[`${y}X`],
    sumXSquares: nonNegative(t[`${y}XX`]),
    sumXY: t[`${y}XY`],
  });
  return { rate, revenue, conversions, cuped };
}

/** The registered variations and those seen in the aggregates, in id order. */
export function variationIdsOf(experiment: ExperimentRecord, totals: ReadonlyMap<number, unknown>): number[] {
  return [...new Set([...experiment.variations.map((v) => v.id), ...totals.keys()])].sort((a, b) => a - b);
}

/** Sample ratio mismatch over the variations with a positive expected share (all when no split is set). */
export function srmCheck(experiment: ExperimentRecord, variationIds: readonly number[], visitorUnitsOf: (id: number) => number) {
  const split = experiment.trafficSplit;
  const ids = variationIds.filter((id) => !split || (split[String(id)] ?? 0) > 0);
  if (ids.length < 2) return null;
  const observed = ids.map(visitorUnitsOf);
  return { variations: ids, observed, ...sampleRatioMismatch(observed, split ? { weights: ids.map((id) => split[String(id)]!) } : undefined) };
}

type SeriesFigures = { units: number; convertedUnits: number; conversions: number; conversionRate: number | null; revenue: number };

/** A day of the cumulative series with the rate's interval and, against the reference, the relative improvement and its interval. */
function withIntervals(point: { day: string; variations: Record<string, SeriesFigures> }, referenceId: number | null, options: { confidence: number }) {
  const sample = (f: SeriesFigures): ProportionSample => ({ n: f.units, conversions: Math.min(f.units, f.convertedUnits) });
  const reference = referenceId === null ? undefined : point.variations[referenceId];
  const variations = Object.fromEntries(
    Object.entries(point.variations).map(([id, f]) => {
      const comparison = reference && Number(id) !== referenceId ? compareProportions(sample(reference), sample(f), options) : null;
      return [id, {
        ...f,
        conversionRateInterval: proportionInterval(sample(f), options),
        relativeImprovement: comparison?.relativeImprovement ?? null,
        relativeInterval: comparison?.relativeInterval ?? null,
      }];
    }),
  );
  return { day: point.day, variations };
}

const isoDay = (day: number) => new Date(day * 86_400_000).toISOString().slice(0, 10);

/**
 * Results of one experiment at one level: for each goal and variation the figures, the comparison
 * with the reference (frequentist, Bayesian, sequential, CUPED), SRM and a cumulative daily series.
 * Reads only the maintained aggregates, so its cost does not grow with the number of events.
 */
export async function experimentResults(storage: Storage, query: ResultsQuery) {
  const experiment: ExperimentRecord | null = await storage.getExperiment(query.site.id, query.experimentId);
  if (!experiment) throw new AnoleError('not_found', `experiment ${query.experimentId} is not registered on site ${query.site.code}`);
  const [aggregates, goals, pending] = await Promise.all([
    storage.resultAggregates(query.site.id, experiment.id),
    storage.listGoals(query.site.id),
    storage.dirtyBacklog(),
  ]);
  const { variations: totals, health } = totalsByVariation(aggregates, query.level);
  const { variations: visitorTotals } = query.level === 'visitor' ? { variations: totals } : totalsByVariation(aggregates, 'visitor');
  const variationIds = variationIdsOf(experiment, totals);
  const referenceId = referenceVariationOf(experiment) ?? variationIds[0] ?? null;
  const nameOf = (id: number) => experiment.variations.find((v) => v.id === id)?.name ?? `Variation ${id}`;
  const unitsOf = (id: number) => count(totals.get(id)?.units ?? 0);
  const options = { confidence: query.confidence };

  // SRM is a visitor-level check whatever level is shown.
  const srm = srmCheck(experiment, variationIds, (id) => count(visitorTotals.get(id)?.units ?? 0));

  const goalList: GoalRecord[] = goals.filter((g) => query.goalId === undefined || g.id === query.goalId);
  const allUnits = variationIds.map((id) => ({ id, units: totals.get(id)?.units ?? 0 }));

  const goalResults = goalList.map((goal) => {
    const per = new Map(allUnits.map(({ id, units }) => [id, samples(units, totals.get(id)?.goals.get(goal.id) ?? emptyTotals())]));
    const reference = referenceId === null ? undefined : per.get(referenceId);
    const cupedAll = (y: 'converted' | 'conversions' | 'revenue') => [...per.values()].map((s) => s.cuped(y));
    const variations = variationIds.map((id) => {
      const s = per.get(id)!;
      const isReference = id === referenceId;
      const base = {
        variationId: id,
        name: nameOf(id),
        reference: isReference,
        units: s.rate.n,
        convertedUnits: s.rate.conversions,
        conversions: s.conversions.sum,
        conversionRate: s.rate.n > 0 ? s.rate.conversions / s.rate.n : null,
        revenue: s.revenue.sum,
        revenuePerUnit: s.revenue.n > 0 ? s.revenue.sum / s.revenue.n : null,
        conversionsPerUnit: s.conversions.n > 0 ? s.conversions.sum / s.conversions.n : null,
      };
      if (isReference || !reference) return { ...base, comparison: null };
      return {
        ...base,
        comparison: {
          conversionRate: {
            frequentist: compareProportions(reference.rate, s.rate, options),
            probabilityToBeat: probabilityToBeatRate(reference.rate, s.rate),
            sequential: compareProportionsSequential(reference.rate, s.rate, options),
            cuped: query.level === 'visitor' ? compareCuped(reference.cuped('converted'), s.cuped('converted'), { ...options, all: cupedAll('converted') }) : null,
          },
          revenuePerUnit: {
            frequentist: compareMeans(reference.revenue, s.revenue, options),
            probabilityToBeat: probabilityToBeatMean(reference.revenue, s.revenue),
            sequential: compareMeansSequential(reference.revenue, s.revenue, options),
            cuped: query.level === 'visitor' ? compareCuped(reference.cuped('revenue'), s.cuped('revenue'), { ...options, all: cupedAll('revenue') }) : null,
          },
          conversionsPerUnit: {
            frequentist: compareMeans(reference.conversions, s.conversions, options),
            probabilityToBeat: probabilityToBeatMean(reference.conversions, s.conversions),
            sequential: compareMeansSequential(reference.conversions, s.conversions, options),
            cuped: query.level === 'visitor' ? compareCuped(reference.cuped('conversions'), s.cuped('conversions'), { ...options, all: cupedAll('conversions') }) : null,
          },
        },
      };
    });

    // Cumulative daily series: units enter on their first exposure's day, conversions on their own.
    const days = [...new Set(variationIds.flatMap((id) => [...(totals.get(id)?.daily.keys() ?? [])]))].sort((a, b) => a - b);
    const running = new Map(variationIds.map((id) => [id, { units: 0, convertedUnits: 0, conversions: 0, revenue: 0 }]));
    const series = days.map((day) => ({
      day: isoDay(day),
      variations: Object.fromEntries(
        variationIds.map((id) => {
          const r = running.get(id)!;
          const d = totals.get(id)?.daily.get(day);
          r.units += d?.units ?? 0;
          const g = d?.goals.get(goal.id);
          r.convertedUnits += g?.convertedUnits ?? 0;
          r.conversions += g?.conversions ?? 0;
          r.revenue += g?.revenue ?? 0;
          return [id, { units: count(r.units), convertedUnits: count(r.convertedUnits), conversions: count(r.conversions), conversionRate: r.units > 0 ? count(r.convertedUnits) / count(r.units) : null, revenue: r.revenue }];
        }),
      ),
    })).map((point) => withIntervals(point, referenceId, options));
    return { goalId: goal.id, name: goal.name, kind: goal.kind, variations, series };
  });

  const warnings: string[] = [];
  const multiple = count(health[1] ?? 0);
  const outliers = count(health[2] ?? 0);
  if (multiple > 0) warnings.push(`${multiple} ${multiple === 1 ? 'person was' : 'persons were'} exposed to more than one variation; each counts in its first`);
  if (outliers > 0) warnings.push(`${outliers} outlier ${outliers === 1 ? 'visit' : 'visits'} (over 120 min or 10,000 events) ${outliers === 1 ? 'was' : 'were'} left out`);
  if (srm?.mismatch) warnings.push('sample ratio mismatch: observed traffic split differs from the expected one (p < 0.001)');

  return {
    siteCode: query.site.code,
    experiment: {
      id: experiment.id,
      name: experiment.name,
      status: experiment.status,
      referenceVariationId: referenceId,
      analysisPeriod: experiment.analysisPeriod,
      trafficSplit: experiment.trafficSplit,
    },
    level: query.level,
    confidence: query.confidence,
    attributionWindowMs: query.site.settings.attributionWindowMs,
    pendingRecomputations: pending,
    units: Object.fromEntries(variationIds.map((id) => [id, unitsOf(id)])),
    health: {
      persons: count(health[0] ?? 0),
      multipleVariationPersons: count(health[1] ?? 0),
      excludedOutlierVisits: count(health[2] ?? 0),
      srm,
      warnings,
    },
    goals: goalResults,
  };
}
