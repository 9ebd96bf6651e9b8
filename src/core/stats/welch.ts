/**
 * Means (revenue per unit and other continuous metrics): Welch's unequal-variance t-test with
 * Welch–Satterthwaite degrees of freedom, and the absolute and relative improvement intervals.
 */
import { finite, finiteInterval, known, missing, type Figure, type Interval } from './figure.ts';
import { alphaOf, checkMean, meanInRange, type ConfidenceOptions, type MeanSample } from './inputs.ts';
import { relativeBaseProblem, relativeChangeVariance, sampleVariance } from './moments.ts';
import { studentTQuantile, studentTTwoSidedPValue } from './student-t.ts';

export interface MeanComparison {
  readonly referenceMean: Figure;
  readonly variationMean: Figure;
  /** x̄_v − x̄_r. */
  readonly absoluteDifference: Figure;
  readonly absoluteInterval: Figure<Interval>;
  /** x̄_v / x̄_r − 1. */
  readonly relativeImprovement: Figure;
  /** Delta-method interval, with the same t quantile as the absolute one. */
  readonly relativeInterval: Figure<Interval>;
  readonly tStatistic: Figure;
  /** Welch–Satterthwaite degrees of freedom. */
  readonly degreesOfFreedom: Figure;
  readonly pValue: Figure;
  /** 1 − p-value. */
  readonly reliability: Figure;
}

/**
 * Welch–Satterthwaite ν = (s_r²/n_r + s_v²/n_v)² / ((s_r²/n_r)²/(n_r − 1) + (s_v²/n_v)²/(n_v − 1)).
 * Takes the per-group squared standard errors s²/n; at least one must be positive. Both are first
 * divided by the larger, which leaves ν unchanged: squaring 10²⁰⁰ or 10⁻²⁰⁰ would overflow or
 * underflow, and ν then came out NaN. ν always lies in [min(n_r, n_v) − 1, n_r + n_v − 2].
 */
export function welchSatterthwaite(seSquaredReference: number, nReference: number, seSquaredVariation: number, nVariation: number): number {
  const scale = Math.max(seSquaredReference, seSquaredVariation);
  const r = seSquaredReference / scale;
  const v = seSquaredVariation / scale;
  return ((r + v) * (r + v)) / ((r * r) / (nReference - 1) + (v * v) / (nVariation - 1));
}

export function compareMeans(reference: MeanSample, variation: MeanSample, options?: ConfidenceOptions): MeanComparison {
  checkMean('reference', reference);
  checkMean('variation', variation);
  const alpha = alphaOf(options);
  if (!meanInRange(reference) || !meanInRange(variation)) {
    return allMissing(missing('out_of_range'), missing('out_of_range'), 'out_of_range');
  }
  const referenceMean: Figure = reference.n === 0 ? missing('no_units') : known(reference.sum / reference.n);
  const variationMean: Figure = variation.n === 0 ? missing('no_units') : known(variation.sum / variation.n);
  if (referenceMean.value === null || variationMean.value === null) {
    return allMissing(referenceMean, variationMean, 'no_units');
  }
  const mr = referenceMean.value;
  const mv = variationMean.value;
  const diff = mv - mr;
  const baseProblem = relativeBaseProblem(mr);
  const relativeImprovement: Figure = baseProblem ? missing(baseProblem) : finite(diff / mr);

  const vr = sampleVariance(reference.n, reference.sum, reference.sumSquares);
  const vv = sampleVariance(variation.n, variation.sum, variation.sumSquares);
  if (vr === null || vv === null) {
    return { ...allMissing(referenceMean, variationMean, 'too_few_units'), absoluteDifference: known(diff), relativeImprovement };
  }
  const ser = vr / reference.n;
  const sev = vv / variation.n;
  if (!(ser + sev > 0)) {
    return { ...allMissing(referenceMean, variationMean, 'zero_variance'), absoluteDifference: known(diff), relativeImprovement };
  }
  const se = Math.sqrt(ser + sev);
  const df = welchSatterthwaite(ser, reference.n, sev, variation.n);
  const t = diff / se;
  const p = studentTTwoSidedPValue(t, df);
  const quantile = studentTQuantile(1 - alpha / 2, df);

  let relativeInterval: Figure<Interval> = baseProblem ? missing(baseProblem) : missing('zero_variance');
  if (!baseProblem) {
    const relative = diff / mr;
    const relativeSe = Math.sqrt(relativeChangeVariance(mr, ser, mv, sev));
    // A zero delta-method variance (e.g. a variation that is constantly 0) is a degenerate
    // interval, not a certain one; it is reported as missing, as for rates.
    if (relativeSe > 0) {
      relativeInterval = finiteInterval(relative - quantile * relativeSe, relative + quantile * relativeSe);
    }
  }

  return {
    referenceMean,
    variationMean,
    absoluteDifference: known(diff),
    absoluteInterval: finiteInterval(diff - quantile * se, diff + quantile * se),
    relativeImprovement,
    relativeInterval,
    tStatistic: finite(t),
    degreesOfFreedom: finite(df),
    pValue: finite(p),
    reliability: finite(1 - p),
  };
}

function allMissing(referenceMean: Figure, variationMean: Figure, reason: 'no_units' | 'too_few_units' | 'zero_variance' | 'out_of_range'): MeanComparison {
  const none = missing(reason);
  return {
    referenceMean,
    variationMean,
    absoluteDifference: none,
    absoluteInterval: missing(reason),
    relativeImprovement: none,
    relativeInterval: missing(reason),
    tStatistic: none,
    degreesOfFreedom: none,
    pValue: none,
    reliability: none,
  };
}
