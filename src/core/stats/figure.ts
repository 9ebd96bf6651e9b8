/**
 * Why a figure could not be computed. Stable codes: the API returns them and the dashboard
 * explains them, so renaming one is a breaking change (docs/statistics.md lists them).
 */
export const NULL_REASONS = {
  no_units: 'No exposed units in one of the variations compared.',
  too_few_units: 'A sample variance needs at least two units in each variation compared.',
  zero_variance: 'The metric has no variance, so its standard error is 0 and the test statistic is undefined.',
  reference_rate_zero: 'The reference conversion rate is 0, so a relative improvement over it is undefined.',
  reference_mean_zero: 'The reference mean is 0, so a relative improvement over it is undefined.',
  reference_mean_negative: 'The reference mean is negative, so the sign of a relative improvement over it would mislead.',
  reference_variation: 'The reference variation is not compared with itself.',
  zero_covariate_variance: 'The CUPED covariate is constant, so θ is undefined (the adjustment is then a no-op).',
  too_few_variations: 'A traffic-split test needs at least two variations.',
  out_of_range: 'The inputs lie outside the range the statistic is computed for (a sum beyond 10^150, a count beyond 2^53), or the figure itself overflows a double (for example a relative change over a reference mean of 10^-300).',
} as const;

export type NullReason = keyof typeof NULL_REASONS;

/**
 * A statistic that is either a finite number or explicitly absent with a reason. Consumers must
 * branch on `value === null`, so an undefined figure can never be shown as 0, NaN or Infinity.
 */
export type Figure<T = number> = { readonly value: T } | { readonly value: null; readonly reason: NullReason };

export interface Interval {
  readonly lower: number;
  readonly upper: number;
}

export function known<T>(value: T): Figure<T> {
  return { value };
}

export function missing<T = number>(reason: NullReason): Figure<T> {
  return { value: null, reason };
}

/**
 * The "never NaN or Infinity" promise, for figures that are defined in exact arithmetic: every
 * mathematically undefined case is caught earlier with its precise reason, so a non-finite value
 * here means the figure overflowed a double, and it is null with `out_of_range`.
 */
export function finite(value: number): Figure {
  return Number.isFinite(value) ? { value } : { value: null, reason: 'out_of_range' };
}

export function finiteInterval(lower: number, upper: number): Figure<Interval> {
  return Number.isFinite(lower) && Number.isFinite(upper) ? { value: { lower, upper } } : { value: null, reason: 'out_of_range' };
}
