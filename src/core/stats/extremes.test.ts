import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { NULL_REASONS } from './figure.ts';
import { regularizedGammaP, regularizedGammaQ } from './gamma.ts';
import {
  compareCuped,
  compareMeans,
  compareMeansSequential,
  compareProportions,
  compareProportionsSequential,
  probabilityToBeatMean,
  probabilityToBeatRate,
  sampleRatioMismatch,
  welchSatterthwaite,
} from './index.ts';
import { expectClose } from './test-support.ts';

/**
 * Extreme but valid inputs: any counts up to 2⁵³, sums of any finite size, means down to the
 * smallest doubles, SRM weights down to 10⁻³⁰⁰. No statistic may throw, answer a non-finite
 * number or a null without a registered reason.
 */
function problemsOf(result: unknown, path: string, out: string[]): void {
  if (typeof result === 'number') {
    if (!Number.isFinite(result)) out.push(`${path} = ${result}`);
  } else if (Array.isArray(result)) {
    result.forEach((item, i) => problemsOf(item, `${path}[${i}]`, out));
  } else if (result !== null && typeof result === 'object') {
    const record = result as Record<string, unknown>;
    if ('value' in record && record.value === null && !((record.reason as string) in NULL_REASONS)) out.push(`${path}.reason = ${String(record.reason)}`);
    for (const [key, value] of Object.entries(record)) problemsOf(value, `${path}.${key}`, out);
  }
}

const count = fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 2 ** 53 - 1 }), fc.constantFrom(0, 1, 2, 1e9, 1e12, 2 ** 53 - 1, 2 ** 60));
const magnitude = fc.oneof(
  fc.double({ min: -1e12, max: 1e12, noNaN: true }),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
  fc.constantFrom(0, 5e-324, -5e-324, 1e-300, 1e-160, 1e150, 1e200, -1e200),
);
const proportion = fc.tuple(count, fc.double({ min: 0, max: 1, noNaN: true })).map(([n, f]) => ({ n, conversions: Math.floor(n * f) }));
const mean = fc.tuple(count, magnitude, magnitude).map(([n, centre, spread]) => {
  const sum = n * centre;
  const sumSquares = n * (centre * centre + spread * spread);
  return { n, sum: Number.isFinite(sum) ? sum : 0, sumSquares: Number.isFinite(sumSquares) ? sumSquares : Number.MAX_VALUE };
});
const cuped = fc.tuple(mean, mean, magnitude).map(([y, x, xy]) => ({
  n: y.n,
  sumY: y.sum,
  sumYSquares: y.sumSquares,
  sumX: x.sum,
  sumXSquares: x.sumSquares,
  // |ΣXY| ≤ √(ΣX²·ΣY²) for real data; clamp the generated one into that range.
  sumXY: Math.max(-1, Math.min(1, xy)) * Math.sqrt(x.sumSquares) * Math.sqrt(y.sumSquares),
}));
const confidence = fc.oneof(fc.constantFrom(0.5, 0.95, 0.999999), fc.double({ min: 0.5, max: 0.999999, noNaN: true }));
const weight = fc.oneof(fc.double({ min: 1e-300, max: 1e6, noNaN: true }), fc.constantFrom(1e-300, 1e-4, 1, 1e6));

describe('statistics on extreme valid inputs', () => {
  it('never throw, never answer a non-finite number or an unknown reason', () => {
    fc.assert(
      fc.property(proportion, proportion, mean, mean, cuped, cuped, confidence, fc.array(weight, { minLength: 2, maxLength: 5 }), (pr, pv, mr, mv, cr, cv, level, weights) => {
        const out: string[] = [];
        const options = { confidence: level };
        problemsOf(compareProportions(pr, pv, options), 'compareProportions', out);
        problemsOf(compareProportionsSequential(pr, pv, options), 'compareProportionsSequential', out);
        problemsOf(probabilityToBeatRate(pr, pv), 'probabilityToBeatRate', out);
        problemsOf(compareMeans(mr, mv, options), 'compareMeans', out);
        problemsOf(compareMeansSequential(mr, mv, options), 'compareMeansSequential', out);
        problemsOf(probabilityToBeatMean(mr, mv), 'probabilityToBeatMean', out);
        problemsOf(compareCuped(cr, cv, { ...options, all: [cr, cv] }), 'compareCuped', out);
        const observed = weights.map((_, i) => [pr.n, pv.n, pr.conversions, pv.conversions, 3][i]!);
        problemsOf(sampleRatioMismatch(observed, { weights }), 'sampleRatioMismatch', out);
        expect(out).toEqual([]);
      }),
      { numRuns: 3000, seed: 8 },
    );
  });

  it('answers SRM for a weight of 1e-300 (the continued fraction once threw "did not converge")', () => {
    for (const observed of [[2, 2], [0, 4], [3, 1], [1, 3]]) {
      const srm = sampleRatioMismatch(observed, { weights: [1, 1e-300] });
      expect(srm.pValue).toEqual({ value: 0 });
      expect(srm.mismatch).toBe(true);
    }
  });

  it('keeps Welch–Satterthwaite finite and in range for squared errors of any size', () => {
    for (const [a, b] of [[1e-320, 1e-320], [1e200, 1e200], [1e200, 1e-200], [5e-324, 0], [0, 1e300]] as const) {
      const df = welchSatterthwaite(a, 10, b, 20);
      expect(df).toBeGreaterThanOrEqual(9 - 1e-9);
      expect(df).toBeLessThanOrEqual(28 + 1e-9);
    }
  });

  it('incomplete gamma: P + Q = 1 and both in [0, 1] over its whole domain, Wilson–Hilferty beyond 10⁸', () => {
    const shapes = [1e-300, 1e-5, 0.5, 1, 2.5, 10, 1e3, 1e6, 1e8, 1.5e8, 1e10, 1e15, 1e300];
    for (const a of shapes) {
      for (const x of [0, 1e-300, 1e-10, 0.5, 1, 10, 1e3, 1e6, 1e10, 1e100, 4.9999999999999995e299, Number.MAX_VALUE, a, a * 0.999, a * 1.001, a + 1]) {
        const p = regularizedGammaP(a, x);
        const q = regularizedGammaQ(a, x);
        expect(p >= 0 && p <= 1 && q >= 0 && q <= 1, `a=${a}, x=${x}: P=${p}, Q=${q}`).toBe(true);
        expect(Math.abs(p + q - 1), `a=${a}, x=${x}`).toBeLessThan(1e-9);
      }
    }
    // SciPy gammaincc(1e9, 1e9 + 3e4) and gammaincc(2e8, 2e8 + 1e5).
    expectClose(regularizedGammaQ(1e9, 1e9 + 3e4), 0.17139058740184138, { abs: 1e-9 });
    expectClose(regularizedGammaQ(2e8, 2e8 + 1e5), 7.751531193109284e-13, { abs: 1e-9 });
  });

  it('probability to beat above 10⁷ of the summed shape: the normal approximation, within 10⁻⁹', () => {
    // 10⁹ units per side at 50%. SciPy quad of f_B·F_A gives 0.8413482112192838; the exact sum,
    // 27 ms here, gave 0.8413482591 (the rounding of ln B at that size), the approximation 6·10⁻¹¹ off.
    const n = 1e9;
    const c = n / 2;
    const d = Math.round(Math.sqrt(c));
    const p = probabilityToBeatRate({ n, conversions: c }, { n, conversions: c + d });
    expectClose(p.value as number, 0.8413482112192838, { abs: 1e-9 });
  });
});
