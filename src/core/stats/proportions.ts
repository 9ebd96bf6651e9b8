/**
 * Conversion rates: the two-sided two-proportion z-test, and the absolute and relative
 * improvement of a variation over the reference with their confidence intervals.
 */
import { finite, finiteInterval, known, missing, type Figure, type Interval } from './figure.ts';
import { alphaOf, checkProportion, proportionInRange, type ConfidenceOptions, type ProportionSample } from './inputs.ts';
import { proportionVariance, relativeChangeVariance } from './moments.ts';
import { normalQuantile, normalTwoSidedPValue } from './normal.ts';

export interface ProportionComparison {
  readonly referenceRate: Figure;
  readonly variationRate: Figure;
  /** p_v − p_r. */
  readonly absoluteDifference: Figure;
  /** Wald interval with unpooled standard errors. */
  readonly absoluteInterval: Figure<Interval>;
  /** p_v / p_r − 1. */
  readonly relativeImprovement: Figure;
  /** Delta-method interval of the relative improvement. */
  readonly relativeInterval: Figure<Interval>;
  /** z statistic with the pooled proportion under H₀: p_v = p_r. */
  readonly zScore: Figure;
  readonly pValue: Figure;
  /** 1 − p-value. */
  readonly reliability: Figure;
}

/**
 * Compares a variation's conversion rate with the reference's. The p-value uses the pooled
 * proportion (the variance under the null hypothesis being tested); the intervals use unpooled
 * variances (the variance where the estimate actually is), the usual textbook split.
 */
export function compareProportions(
  reference: ProportionSample,
  variation: ProportionSample,
  options?: ConfidenceOptions,
): ProportionComparison {
  checkProportion('reference', reference);
  checkProportion('variation', variation);
  const alpha = alphaOf(options);
  const inRange = proportionInRange(reference) && proportionInRange(variation);
  if (!inRange || reference.n === 0 || variation.n === 0) {
    const reason = inRange ? 'no_units' : 'out_of_range';
    const none = missing(reason);
    return {
      referenceRate: reference.n === 0 ? none : known(reference.conversions / reference.n),
      variationRate: variation.n === 0 ? none : known(variation.conversions / variation.n),
      absoluteDifference: none,
      absoluteInterval: missing<Interval>(reason),
      relativeImprovement: none,
      relativeInterval: missing<Interval>(reason),
      zScore: none,
      pValue: none,
      reliability: none,
    };
  }
  const pr = reference.conversions / reference.n;
  const pv = variation.conversions / variation.n;
  const diff = pv - pr;
  const z = normalQuantile(1 - alpha / 2);

  const unpooledVariance = proportionVariance(pr, reference.n) + proportionVariance(pv, variation.n);
  const absoluteInterval =
    unpooledVariance > 0
      ? finiteInterval(diff - z * Math.sqrt(unpooledVariance), diff + z * Math.sqrt(unpooledVariance))
      : missing<Interval>('zero_variance');

  const pooled = (reference.conversions + variation.conversions) / (reference.n + variation.n);
  const pooledVariance = pooled * (1 - pooled) * (1 / reference.n + 1 / variation.n);
  let zScore: Figure = missing('zero_variance');
  let pValue: Figure = missing('zero_variance');
  let reliability: Figure = missing('zero_variance');
  if (pooledVariance > 0) {
    const statistic = diff / Math.sqrt(pooledVariance);
    const p = normalTwoSidedPValue(statistic);
    zScore = finite(statistic);
    pValue = finite(p);
    reliability = finite(1 - p);
  }

  let relativeImprovement: Figure = missing('reference_rate_zero');
  let relativeInterval: Figure<Interval> = missing('reference_rate_zero');
  if (pr > 0) {
    const relative = pv / pr - 1;
    relativeImprovement = finite(relative);
    const relativeVariance = relativeChangeVariance(pr, proportionVariance(pr, reference.n), pv, proportionVariance(pv, variation.n));
    relativeInterval =
      relativeVariance > 0
        ? finiteInterval(relative - z * Math.sqrt(relativeVariance), relative + z * Math.sqrt(relativeVariance))
        : missing('zero_variance');
  }

  return {
    referenceRate: known(pr),
    variationRate: known(pv),
    absoluteDifference: known(diff),
    absoluteInterval,
    relativeImprovement,
    relativeInterval,
    zScore,
    pValue,
    reliability,
  };
}

/**
 * Wald interval of one conversion rate, p ± z·√(p(1 − p)/n): the band drawn around a variation's
 * cumulative rate. Undefined with no units, or when p is 0 or 1 (no variance).
 */
export function proportionInterval(sample: ProportionSample, options?: ConfidenceOptions): Figure<Interval> {
  checkProportion('sample', sample);
  if (sample.n === 0) return missing('no_units');
  const p = sample.conversions / sample.n;
  const variance = proportionVariance(p, sample.n);
  if (!(variance > 0)) return missing('zero_variance');
  const half = normalQuantile(1 - alphaOf(options) / 2) * Math.sqrt(variance);
  return finiteInterval(p - half, p + half);
}
