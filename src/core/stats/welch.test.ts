import { describe, expect, it } from 'vitest';
import type { MeanSample } from './inputs.ts';
import { compareMeans, type MeanComparison } from './welch.ts';
import { expectFigure, expectIntervalFigure, reference } from './test-support.ts';

interface Case {
  name: string;
  reference: MeanSample;
  variation: MeanSample;
  confidence: number;
  expected: Record<string, unknown>;
}

const FIGURES = [
  'referenceMean',
  'variationMean',
  'absoluteDifference',
  'relativeImprovement',
  'tStatistic',
  'degreesOfFreedom',
  'pValue',
  'reliability',
] as const;
const INTERVALS = ['absoluteInterval', 'relativeInterval'] as const;

const sums = (values: number[]): MeanSample => ({
  n: values.length,
  sum: values.reduce((a, b) => a + b, 0),
  sumSquares: values.reduce((a, b) => a + b * b, 0),
});

describe("Welch's t-test against SciPy", () => {
  it.each(reference.means as Case[])('$name at $confidence', (c) => {
    const result: MeanComparison = compareMeans(c.reference, c.variation, { confidence: c.confidence });
    for (const key of FIGURES) expectFigure(result[key], c.expected[key], undefined, key);
    for (const key of INTERVALS) expectIntervalFigure(result[key], c.expected[key], undefined, key);
  });
});

describe('undefined figures', () => {
  it('a single unit has a mean but no variance', () => {
    const r = compareMeans(sums([12]), sums([10, 14, 9]));
    expect(r.referenceMean).toEqual({ value: 12 });
    expect(r.absoluteDifference.value).toBeCloseTo(-1, 12);
    expect(r.pValue).toEqual({ value: null, reason: 'too_few_units' });
    expect(r.absoluteInterval).toEqual({ value: null, reason: 'too_few_units' });
  });

  it('constant metrics have zero variance even when their float sums leave rounding residue', () => {
    // 0.1 is inexact in binary, so Σy² − (Σy)²/n is a few ulps instead of 0.
    const r = compareMeans(sums(Array(1000).fill(0.1)), sums(Array(999).fill(0.3)));
    expect(r.tStatistic).toEqual({ value: null, reason: 'zero_variance' });
    expect(r.degreesOfFreedom).toEqual({ value: null, reason: 'zero_variance' });
    expect(r.relativeImprovement.value).toBeCloseTo(2, 9);
  });

  it('relative improvement over a zero or negative reference mean is not reported', () => {
    expect(compareMeans(sums([-1, 1, 0]), sums([2, 3, 1])).relativeImprovement).toEqual({ value: null, reason: 'reference_mean_zero' });
    const negative = compareMeans(sums([-10, -2, 0, -4]), sums([-1, 0, 3, -2]));
    expect(negative.relativeImprovement).toEqual({ value: null, reason: 'reference_mean_negative' });
    expect(negative.relativeInterval).toEqual({ value: null, reason: 'reference_mean_negative' });
    expect(negative.pValue.value).not.toBeNull();
  });

  it('a variation that is constantly 0 has a degenerate relative interval, reported as missing', () => {
    const r = compareMeans(sums([1, 2, 3]), sums([0, 0, 0]));
    expect(r.relativeImprovement).toEqual({ value: -1 });
    expect(r.relativeInterval).toEqual({ value: null, reason: 'zero_variance' });
    expect(r.absoluteInterval.value).not.toBeNull();
  });

  it('rejects non-finite sums as bugs', () => {
    expect(() => compareMeans({ n: 2, sum: Number.NaN, sumSquares: 1 }, sums([1, 2]))).toThrow(RangeError);
    expect(() => compareMeans({ n: 2, sum: 1, sumSquares: -1 }, sums([1, 2]))).toThrow(RangeError);
  });
});
