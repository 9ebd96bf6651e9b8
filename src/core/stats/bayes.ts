/**
 * Bayesian "probability to beat the reference", computed exactly rather than by sampling so the
 * figure is reproducible to the last digit.
 */
import { logBeta } from './beta.ts';
import { finite, known, missing, type Figure } from './figure.ts';
import { checkMean, checkProportion, meanInRange, proportionInRange, type MeanSample, type ProportionSample } from './inputs.ts';
import { sampleVariance } from './moments.ts';
import { normalCdf } from './normal.ts';

/** Terms below this share of the running sum no longer change a double. */
const NEGLIGIBLE = 1e-18;
/**
 * Above this the smallest shape parameter makes the exact sum walk tens of thousands of terms (27 ms
 * at 10⁹ units), while the normal approximation of the two posteriors is already within about
 * 5·10⁻⁹ of it (its error falls like 1/shape), below the rounding of ln B at that size.
 */
const NORMAL_FROM = 1e7;

/** P(X₂ > X₁) with each Beta replaced by the normal of the same mean and variance. */
function normalBetaApproximation(a1: number, b1: number, a2: number, b2: number): number {
  const mean = (a: number, b: number) => a / (a + b);
  const variance = (a: number, b: number) => (a * b) / ((a + b) * (a + b) * (a + b + 1));
  return normalCdf((mean(a2, b2) - mean(a1, b1)) / Math.sqrt(variance(a1, b1) + variance(a2, b2)));
}

/**
 * Evan Miller's closed form ("Formulas for Bayesian A/B Testing") for P(X₂ > X₁), with
 * X₁ ~ Beta(a₁, b₁), X₂ ~ Beta(a₂, b₂) independent and a₂ a positive integer:
 *   P = Σ_{i=0}^{a₂−1} B(a₁ + i, b₁ + b₂) / ((b₂ + i)·B(1 + i, b₂)·B(a₁, b₁)).
 * Consecutive terms have the ratio (a₁ + i)(b₂ + i) / ((a₁ + b₁ + b₂ + i)(1 + i)), which crosses 1
 * once, so the terms are unimodal. The sum starts at the mode (its log computed directly with the
 * cancellation-free ln B) and walks outwards in log space until terms no longer count. It never
 * underflows, visits only a few thousand terms for counts of 10⁷, and is exact up to the rounding
 * of ln B (about 10⁻¹¹ absolute for counts near 10⁶).
 */
function millerSum(a1: number, b1: number, a2: number, b2: number): number {
  const last = a2 - 1;
  const logRatio = (i: number): number => Math.log(((a1 + i) * (b2 + i)) / ((a1 + b1 + b2 + i) * (1 + i)));
  // The ratio is ≥ 1 exactly while i ≤ (a₁b₂ − a₁ − b₁ − b₂)/(b₁ + 1), so the mode is just past that.
  const turn = (a1 * b2 - a1 - b1 - b2) / (b1 + 1);
  const mode = Math.min(last, Math.max(0, Math.floor(turn) + 1));
  const logMode = logBeta(a1 + mode, b1 + b2) - Math.log(b2 + mode) - logBeta(1 + mode, b2) - logBeta(a1, b1);
  let sum = 1; // in units of the modal term
  let logTerm = logMode;
  for (let i = mode; i < last; i++) {
    logTerm += logRatio(i);
    const term = Math.exp(logTerm - logMode);
    sum += term;
    if (term < NEGLIGIBLE * sum) break;
  }
  logTerm = logMode;
  for (let i = mode - 1; i >= 0; i--) {
    logTerm -= logRatio(i);
    const term = Math.exp(logTerm - logMode);
    sum += term;
    if (term < NEGLIGIBLE * sum) break;
  }
  return Math.exp(logMode) * sum;
}

/**
 * P(X₂ > X₁) for independent X₁ ~ Beta(a₁, b₁), X₂ ~ Beta(a₂, b₂). The closed form sums over one
 * shape parameter, and by symmetry (P(X₂ > X₁) = 1 − P(X₁ > X₂), and 1 − X ~ Beta(b, a)) any of the
 * four may be the one summed over. The smallest integer one is chosen: a reference with a handful
 * of units against ten million would otherwise spread the terms over millions of indices. The
 * complemented forms are exact to ~10⁻¹⁵ absolute, which is what a probability shown as a
 * percentage needs.
 */
export function probabilityBetaGreater(a1: number, b1: number, a2: number, b2: number): number {
  for (const [name, v] of [['a1', a1], ['b1', b1], ['a2', a2], ['b2', b2]] as const) {
    if (!(v > 0) || !Number.isFinite(v)) throw new RangeError(`Beta parameter ${name} must be a finite number > 0, got ${v}`);
  }
  const forms: { count: number; evaluate: () => number }[] = [
    { count: a2, evaluate: () => millerSum(a1, b1, a2, b2) },
    { count: b1, evaluate: () => millerSum(b2, a2, b1, a1) }, // P(1 − X₁ > 1 − X₂)
    { count: a1, evaluate: () => 1 - millerSum(a2, b2, a1, b1) }, // 1 − P(X₁ > X₂)
    { count: b2, evaluate: () => 1 - millerSum(b1, a1, b2, a2) }, // 1 − P(1 − X₂ > 1 − X₁)
  ];
  let best: (typeof forms)[number] | undefined;
  for (const form of forms) {
    if (Number.isInteger(form.count) && (!best || form.count < best.count)) best = form;
  }
  if (!best) throw new RangeError(`one Beta shape parameter must be an integer, got ${a1}, ${b1}, ${a2}, ${b2}`);
  if (best.count > NORMAL_FROM) return normalBetaApproximation(a1, b1, a2, b2);
  return Math.min(1, Math.max(0, best.evaluate()));
}

/**
 * Probability that the variation's conversion rate beats the reference's, under independent
 * uniform priors: posteriors Beta(1 + conversions, 1 + n − conversions).
 */
export function probabilityToBeatRate(reference: ProportionSample, variation: ProportionSample): Figure {
  checkProportion('reference', reference);
  checkProportion('variation', variation);
  if (!proportionInRange(reference) || !proportionInRange(variation)) return missing('out_of_range');
  // With no units the answer would be the prior's ½, which reads as evidence; say "no data" instead.
  if (reference.n === 0 || variation.n === 0) return missing('no_units');
  return known(
    probabilityBetaGreater(
      1 + reference.conversions,
      1 + reference.n - reference.conversions,
      1 + variation.conversions,
      1 + variation.n - variation.conversions,
    ),
  );
}

/**
 * Probability that the variation's mean beats the reference's, with normal posteriors
 * N(x̄, s²/n) for each: P = Φ((x̄_v − x̄_r) / √(s_r²/n_r + s_v²/n_v)).
 */
export function probabilityToBeatMean(reference: MeanSample, variation: MeanSample): Figure {
  checkMean('reference', reference);
  checkMean('variation', variation);
  if (!meanInRange(reference) || !meanInRange(variation)) return missing('out_of_range');
  if (reference.n === 0 || variation.n === 0) return missing('no_units');
  const vr = sampleVariance(reference.n, reference.sum, reference.sumSquares);
  const vv = sampleVariance(variation.n, variation.sum, variation.sumSquares);
  if (vr === null || vv === null) return missing('too_few_units');
  const variance = vr / reference.n + vv / variation.n;
  if (!(variance > 0)) return missing('zero_variance');
  return finite(normalCdf((variation.sum / variation.n - reference.sum / reference.n) / Math.sqrt(variance)));
}
