import { describe, expect, it } from 'vitest';
import { compareCuped, cupedTheta, type CupedComparison } from './cuped.ts';
import type { CupedSample } from './inputs.ts';
import { expectFigure, expectIntervalFigure, reference } from './test-support.ts';

interface Case {
  name: string;
  samples: CupedSample[];
  reference: number;
  variation: number;
  confidence: number;
  expected: Record<string, unknown>;
}

const FIGURES = [
  'theta',
  'referenceMean',
  'variationMean',
  'absoluteDifference',
  'relativeImprovement',
  'zScore',
  'pValue',
  'reliability',
  'varianceReduction',
] as const;
const INTERVALS = ['absoluteInterval', 'relativeInterval'] as const;

// The reference works on raw per-unit values with NumPy; the code on sums of them. Both are
// double precision with mild cancellation (covariances of values ~10²), so 1e-9 holds with margin.
describe('CUPED against NumPy/SciPy on the raw values', () => {
  it.each(reference.cuped as Case[])('$name at $confidence', (c) => {
    const result: CupedComparison = compareCuped(c.samples[c.reference]!, c.samples[c.variation]!, {
      all: c.samples,
      confidence: c.confidence,
    });
    for (const key of FIGURES) expectFigure(result[key], c.expected[key], undefined, key);
    for (const key of INTERVALS) expectIntervalFigure(result[key], c.expected[key], undefined, key);
  });
});

const sample = (pairs: [number, number][]): CupedSample => ({
  n: pairs.length,
  sumY: pairs.reduce((a, [y]) => a + y, 0),
  sumYSquares: pairs.reduce((a, [y]) => a + y * y, 0),
  sumX: pairs.reduce((a, [, x]) => a + x, 0),
  sumXSquares: pairs.reduce((a, [, x]) => a + x * x, 0),
  sumXY: pairs.reduce((a, [y, x]) => a + x * y, 0),
});

describe('CUPED rules', () => {
  it('θ ignores the variations: it is the same for the pooled units as for the split', () => {
    const a = sample([[1, 2], [3, 3], [2, 1]]);
    const b = sample([[5, 4], [4, 2], [7, 6]]);
    const pooled = sample([[1, 2], [3, 3], [2, 1], [5, 4], [4, 2], [7, 6]]);
    expect(cupedTheta([a, b]).theta.value).toBeCloseTo(cupedTheta([pooled]).theta.value!, 14);
  });

  it('a perfectly predictive covariate removes all variance', () => {
    const a = sample([[2, 1], [4, 2], [6, 3]]);
    const b = sample([[3, 1], [5, 2], [7, 3]]);
    const r = compareCuped(a, b, { all: [a, b] });
    expect(r.absoluteDifference.value).toBeCloseTo(1, 12);
    expect(r.pValue).toEqual({ value: null, reason: 'zero_variance' });
  });

  it('a constant covariate leaves θ undefined and the figures unadjusted', () => {
    const a = sample([[1, 0], [2, 0], [4, 0], [3, 0]]);
    const b = sample([[2, 0], [5, 0], [4, 0], [6, 0]]);
    const r = compareCuped(a, b, { all: [a, b] });
    expect(r.theta).toEqual({ value: null, reason: 'zero_covariate_variance' });
    expect(r.absoluteDifference.value).toBeCloseTo(1.75, 12);
    expect(r.varianceReduction.value).toBeCloseTo(0, 12);
  });

  it('needs two units per variation', () => {
    const a = sample([[1, 0]]);
    const b = sample([[2, 0], [5, 1]]);
    expect(compareCuped(a, b, { all: [a, b] }).pValue).toEqual({ value: null, reason: 'too_few_units' });
  });
});
