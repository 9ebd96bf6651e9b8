import { describe, expect, it } from 'vitest';
import { sampleRatioMismatch } from './srm.ts';
import { expectClose, expectFigure, reference, type ExpectedFigure } from './test-support.ts';

interface Case {
  name: string;
  observed: number[];
  weights: number[] | null;
  expected: { chiSquare: ExpectedFigure; degreesOfFreedom: number; pValue: ExpectedFigure; mismatch: boolean; expectedCounts: number[] };
}

describe('SRM against SciPy chisquare', () => {
  it.each(reference.srm as Case[])('$name', (c) => {
    const r = sampleRatioMismatch(c.observed, c.weights ? { weights: c.weights } : undefined);
    expectFigure(r.chiSquare, c.expected.chiSquare, undefined, 'chiSquare');
    expectFigure(r.pValue, c.expected.pValue, undefined, 'pValue');
    expect(r.degreesOfFreedom).toBe(c.expected.degreesOfFreedom);
    expect(r.mismatch).toBe(c.expected.mismatch);
    c.expected.expectedCounts.forEach((e, i) => expectClose(r.expected[i]!, e, undefined, `expected[${i}]`));
  });
});

describe('SRM rules', () => {
  it('flags only below the threshold', () => {
    const r = sampleRatioMismatch([5300, 4700]);
    expect(r.mismatch).toBe(true);
    expect(sampleRatioMismatch([5300, 4700], { threshold: 1e-12 }).mismatch).toBe(false);
  });

  it('weights are a split on any scale', () => {
    const a = sampleRatioMismatch([5100, 2400, 2500], { weights: [2, 1, 1] });
    const b = sampleRatioMismatch([5100, 2400, 2500], { weights: [0.5, 0.25, 0.25] });
    expect(a.pValue.value).toBeCloseTo(b.pValue.value!, 14);
  });

  it('rejects zero weights and mismatched lengths as bugs', () => {
    expect(() => sampleRatioMismatch([10, 0], { weights: [1, 0] })).toThrow(RangeError);
    expect(() => sampleRatioMismatch([10, 5], { weights: [1] })).toThrow(RangeError);
    expect(() => sampleRatioMismatch([10, -5])).toThrow(RangeError);
  });
});
