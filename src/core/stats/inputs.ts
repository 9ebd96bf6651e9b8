/**
 * Sufficient statistics, the only inputs the statistics accept: aggregates can be summed in SQL
 * and merged across days or shards, raw per-unit arrays cannot.
 */

/** A binary metric: `n` exposed units of which `conversions` converted. */
export interface ProportionSample {
  readonly n: number;
  readonly conversions: number;
}

/** A continuous metric: unit count, Σy and Σy² over units. */
export interface MeanSample {
  readonly n: number;
  readonly sum: number;
  readonly sumSquares: number;
}

/**
 * A metric Y with its pre-exposure covariate X (CUPED): n, ΣY, ΣY², ΣX, ΣX², ΣXY over units.
 */
export interface CupedSample {
  readonly n: number;
  readonly sumY: number;
  readonly sumYSquares: number;
  readonly sumX: number;
  readonly sumXSquares: number;
  readonly sumXY: number;
}

export interface ConfidenceOptions {
  /** Two-sided confidence level in (0, 1); 0.95 unless the request asks otherwise. */
  readonly confidence?: number;
}

export const DEFAULT_CONFIDENCE = 0.95;

// Bad inputs here are bugs in the aggregation that produced them, not data conditions, so they
// throw instead of becoming a null figure that would hide the bug.

export function checkCount(name: string, value: number): void {
  if (!Number.isInteger(value) || value < 0) throw new RangeError(`${name} must be a non-negative integer, got ${value}`);
}

export function checkFinite(name: string, value: number): void {
  if (!Number.isFinite(value)) throw new RangeError(`${name} must be finite, got ${value}`);
}

export function checkProportion(name: string, s: ProportionSample): void {
  checkCount(`${name}.n`, s.n);
  checkCount(`${name}.conversions`, s.conversions);
  if (s.conversions > s.n) throw new RangeError(`${name}.conversions (${s.conversions}) exceeds ${name}.n (${s.n})`);
}

export function checkMean(name: string, s: MeanSample): void {
  checkCount(`${name}.n`, s.n);
  checkFinite(`${name}.sum`, s.sum);
  checkFinite(`${name}.sumSquares`, s.sumSquares);
  if (s.sumSquares < 0) throw new RangeError(`${name}.sumSquares must be >= 0, got ${s.sumSquares}`);
}

export function checkCuped(name: string, s: CupedSample): void {
  checkCount(`${name}.n`, s.n);
  for (const key of ['sumY', 'sumYSquares', 'sumX', 'sumXSquares', 'sumXY'] as const) checkFinite(`${name}.${key}`, s[key]);
  if (s.sumYSquares < 0 || s.sumXSquares < 0) throw new RangeError(`${name}: sums of squares must be >= 0`);
}

/**
 * The domain of the comparisons. Every count is at most 2⁵³ (where doubles stop counting exactly)
 * and every sum at most 10¹⁵⁰ in magnitude, sums of squares and products at most 10³⁰⁰: then
 * squares, products and sums of two of them stay finite, and each figure either is finite or
 * overflowed on its own (a null `out_of_range`). Real aggregates are far inside (revenue is capped
 * at 10¹² per event). Inputs outside answer every figure null with `out_of_range`, never a throw.
 */
export const MAX_COUNT = Number.MAX_SAFE_INTEGER;
export const MAX_SUM = 1e150;
export const MAX_SUM_OF_PRODUCTS = 1e300;

export function proportionInRange(s: ProportionSample): boolean {
  return s.n <= MAX_COUNT;
}

export function meanInRange(s: MeanSample): boolean {
  return s.n <= MAX_COUNT && Math.abs(s.sum) <= MAX_SUM && s.sumSquares <= MAX_SUM_OF_PRODUCTS;
}

export function cupedInRange(s: CupedSample): boolean {
  return (
    s.n <= MAX_COUNT &&
    Math.abs(s.sumY) <= MAX_SUM &&
    Math.abs(s.sumX) <= MAX_SUM &&
    s.sumYSquares <= MAX_SUM_OF_PRODUCTS &&
    s.sumXSquares <= MAX_SUM_OF_PRODUCTS &&
    Math.abs(s.sumXY) <= MAX_SUM_OF_PRODUCTS
  );
}

/** α = 1 − confidence, after checking the level is a usable probability. */
export function alphaOf(options: ConfidenceOptions | undefined): number {
  const confidence = options?.confidence ?? DEFAULT_CONFIDENCE;
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  return 1 - confidence;
}
