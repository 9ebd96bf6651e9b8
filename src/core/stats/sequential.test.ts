import { describe, expect, it } from 'vitest';
import type { MeanSample, ProportionSample } from './inputs.ts';
import {
  alwaysValidPValue,
  compareMeansSequential,
  compareProportionsSequential,
  confidenceSequence,
  sequentialHalfWidth,
  sequentialRho,
  type SequentialComparison,
} from './sequential.ts';
import { compareProportions } from './proportions.ts';
import { expectClose, expectFigure, expectIntervalFigure, reference } from './test-support.ts';

const FIGURES = ['absoluteDifference', 'absolutePValue', 'relativeImprovement', 'relativePValue'] as const;
const INTERVALS = ['absoluteInterval', 'relativeInterval'] as const;

function check(result: SequentialComparison, expected: Record<string, unknown>): void {
  for (const key of FIGURES) expectFigure(result[key], expected[key], undefined, key);
  for (const key of INTERVALS) expectIntervalFigure(result[key], expected[key], undefined, key);
}

describe('confidence sequences against the reference formulas', () => {
  it.each(reference.sequentialRho as { alpha: number; tuning: number; rho: number }[])('ρ for α=$alpha, N*=$tuning', (c) => {
    expectClose(sequentialRho(c.alpha, c.tuning), c.rho);
  });

  it.each(
    reference.sequentialRates as { name: string; reference: ProportionSample; variation: ProportionSample; confidence: number; expected: Record<string, unknown> }[],
  )('rates: $name at $confidence', (c) => {
    check(compareProportionsSequential(c.reference, c.variation, { confidence: c.confidence }), c.expected);
  });

  it.each(
    reference.sequentialMeans as { name: string; reference: MeanSample; variation: MeanSample; confidence: number; expected: Record<string, unknown> }[],
  )('means: $name at $confidence', (c) => {
    check(compareMeansSequential(c.reference, c.variation, { confidence: c.confidence }), c.expected);
  });
});

describe('properties of the sequence', () => {
  it('the p-value is the α (with ρ fixed) at which the sequence just reaches 0', () => {
    const rho = sequentialRho(0.05);
    const [estimate, se, n] = [0.02, 0.004, 20_000];
    const p = alwaysValidPValue(estimate, se, n, rho);
    expect(p).toBeLessThan(0.05);
    expectClose(sequentialHalfWidth(se, n, p, rho), estimate, { rel: 1e-12 });
  });

  it('is wider than the fixed-horizon interval, which is the price of peeking', () => {
    const ref = { n: 10_000, conversions: 1_000 };
    const variation = { n: 10_000, conversions: 1_100 };
    const fixed = compareProportions(ref, variation).absoluteInterval.value!;
    const sequential = compareProportionsSequential(ref, variation).absoluteInterval.value!;
    expect(sequential.upper - sequential.lower).toBeGreaterThan(fixed.upper - fixed.lower);
  });

  it('is tightest, relative to the fixed-horizon width, near N = N*', () => {
    const ratio = (n: number): number => sequentialHalfWidth(1 / Math.sqrt(n), n, 0.05, sequentialRho(0.05)) * Math.sqrt(n);
    expect(ratio(5_000)).toBeLessThan(ratio(500));
    expect(ratio(5_000)).toBeLessThan(ratio(500_000));
  });

  it('a larger tuning parameter moves the tight spot later', () => {
    const late = confidenceSequence(0.01, 0.01, 50_000, { tuning: 50_000 }).interval.value!;
    const early = confidenceSequence(0.01, 0.01, 50_000, { tuning: 500 }).interval.value!;
    expect(late.upper - late.lower).toBeLessThan(early.upper - early.lower);
  });
});

describe('undefined figures', () => {
  it('zero variance gives no sequence', () => {
    const r = compareProportionsSequential({ n: 500, conversions: 0 }, { n: 500, conversions: 0 });
    expect(r.absoluteDifference).toEqual({ value: 0 });
    expect(r.absoluteInterval).toEqual({ value: null, reason: 'zero_variance' });
    expect(r.absolutePValue).toEqual({ value: null, reason: 'zero_variance' });
    expect(r.relativePValue).toEqual({ value: null, reason: 'reference_rate_zero' });
  });

  it('too few units for a variance', () => {
    const r = compareMeansSequential({ n: 1, sum: 2, sumSquares: 4 }, { n: 3, sum: 6, sumSquares: 14 });
    expect(r.absolutePValue).toEqual({ value: null, reason: 'too_few_units' });
    expect(r.absoluteDifference).toEqual({ value: 0 });
  });

  it('no units', () => {
    expect(compareMeansSequential({ n: 0, sum: 0, sumSquares: 0 }, { n: 3, sum: 6, sumSquares: 14 }).absoluteInterval).toEqual({
      value: null,
      reason: 'no_units',
    });
  });

  it('rejects a non-positive tuning parameter', () => {
    expect(() => sequentialRho(0.05, 0)).toThrow(RangeError);
  });
});
