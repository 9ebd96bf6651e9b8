/**
 * Sequential testing: asymptotic confidence sequences (Waudby-Smith, Arnold, Wu, Howard, Ramdas
 * & Ramdas, "Time-uniform central limit theory and asymptotic confidence sequences", 2023,
 * arXiv:2103.06476), in the form GrowthBook documents and ships. Unlike a fixed-horizon interval,
 * the interval below may be looked at after every new unit: the probability that it ever
 * excludes the true difference is at most α.
 *
 * With N = n_reference + n_variation units, μ̂ the estimated difference and se its standard error
 * (so σ̂² = N·se² is the per-unit variance the paper's formula is written with):
 *   ρ          = √((−2 ln α + ln(−2 ln α + 1)) / N*),   tuning N* = 5000
 *   half-width = σ̂·√(2(Nρ² + 1)/(N²ρ²) · ln(√(Nρ² + 1)/α))
 *   p-value    = min(1, √(Nρ² + 1)·exp(−ρ²N μ̂² / (2 se² (Nρ² + 1))))
 * ρ is fixed by the configured α, as in GrowthBook; the interval is narrowest around N ≈ N*.
 */
import { finite, finiteInterval, known, missing, type Figure, type Interval } from './figure.ts';
import { alphaOf, checkMean, checkProportion, meanInRange, proportionInRange, type ConfidenceOptions, type MeanSample, type ProportionSample } from './inputs.ts';
import { proportionVariance, relativeBaseProblem, relativeChangeVariance, sampleVariance } from './moments.ts';

/** GrowthBook's default: the sequence is tightest when about 5 000 units have been exposed. */
export const DEFAULT_SEQUENTIAL_TUNING = 5000;

export interface SequentialOptions extends ConfidenceOptions {
  /** N*, the sample size at which the confidence sequence is tightest. */
  readonly tuning?: number;
}

export interface ConfidenceSequence {
  readonly interval: Figure<Interval>;
  readonly pValue: Figure;
}

export interface SequentialComparison {
  readonly absoluteDifference: Figure;
  readonly absoluteInterval: Figure<Interval>;
  readonly absolutePValue: Figure;
  readonly relativeImprovement: Figure;
  readonly relativeInterval: Figure<Interval>;
  readonly relativePValue: Figure;
}

/** ρ = √((−2 ln α + ln(−2 ln α + 1)) / N*) (Waudby-Smith et al., eq. for the two-sided mixture). */
export function sequentialRho(alpha: number, tuning: number = DEFAULT_SEQUENTIAL_TUNING): number {
  if (!(alpha > 0 && alpha < 1)) throw new RangeError(`alpha must be in (0, 1), got ${alpha}`);
  if (!(tuning > 0) || !Number.isFinite(tuning)) throw new RangeError(`tuning must be a finite number > 0, got ${tuning}`);
  const twoLogAlpha = -2 * Math.log(alpha);
  return Math.sqrt((twoLogAlpha + Math.log(twoLogAlpha + 1)) / tuning);
}

/**
 * Half-width σ̂·√(2(Nρ² + 1)/(N²ρ²)·ln(√(Nρ² + 1)/α)), where σ̂² = N·se² is the per-unit variance
 * of the two-sample difference (se being the standard error of the estimate).
 */
export function sequentialHalfWidth(standardError: number, n: number, alpha: number, rho: number): number {
  const nr2 = n * rho * rho;
  const perUnitVariance = n * standardError * standardError;
  return Math.sqrt(((perUnitVariance * 2 * (nr2 + 1)) / (n * n * rho * rho)) * Math.log(Math.sqrt(nr2 + 1) / alpha));
}

/**
 * The always-valid p-value: the α at which the sequence above (ρ held fixed) just reaches 0.
 * Solving half-width = |μ̂| for α gives p = min(1, √(Nρ² + 1)·exp(−ρ²N μ̂² / (2 se² (Nρ² + 1)))),
 * GrowthBook's closed form. Written with σ̂² = N·se² it is exp(−ρ²N²μ̂²/(2σ̂²(Nρ² + 1))); the form
 * with a single N in the exponent holds when σ̂² denotes the variance of the estimate (se²), which is
 * how it is coded here.
 */
export function alwaysValidPValue(estimate: number, standardError: number, n: number, rho: number): number {
  const nr2 = n * rho * rho;
  const exponent = -(rho * rho * n * estimate * estimate) / (2 * standardError * standardError * (nr2 + 1));
  return Math.min(1, Math.sqrt(nr2 + 1) * Math.exp(exponent));
}

/**
 * Interval and always-valid p-value of one estimate; null when its standard error is 0, or when the
 * estimate or its standard error overflowed (a relative change over a reference mean near 0).
 */
export function confidenceSequence(estimate: number, standardError: number, n: number, options?: SequentialOptions): ConfidenceSequence {
  const alpha = alphaOf(options);
  if (!(n >= 1)) throw new RangeError(`n must be >= 1, got ${n}`);
  if (!Number.isFinite(estimate) || !Number.isFinite(standardError)) return { interval: missing('out_of_range'), pValue: missing('out_of_range') };
  if (!(standardError > 0)) return { interval: missing('zero_variance'), pValue: missing('zero_variance') };
  const rho = sequentialRho(alpha, options?.tuning ?? DEFAULT_SEQUENTIAL_TUNING);
  const halfWidth = sequentialHalfWidth(standardError, n, alpha, rho);
  const p = alwaysValidPValue(estimate, standardError, n, rho);
  return {
    interval: finiteInterval(estimate - halfWidth, estimate + halfWidth),
    pValue: finite(p),
  };
}

interface Moments {
  readonly n: number;
  readonly mean: number;
  /** Variance of the mean estimate (s²/n). */
  readonly meanVariance: number;
}

function compareMoments(reference: Moments, variation: Moments, options: SequentialOptions | undefined): SequentialComparison {
  const n = reference.n + variation.n;
  const diff = variation.mean - reference.mean;
  const absolute = confidenceSequence(diff, Math.sqrt(reference.meanVariance + variation.meanVariance), n, options);
  const baseProblem = relativeBaseProblem(reference.mean);
  if (baseProblem) {
    return {
      absoluteDifference: known(diff),
      absoluteInterval: absolute.interval,
      absolutePValue: absolute.pValue,
      relativeImprovement: missing(baseProblem),
      relativeInterval: missing(baseProblem),
      relativePValue: missing(baseProblem),
    };
  }
  const relative = diff / reference.mean;
  const relativeSe = Math.sqrt(relativeChangeVariance(reference.mean, reference.meanVariance, variation.mean, variation.meanVariance));
  const relativeSequence = confidenceSequence(relative, relativeSe, n, options);
  return {
    absoluteDifference: known(diff),
    absoluteInterval: absolute.interval,
    absolutePValue: absolute.pValue,
    relativeImprovement: finite(relative),
    relativeInterval: relativeSequence.interval,
    relativePValue: relativeSequence.pValue,
  };
}

function allMissing(reason: 'no_units' | 'too_few_units' | 'out_of_range'): SequentialComparison {
  return {
    absoluteDifference: missing(reason),
    absoluteInterval: missing(reason),
    absolutePValue: missing(reason),
    relativeImprovement: missing(reason),
    relativeInterval: missing(reason),
    relativePValue: missing(reason),
  };
}

/**
 * Sequential comparison of conversion rates, with the unpooled variance p(1 − p)/n of each rate
 * for both interval and p-value (GrowthBook treats rates as means of 0/1 values).
 */
export function compareProportionsSequential(
  reference: ProportionSample,
  variation: ProportionSample,
  options?: SequentialOptions,
): SequentialComparison {
  checkProportion('reference', reference);
  checkProportion('variation', variation);
  alphaOf(options);
  if (!proportionInRange(reference) || !proportionInRange(variation)) return allMissing('out_of_range');
  if (reference.n === 0 || variation.n === 0) return allMissing('no_units');
  const moments = (s: ProportionSample): Moments => {
    const p = s.conversions / s.n;
    return { n: s.n, mean: p, meanVariance: proportionVariance(p, s.n) };
  };
  const result = compareMoments(moments(reference), moments(variation), options);
  // Same convention as the fixed-horizon test: a relative change over a 0 rate is "rate", not "mean".
  if (result.relativeImprovement.value === null && reference.conversions === 0) {
    return { ...result, relativeImprovement: missing('reference_rate_zero'), relativeInterval: missing('reference_rate_zero'), relativePValue: missing('reference_rate_zero') };
  }
  return result;
}

/** Sequential comparison of means, with sample variances (n − 1). */
export function compareMeansSequential(reference: MeanSample, variation: MeanSample, options?: SequentialOptions): SequentialComparison {
  checkMean('reference', reference);
  checkMean('variation', variation);
  alphaOf(options);
  if (!meanInRange(reference) || !meanInRange(variation)) return allMissing('out_of_range');
  if (reference.n === 0 || variation.n === 0) return allMissing('no_units');
  const vr = sampleVariance(reference.n, reference.sum, reference.sumSquares);
  const vv = sampleVariance(variation.n, variation.sum, variation.sumSquares);
  if (vr === null || vv === null) return { ...allMissing('too_few_units'), absoluteDifference: known(variation.sum / variation.n - reference.sum / reference.n) };
  return compareMoments(
    { n: reference.n, mean: reference.sum / reference.n, meanVariance: vr / reference.n },
    { n: variation.n, mean: variation.sum / variation.n, meanVariance: vv / variation.n },
    options,
  );
}
