/**
 * Means and variances from sufficient statistics, and the delta-method variance of a ratio:
 * the pieces every comparison shares.
 */

/**
 * Below this share of Σy² a centred sum of squares is rounding noise, not spread: Σy² − (Σy)²/n
 * carries an error of a few ulps of Σy² (more after summing millions of rows), so a constant
 * metric would otherwise show a tiny positive variance and an absurd test statistic instead of
 * "zero variance". 10⁻¹² of the raw second moment is a coefficient of variation of about 10⁻⁶.
 */
export const RELATIVE_VARIANCE_FLOOR = 1e-12;

/** Σ(y − ȳ)² from n, Σy, Σy², with rounding noise mapped to exactly 0 (see RELATIVE_VARIANCE_FLOOR). */
export function centredSumOfSquares(n: number, sum: number, sumSquares: number): number {
  if (n === 0) return 0;
  const centred = sumSquares - (sum * sum) / n;
  return centred > RELATIVE_VARIANCE_FLOOR * sumSquares ? centred : 0;
}

/** Σ(x − x̄)(y − ȳ) from n, Σx, Σy, Σxy. */
export function centredSumOfProducts(n: number, sumX: number, sumY: number, sumXY: number): number {
  return n === 0 ? 0 : sumXY - (sumX * sumY) / n;
}

/** Estimated variance of a sample proportion, p(1 − p)/n. */
export function proportionVariance(p: number, n: number): number {
  return (p * (1 - p)) / n;
}

/** Sample variance with n − 1 (Bessel's correction), or null when n < 2. */
export function sampleVariance(n: number, sum: number, sumSquares: number): number | null {
  return n < 2 ? null : centredSumOfSquares(n, sum, sumSquares) / (n - 1);
}

/**
 * Delta-method variance of the relative change m_v/m_r − 1 for independent estimates m_r, m_v
 * with variances s_r², s_v² (already divided by n):
 *   Var(m_v/m_r) ≈ s_v²/m_r² + m_v²·s_r²/m_r⁴.
 */
export function relativeChangeVariance(meanReference: number, varianceReference: number, meanVariation: number, varianceVariation: number): number {
  const r2 = meanReference * meanReference;
  // A reference mean so near 0 that its square underflows: the variance is beyond any double
  // (Infinity, so the interval becomes null out_of_range), not 0/0.
  if (r2 === 0) return Infinity;
  return varianceVariation / r2 + (meanVariation * meanVariation * varianceReference) / (r2 * r2);
}

/**
 * Why a relative change over this reference mean is not reported, or null when it is. A negative
 * reference (net revenue after refunds) is refused too: dividing by it flips the sign, so a
 * variation that loses less money would read as a negative "improvement".
 */
export function relativeBaseProblem(meanReference: number): 'reference_mean_zero' | 'reference_mean_negative' | null {
  if (meanReference === 0) return 'reference_mean_zero';
  if (meanReference < 0) return 'reference_mean_negative';
  return null;
}
