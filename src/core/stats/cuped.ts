/**
 * CUPED (Deng, Xu, Kohavi & Walker, 2013): variance reduction with a pre-exposure covariate X of
 * the same metric Y. θ is estimated once from all units of the experiment, whatever their
 * variation, so the adjustment cannot itself depend on the treatment.
 */
import { finite, finiteInterval, known, missing, type Figure, type Interval, type NullReason } from './figure.ts';
import { alphaOf, checkCuped, cupedInRange, type ConfidenceOptions, type CupedSample } from './inputs.ts';
import { centredSumOfProducts, centredSumOfSquares, relativeBaseProblem, relativeChangeVariance, RELATIVE_VARIANCE_FLOOR } from './moments.ts';
import { normalQuantile, normalTwoSidedPValue } from './normal.ts';

export interface CupedTheta {
  /** cov(Y, X)/var(X) over all units; null when X is constant. */
  readonly theta: Figure;
  /** θ actually applied: 0 when θ is undefined, where any θ gives the same adjusted figures. */
  readonly applied: number;
  /** X̄ over all units, the point every variation's covariate mean is adjusted to. */
  readonly covariateMean: number;
}

export interface CupedAdjusted {
  readonly n: number;
  /** Ȳ − θ(X̄ − X̄_all). */
  readonly mean: number;
  /** var(Y − θX) with n − 1. */
  readonly variance: number;
}

export interface CupedComparison {
  readonly theta: Figure;
  readonly referenceMean: Figure;
  readonly variationMean: Figure;
  readonly absoluteDifference: Figure;
  readonly absoluteInterval: Figure<Interval>;
  readonly relativeImprovement: Figure;
  readonly relativeInterval: Figure<Interval>;
  readonly zScore: Figure;
  readonly pValue: Figure;
  readonly reliability: Figure;
  /** 1 − Var_adjusted(difference)/Var_unadjusted(difference): the share of variance removed. */
  readonly varianceReduction: Figure;
}

/** θ = Σ(x − x̄)(y − ȳ) / Σ(x − x̄)² over the union of all samples (the n − 1 cancels). */
export function cupedTheta(samples: readonly CupedSample[]): CupedTheta {
  samples.forEach((s, i) => checkCuped(`samples[${i}]`, s));
  let n = 0;
  let sumY = 0;
  let sumX = 0;
  let sumXSquares = 0;
  let sumXY = 0;
  for (const s of samples) {
    n += s.n;
    sumY += s.sumY;
    sumX += s.sumX;
    sumXSquares += s.sumXSquares;
    sumXY += s.sumXY;
  }
  const covariateMean = n > 0 ? sumX / n : 0;
  if (n < 2) return { theta: missing('too_few_units'), applied: 0, covariateMean };
  const sxx = centredSumOfSquares(n, sumX, sumXSquares);
  if (sxx === 0) return { theta: missing('zero_covariate_variance'), applied: 0, covariateMean };
  const theta = centredSumOfProducts(n, sumX, sumY, sumXY) / sxx;
  // A covariate spread near the smallest doubles can make θ overflow; no adjustment is then applied.
  if (!Number.isFinite(theta)) return { theta: missing('out_of_range'), applied: 0, covariateMean };
  return { theta: known(theta), applied: theta, covariateMean };
}

/**
 * One variation's adjusted mean and variance. var(Y − θX) = var(Y) − 2θ·cov(Y, X) + θ²·var(X),
 * each from the variation's own sums; rounding noise below the floor counts as 0, as elsewhere.
 */
export function cupedAdjust(sample: CupedSample, theta: CupedTheta): CupedAdjusted | null {
  checkCuped('sample', sample);
  if (sample.n < 2) return null;
  const { n } = sample;
  const t = theta.applied;
  const syy = centredSumOfSquares(n, sample.sumY, sample.sumYSquares);
  const sxx = centredSumOfSquares(n, sample.sumX, sample.sumXSquares);
  const sxy = centredSumOfProducts(n, sample.sumX, sample.sumY, sample.sumXY);
  const centred = syy - 2 * t * sxy + t * t * sxx;
  const scale = syy + Math.abs(2 * t * sxy) + t * t * sxx;
  const variance = centred > RELATIVE_VARIANCE_FLOOR * scale ? centred / (n - 1) : 0;
  return { n, mean: sample.sumY / n - t * (sample.sumX / n - theta.covariateMean), variance };
}

/**
 * Compares two variations on the CUPED-adjusted metric, in normal form: z quantile, p-value
 * 2(1 − Φ(|z|)) with z = Δ / √(var_r/n_r + var_v/n_v). `all` is every sample of the experiment,
 * including these two, because θ and X̄_all are pooled over all of them. θ and X̄_all are treated as
 * known constants, the usual CUPED approximation (their estimation error is O(1/N)).
 */
export function compareCuped(
  reference: CupedSample,
  variation: CupedSample,
  options: ConfidenceOptions & { readonly all: readonly CupedSample[] },
): CupedComparison {
  checkCuped('reference', reference);
  checkCuped('variation', variation);
  const alpha = alphaOf(options);
  if (![reference, variation, ...options.all].every(cupedInRange)) return allMissing(missing('out_of_range'), 'out_of_range');
  const theta = cupedTheta(options.all);
  if (reference.n === 0 || variation.n === 0) return allMissing(theta.theta, 'no_units');
  const r = cupedAdjust(reference, theta);
  const v = cupedAdjust(variation, theta);
  if (!r || !v) return allMissing(theta.theta, 'too_few_units');

  const diff = v.mean - r.mean;
  const seSquared = r.variance / r.n + v.variance / v.n;
  const baseProblem = relativeBaseProblem(r.mean);
  const relativeImprovement: Figure = baseProblem ? missing(baseProblem) : finite(diff / r.mean);
  const base = {
    theta: theta.theta,
    referenceMean: finite(r.mean),
    variationMean: finite(v.mean),
    absoluteDifference: finite(diff),
    relativeImprovement,
  };
  const unadjusted = unadjustedVariance(reference) / reference.n + unadjustedVariance(variation) / variation.n;
  const varianceReduction: Figure = unadjusted > 0 ? finite(1 - seSquared / unadjusted) : missing('zero_variance');
  if (!(seSquared > 0) || !Number.isFinite(seSquared) || !Number.isFinite(diff)) {
    const reason = seSquared === 0 ? 'zero_variance' : 'out_of_range';
    return {
      ...base,
      absoluteInterval: missing(reason),
      relativeInterval: baseProblem ? missing(baseProblem) : missing(reason),
      zScore: missing(reason),
      pValue: missing(reason),
      reliability: missing(reason),
      varianceReduction,
    };
  }
  const z = normalQuantile(1 - alpha / 2);
  const se = Math.sqrt(seSquared);
  const statistic = diff / se;
  const p = normalTwoSidedPValue(statistic);
  let relativeInterval: Figure<Interval> = baseProblem ? missing(baseProblem) : missing('zero_variance');
  if (!baseProblem) {
    const relativeSe = Math.sqrt(relativeChangeVariance(r.mean, r.variance / r.n, v.mean, v.variance / v.n));
    if (relativeSe > 0) relativeInterval = finiteInterval(diff / r.mean - z * relativeSe, diff / r.mean + z * relativeSe);
  }
  return {
    ...base,
    absoluteInterval: finiteInterval(diff - z * se, diff + z * se),
    relativeInterval,
    zScore: finite(statistic),
    pValue: finite(p),
    reliability: finite(1 - p),
    varianceReduction,
  };
}

function unadjustedVariance(s: CupedSample): number {
  return centredSumOfSquares(s.n, s.sumY, s.sumYSquares) / (s.n - 1);
}

function allMissing(theta: Figure, reason: NullReason): CupedComparison {
  return {
    theta,
    referenceMean: missing(reason),
    variationMean: missing(reason),
    absoluteDifference: missing(reason),
    absoluteInterval: missing(reason),
    relativeImprovement: missing(reason),
    relativeInterval: missing(reason),
    zScore: missing(reason),
    pValue: missing(reason),
    reliability: missing(reason),
    varianceReduction: missing(reason),
  };
}
