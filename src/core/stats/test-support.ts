/**
 * Shared by the statistics tests: the SciPy reference values (scripts/stats-reference.py) and
 * comparisons that understand null figures.
 */
import { expect } from 'vitest';
import type { Figure, Interval } from './figure.ts';
import data from './reference-values.json' with { type: 'json' };

/** A reference figure: a number, or `{ null: reason }` when the figure is undefined. */
export type ExpectedFigure = number | { readonly null: string };
export type ExpectedInterval = readonly [number, number] | { readonly null: string };

export interface Tolerance {
  /** Relative tolerance. */
  readonly rel?: number;
  /** Absolute floor, for values at or near 0 where a relative bound means nothing. */
  readonly abs?: number;
}

/** The closed-form default: 1e-9 relative. */
export const CLOSED_FORM: Tolerance = { rel: 1e-9, abs: 1e-14 };

/** Each test states the shape of the family it reads; the comparisons below check it at run time. */
export const reference = data as unknown as Record<string, unknown[]>;

export function expectClose(actual: number, expected: number, tolerance: Tolerance = CLOSED_FORM, label = ''): void {
  const bound = Math.max(tolerance.abs ?? 0, (tolerance.rel ?? 0) * Math.abs(expected));
  const error = Math.abs(actual - expected);
  expect(Number.isFinite(actual), `${label}: ${actual} is not finite`).toBe(true);
  expect(error <= bound, `${label}: got ${actual}, expected ${expected} (error ${error.toExponential(2)} > ${bound.toExponential(2)})`).toBe(true);
}

function isNullExpectation(expected: unknown): expected is { readonly null: string } {
  return typeof expected === 'object' && expected !== null && typeof (expected as { null?: unknown }).null === 'string';
}

export function expectFigure(actual: Figure, expected: unknown, tolerance: Tolerance = CLOSED_FORM, label = ''): void {
  if (typeof expected === 'number') {
    expect(actual.value, `${label}: expected ${expected}, got null (${'reason' in actual ? actual.reason : ''})`).not.toBeNull();
    expectClose(actual.value as number, expected, tolerance, label);
  } else if (isNullExpectation(expected)) {
    expect(actual, label).toEqual({ value: null, reason: expected.null });
  } else {
    throw new Error(`${label}: malformed reference value ${JSON.stringify(expected)}`);
  }
}

/**
 * Interval bounds are compared relative to the interval's magnitude, since a bound near 0 is the
 * difference of two close numbers and has no relative precision of its own.
 */
export function expectIntervalFigure(
  actual: Figure<Interval>,
  expected: unknown,
  tolerance: Tolerance = CLOSED_FORM,
  label = '',
): void {
  if (isNullExpectation(expected)) {
    expect(actual, label).toEqual({ value: null, reason: expected.null });
    return;
  }
  if (!Array.isArray(expected) || expected.length !== 2) throw new Error(`${label}: malformed reference interval ${JSON.stringify(expected)}`);
  expect(actual.value, `${label}: expected an interval, got null (${'reason' in actual ? actual.reason : ''})`).not.toBeNull();
  const { lower, upper } = actual.value as Interval;
  const [el, eu] = expected as [number, number];
  const scale = Math.max(Math.abs(el), Math.abs(eu));
  const bound = Math.max(tolerance.abs ?? 0, (tolerance.rel ?? 0) * scale);
  expectClose(lower, el, { abs: bound }, `${label} lower`);
  expectClose(upper, eu, { abs: bound }, `${label} upper`);
}
