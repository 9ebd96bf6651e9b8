/**
 * Sample ratio mismatch: Pearson's chi-square goodness-of-fit test of the observed units per
 * variation against the expected traffic split. A mismatch means the assignment or the tracking
 * is broken, and every other figure of the experiment is suspect.
 */
import { finite, missing, type Figure } from './figure.ts';
import { checkCount } from './inputs.ts';
import { regularizedGammaQ } from './gamma.ts';

/** Flag threshold: SRM checks run on every look, so a strict level keeps false alarms rare. */
export const SRM_THRESHOLD = 0.001;

export interface SrmOptions {
  /** Expected traffic weights, any positive scale; equal split when absent. */
  readonly weights?: readonly number[];
  readonly threshold?: number;
}

export interface SrmResult {
  readonly chiSquare: Figure;
  readonly degreesOfFreedom: number;
  readonly pValue: Figure;
  /** True only when the p-value is known and below the threshold. */
  readonly mismatch: boolean;
  /** Expected units per variation under the configured split. */
  readonly expected: readonly number[];
}

/** Survival function of the chi-square distribution, Q(k/2, x/2). */
export function chiSquareSurvival(x: number, degreesOfFreedom: number): number {
  if (!(degreesOfFreedom > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${degreesOfFreedom}`);
  if (!(x >= 0)) throw new RangeError(`chi-square statistic must be >= 0, got ${x}`);
  return regularizedGammaQ(degreesOfFreedom / 2, x / 2);
}

/** χ² = Σ (O_i − E_i)² / E_i with E_i = N·w_i/Σw, df = k − 1. */
export function sampleRatioMismatch(observed: readonly number[], options?: SrmOptions): SrmResult {
  observed.forEach((o, i) => checkCount(`observed[${i}]`, o));
  const weights = options?.weights ?? observed.map(() => 1);
  const threshold = options?.threshold ?? SRM_THRESHOLD;
  if (weights.length !== observed.length) {
    throw new RangeError(`weights has ${weights.length} entries for ${observed.length} variations`);
  }
  // A variation expected to get no traffic has no place in the test (its E_i would be 0); the
  // caller leaves it out, so a zero or negative weight here is a bug.
  weights.forEach((w, i) => {
    if (!(w > 0) || !Number.isFinite(w)) throw new RangeError(`weights[${i}] must be a finite number > 0, got ${w}`);
  });
  if (!(threshold > 0 && threshold < 1)) throw new RangeError(`threshold must be in (0, 1), got ${threshold}`);
  const k = observed.length;
  const total = observed.reduce((a, b) => a + b, 0);
  const weightTotal = weights.reduce((a, b) => a + b, 0);
  const expected = weights.map((w) => (total * w) / weightTotal);
  if (k < 2) return { chiSquare: missing('too_few_variations'), degreesOfFreedom: Math.max(0, k - 1), pValue: missing('too_few_variations'), mismatch: false, expected };
  if (total === 0) return { chiSquare: missing('no_units'), degreesOfFreedom: k - 1, pValue: missing('no_units'), mismatch: false, expected };
  let chiSquare = 0;
  observed.forEach((o, i) => {
    const e = expected[i] as number;
    chiSquare += ((o - e) * (o - e)) / e;
  });
  const p = chiSquareSurvival(chiSquare, k - 1);
  return { chiSquare: finite(chiSquare), degreesOfFreedom: k - 1, pValue: finite(p), mismatch: p < threshold, expected };
}
