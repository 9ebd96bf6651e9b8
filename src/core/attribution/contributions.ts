import type { ExperimentAttribution, GoalFigures, PreExposure } from './attribute-person.ts';
import { utcDay } from './rules.ts';

/**
 * What one person adds to the result aggregates, as additive vectors under string keys. Results
 * are sums of these, so a person's state can be replaced by adding (new − old): late events,
 * identity changes and replays converge on the same sums whatever their order.
 *
 * Keys (level is `visitor` or `visit`):
 * - `U|exp|var|level|day`        → [units entering that UTC day]
 * - `G|exp|var|goal|level`       → GOAL_VECTOR (per-unit sufficient statistics)
 * - `D|exp|var|goal|level|day`   → [converted units, conversions, net revenue] on that day
 * - `H|exp`                      → [persons, persons in several variations, outlier visits left out]
 */
export type Contributions = Map<string, number[]>;

/** Positions in a `G|…` vector: y for the metric, x for its pre-exposure covariate (CUPED). */
export const GOAL_VECTOR = [
  'converted', 'convertedX', 'convertedXX', 'convertedXY',
  'conversions', 'conversionsSq', 'conversionsX', 'conversionsXX', 'conversionsXY',
  'revenue', 'revenueSq', 'revenueX', 'revenueXX', 'revenueXY',
] as const;
export type GoalVectorField = (typeof GOAL_VECTOR)[number];
export const GOAL_INDEX = Object.fromEntries(GOAL_VECTOR.map((name, i) => [name, i])) as Record<GoalVectorField, number>;

function add(target: Contributions, key: string, vector: readonly number[]): void {
  const current = target.get(key);
  if (!current) target.set(key, [...vector]);
  else addInto(current, vector);
}

/** add() for a vector built for this call alone: kept as it is when the key is new, not copied. */
function addOwn(target: Contributions, key: string, vector: number[]): void {
  const current = target.get(key);
  if (!current) target.set(key, vector);
  else addInto(current, vector);
}

function addInto(current: number[], vector: readonly number[]): void {
  for (let i = 0; i < vector.length; i++) current[i] = (current[i] ?? 0) + (vector[i] ?? 0);
}

function goalVector(figures: GoalFigures | undefined, pre: PreExposure | undefined): number[] {
  const converted = figures && figures.conversions > 0 ? 1 : 0;
  const conversions = figures?.conversions ?? 0;
  const revenue = figures?.revenue ?? 0;
  const x = pre ?? { converted: 0, conversions: 0, revenue: 0 };
  return [
    converted, x.converted, x.converted ** 2, converted * x.converted,
    conversions, conversions ** 2, x.conversions, x.conversions ** 2, conversions * x.conversions,
    revenue, revenue ** 2, x.revenue, x.revenue ** 2, revenue * x.revenue,
  ];
}

function addUnit(
  out: Contributions,
  prefix: { exp: number; variation: number; level: 'visitor' | 'visit' },
  unitDay: number,
  goals: ReadonlyMap<number, GoalFigures>,
  pre: ReadonlyMap<number, PreExposure>,
): void {
  const { exp, variation, level } = prefix;
  addOwn(out, `U|${exp}|${variation}|${level}|${unitDay}`, [1]);
  // Every goal converted on, then every goal with only a pre-exposure covariate.
  for (const [goalId, figures] of goals) {
    addOwn(out, `G|${exp}|${variation}|${goalId}|${level}`, goalVector(figures, pre.get(goalId)));
    if (figures.firstConversion !== null) addOwn(out, `D|${exp}|${variation}|${goalId}|${level}|${utcDay(figures.firstConversion)}`, [1, 0, 0]);
    for (const [day, daily] of figures.daily) addOwn(out, `D|${exp}|${variation}|${goalId}|${level}|${day}`, [0, daily.conversions, daily.revenue]);
  }
  for (const [goalId, covariate] of pre) if (!goals.has(goalId)) addOwn(out, `G|${exp}|${variation}|${goalId}|${level}`, goalVector(undefined, covariate));
}

/**
 * A person's contributions. `before` holds the visit-level contributions of the visits before a
 * quiet point when `attributions` were computed from the events after it (see PersonPrefix).
 */
export function personContributions(attributions: readonly ExperimentAttribution[], before?: Contributions): Contributions {
  const out: Contributions = visitUnitContributions(attributions);
  if (before) accumulate(out, before);
  for (const a of attributions) {
    addUnit(out, { exp: a.experimentId, variation: a.variationId, level: 'visitor' }, utcDay(a.firstExposure), a.goals, a.preExposure);
    addOwn(out, `H|${a.experimentId}`, [1, a.variations.length > 1 ? 1 : 0, a.outlierVisits]);
  }
  return out;
}

/** The visit-level part of a person's contributions: one unit per exposed visit listed. */
export function visitUnitContributions(attributions: readonly ExperimentAttribution[]): Contributions {
  const out: Contributions = new Map();
  const none = new Map<number, PreExposure>();
  for (const a of attributions) {
    for (const visit of a.visits) addUnit(out, { exp: a.experimentId, variation: a.variationId, level: 'visit' }, utcDay(visit.start), visit.goals, none);
  }
  return out;
}

/** Adds every vector of `more` into `target` (sums of several persons' deltas, for one write). */
export function accumulate(target: Contributions, more: Contributions): void {
  for (const [key, vector] of more) add(target, key, vector);
}

/** new − old, per key, leaving out keys whose difference is all zeros. */
export function contributionDelta(previous: Contributions, next: Contributions): Contributions {
  const delta: Contributions = new Map();
  for (const [key, vector] of next) add(delta, key, vector);
  for (const [key, vector] of previous) add(delta, key, vector.map((v) => -v));
  for (const [key, vector] of delta) if (vector.every((v) => v === 0)) delta.delete(key);
  return delta;
}

export function experimentOfKey(key: string): number {
  return Number(key.split('|')[1]);
}
