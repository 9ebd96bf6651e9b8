import { describe, expect, it } from 'vitest';
import { logBeta } from './beta.ts';
import { probabilityBetaGreater, probabilityToBeatMean, probabilityToBeatRate } from './bayes.ts';
import type { MeanSample, ProportionSample } from './inputs.ts';
import { expectClose, expectFigure, reference, type ExpectedFigure } from './test-support.ts';

/** Probabilities to beat are pinned to SciPy's numerical integral within 1e-7. */
const INTEGRAL = { abs: 1e-7 };

describe('probability to beat for rates against SciPy quad', () => {
  it.each(reference.bayesRates as { name: string; reference: ProportionSample; variation: ProportionSample; expected: ExpectedFigure }[])(
    '$name',
    (c) => {
      expectFigure(probabilityToBeatRate(c.reference, c.variation), c.expected, INTEGRAL);
    },
  );
});

describe('probability to beat for means against SciPy norm', () => {
  it.each(reference.bayesMeans as { name: string; reference: MeanSample; variation: MeanSample; expected: ExpectedFigure }[])(
    '$name',
    (c) => {
      expectFigure(probabilityToBeatMean(c.reference, c.variation), c.expected);
    },
  );
});

describe('the exact Beta sum', () => {
  /** Every term of Evan Miller's sum, no mode walk and no truncation. */
  function fullSum(a1: number, b1: number, a2: number, b2: number): number {
    let total = 0;
    for (let i = 0; i < a2; i++) {
      total += Math.exp(logBeta(a1 + i, b1 + b2) - Math.log(b2 + i) - logBeta(1 + i, b2) - logBeta(a1, b1));
    }
    return total;
  }

  it('walking out from the mode gives the full sum', () => {
    for (const [a1, b1, a2, b2] of [
      [1, 1, 1, 1],
      [3, 5, 7, 2],
      [101, 900, 131, 870],
      [2, 3000, 40, 2960],
      [500, 20, 450, 70],
    ] as const) {
      expectClose(probabilityBetaGreater(a1, b1, a2, b2), fullSum(a1, b1, a2, b2), { rel: 1e-12, abs: 1e-15 });
    }
  });

  it('is complementary: P(B > A) + P(A > B) = 1', () => {
    for (const [a1, b1, a2, b2] of [
      [11, 90, 14, 87],
      [1, 1_000_001, 3, 999_999],
      [50_001, 950_001, 50_501, 949_501],
    ] as const) {
      // ln B of arguments near 10⁶ carries ~10⁻¹¹ absolute error, hence not 1e-15.
      expectClose(probabilityBetaGreater(a1, b1, a2, b2) + probabilityBetaGreater(a2, b2, a1, b1), 1, { abs: 1e-10 });
    }
  });

  it('visits only the terms that matter, even with ten million units per variation', () => {
    // Summing all 5·10⁶ terms would take seconds per call; the walk from the mode takes milliseconds.
    const started = performance.now();
    for (let i = 0; i < 10; i++) {
      probabilityToBeatRate({ n: 10_000_000, conversions: 5_000_000 + i }, { n: 10_000_000, conversions: 5_001_000 });
    }
    expect(performance.now() - started).toBeLessThan(3000);
  });

  it('needs one integer shape parameter to sum over', () => {
    expect(() => probabilityBetaGreater(1.5, 2.5, 1.5, 0.5)).toThrow(RangeError);
  });
});

describe('undefined figures', () => {
  it('no units means no evidence, not the prior 50%', () => {
    expect(probabilityToBeatRate({ n: 0, conversions: 0 }, { n: 10, conversions: 1 })).toEqual({ value: null, reason: 'no_units' });
    expect(probabilityToBeatMean({ n: 0, sum: 0, sumSquares: 0 }, { n: 2, sum: 3, sumSquares: 5 })).toEqual({
      value: null,
      reason: 'no_units',
    });
  });

  it('means need two units and some variance', () => {
    expect(probabilityToBeatMean({ n: 1, sum: 3, sumSquares: 9 }, { n: 2, sum: 3, sumSquares: 5 })).toEqual({
      value: null,
      reason: 'too_few_units',
    });
    expect(probabilityToBeatMean({ n: 3, sum: 6, sumSquares: 12 }, { n: 2, sum: 6, sumSquares: 18 })).toEqual({
      value: null,
      reason: 'zero_variance',
    });
  });
});
