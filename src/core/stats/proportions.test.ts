import { describe, expect, it } from 'vitest';
import { compareProportions, proportionInterval, type ProportionComparison } from './proportions.ts';
import { expectFigure, expectIntervalFigure, reference } from './test-support.ts';

interface Case {
  name: string;
  reference: { n: number; conversions: number };
  variation: { n: number; conversions: number };
  confidence: number;
  expected: Record<string, unknown>;
}

const FIGURES = ['referenceRate', 'variationRate', 'absoluteDifference', 'relativeImprovement', 'zScore', 'pValue', 'reliability'] as const;
const INTERVALS = ['absoluteInterval', 'relativeInterval'] as const;

describe('two-proportion z-test against SciPy', () => {
  it.each(reference.proportions as Case[])('$name at $confidence', (c) => {
    const result: ProportionComparison = compareProportions(c.reference, c.variation, { confidence: c.confidence });
    for (const key of FIGURES) expectFigure(result[key], c.expected[key], undefined, key);
    for (const key of INTERVALS) expectIntervalFigure(result[key], c.expected[key], undefined, key);
  });
});

describe('undefined figures', () => {
  it('a zero reference rate has no relative improvement, but the absolute figures stand', () => {
    const r = compareProportions({ n: 500, conversions: 0 }, { n: 500, conversions: 7 });
    expect(r.relativeImprovement).toEqual({ value: null, reason: 'reference_rate_zero' });
    expect(r.relativeInterval).toEqual({ value: null, reason: 'reference_rate_zero' });
    expect(r.absoluteDifference.value).toBeCloseTo(0.014, 15);
    expect(r.pValue.value).not.toBeNull();
  });

  it('no conversions anywhere: no variance, so no test, yet rates and difference are 0 for real', () => {
    const r = compareProportions({ n: 800, conversions: 0 }, { n: 900, conversions: 0 });
    expect(r.referenceRate).toEqual({ value: 0 });
    expect(r.absoluteDifference).toEqual({ value: 0 });
    for (const key of ['zScore', 'pValue', 'reliability', 'absoluteInterval'] as const) {
      expect(r[key]).toEqual({ value: null, reason: 'zero_variance' });
    }
  });

  it('a variation without units has no rate', () => {
    const r = compareProportions({ n: 100, conversions: 10 }, { n: 0, conversions: 0 });
    expect(r.referenceRate).toEqual({ value: 0.1 });
    expect(r.variationRate).toEqual({ value: null, reason: 'no_units' });
    expect(r.pValue).toEqual({ value: null, reason: 'no_units' });
  });

  it('rejects impossible counts and confidence levels as bugs', () => {
    expect(() => compareProportions({ n: 5, conversions: 6 }, { n: 5, conversions: 1 })).toThrow(RangeError);
    expect(() => compareProportions({ n: -1, conversions: 0 }, { n: 5, conversions: 1 })).toThrow(RangeError);
    expect(() => compareProportions({ n: 5.5, conversions: 0 }, { n: 5, conversions: 1 })).toThrow(RangeError);
    expect(() => compareProportions({ n: 5, conversions: 1 }, { n: 5, conversions: 1 }, { confidence: 1 })).toThrow(RangeError);
  });

  it('defaults to 95% confidence', () => {
    const a = compareProportions({ n: 1000, conversions: 100 }, { n: 1000, conversions: 130 });
    const b = compareProportions({ n: 1000, conversions: 100 }, { n: 1000, conversions: 130 }, { confidence: 0.95 });
    expect(a).toEqual(b);
  });
});

describe('interval of one rate', () => {
  it('is p ± z·√(p(1 − p)/n) with the normal quantile (scipy.stats.norm.ppf(0.975) = 1.959963984540054)', () => {
    const r = proportionInterval({ n: 1000, conversions: 100 });
    const half = 1.959963984540054 * Math.sqrt((0.1 * 0.9) / 1000);
    expect(r.value!.lower).toBeCloseTo(0.1 - half, 12);
    expect(r.value!.upper).toBeCloseTo(0.1 + half, 12);
    expect(proportionInterval({ n: 1000, conversions: 100 }, { confidence: 0.99 }).value!.upper).toBeCloseTo(0.1 + 2.5758293035489004 * Math.sqrt(0.09 / 1000), 12);
  });

  it('is undefined with no units or no variance', () => {
    expect(proportionInterval({ n: 0, conversions: 0 })).toEqual({ value: null, reason: 'no_units' });
    expect(proportionInterval({ n: 10, conversions: 0 })).toEqual({ value: null, reason: 'zero_variance' });
    expect(proportionInterval({ n: 10, conversions: 10 })).toEqual({ value: null, reason: 'zero_variance' });
  });
});
