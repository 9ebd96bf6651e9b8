/**
 * The standard normal distribution: Φ, its upper tail and its quantile.
 */
import { regularizedGammaP, regularizedGammaQ } from './gamma.ts';

const SQRT_2PI = 2.5066282746310002;

/**
 * Upper tail 1 − Φ(x). Uses erfc(z) = Q(½, z²), so the far tail keeps full relative precision
 * (a p-value of 10⁻³⁰⁰ is still correct to ~14 digits) instead of being 1 − (something near 1).
 */
export function normalSurvival(x: number): number {
  if (Number.isNaN(x)) throw new RangeError('normalSurvival of NaN');
  if (x === Infinity) return 0;
  if (x === -Infinity) return 1;
  const half = (x * x) / 2;
  return x >= 0 ? 0.5 * regularizedGammaQ(0.5, half) : 0.5 + 0.5 * regularizedGammaP(0.5, half);
}

/** Φ(x) = P(Z ≤ x). */
export function normalCdf(x: number): number {
  return normalSurvival(-x);
}

export function normalPdf(x: number): number {
  return Math.exp(-(x * x) / 2) / SQRT_2PI;
}

/**
 * Two-sided p-value of a z statistic, 2·(1 − Φ(|z|)), computed as a single tail so it stays
 * exact when tiny.
 */
export function normalTwoSidedPValue(z: number): number {
  return Math.min(1, 2 * normalSurvival(Math.abs(z)));
}

// Acklam's rational approximation (relative error < 1.15·10⁻⁹), refined below by Halley steps.
const A = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
const B = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
const C = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
const D = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
const P_LOW = 0.02425;

function acklam(p: number): number {
  const [a0, a1, a2, a3, a4, a5] = A as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = B as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = C as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = D as [number, number, number, number];
  if (p < P_LOW) {
    const q = Math.sqrt(-2 * Math.log(p));
    return (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) / (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
}

/**
 * Φ⁻¹(p): Acklam's approximation polished by Halley's method against the exact Φ, which brings it
 * to double precision (each step roughly triples the correct digits). Works on the lower half and
 * reflects, since 1 − p is exact for p ≥ ½ but p itself may be tiny.
 */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normalQuantile needs p in (0, 1), got ${p}`);
  if (p > 0.5) return -normalQuantile(1 - p);
  if (p === 0.5) return 0;
  let x = acklam(p);
  for (let i = 0; i < 4; i++) {
    const density = normalPdf(x);
    // A subnormal density (p below ~10⁻³⁰⁵) would make the step noise; Acklam alone is then used.
    if (!(density > 1e-305)) break;
    const u = (normalSurvival(-x) - p) / density;
    const step = u / (1 + (x * u) / 2);
    x -= step;
    if (Math.abs(step) <= 1e-16 * Math.abs(x)) break;
  }
  return x;
}
