/**
 * ln B(a, b) and the regularized incomplete beta function I_x(a, b), the base of Student's t
 * distribution and of the Beta posteriors.
 */
import { logGamma, scaledUpperGamma, stirlingCorrection } from './gamma.ts';

const LN_SQRT_2PI = 0.9189385332046727;
/** Converged when a step changes the result by at most one ulp (a stricter bound may never hold). */
const EPSILON = Number.EPSILON;
const TINY = 1e-300;
const MAX_ITERATIONS = 10_000_000;
const STIRLING_FROM = 10;

/**
 * ln B(a, b) = lnΓ(a) + lnΓ(b) − lnΓ(a + b), arranged so large arguments do not cancel.
 * With counts of 10⁷ each lnΓ is about 1.5·10⁸, so the naive difference would keep only ~8
 * significant digits. Writing lnΓ(x) = (x − ½)ln x − x + ½ln 2π + δ(x) (Stirling with remainder δ)
 * turns the big terms into (a − ½)·ln(a/(a+b)), which log1p computes to full precision.
 */
export function logBeta(a: number, b: number): number {
  if (!(a > 0 && b > 0) || !Number.isFinite(a) || !Number.isFinite(b)) {
    throw new RangeError(`logBeta needs finite a, b > 0, got ${a}, ${b}`);
  }
  const big = Math.max(a, b);
  const small = Math.min(a, b);
  const sum = a + b;
  if (big < STIRLING_FROM) return logGamma(a) + logGamma(b) - logGamma(sum);
  const logBigShare = Math.log1p(-small / sum); // ln(big / (a + b))
  if (small < STIRLING_FROM) {
    // lnΓ(big) − lnΓ(big + small), then the small argument's own lnΓ.
    const ratio = (big - 0.5) * logBigShare - small * Math.log(sum) + small + stirlingCorrection(big) - stirlingCorrection(sum);
    return logGamma(small) + ratio;
  }
  const logSmallShare = Math.log(small / sum);
  return (
    LN_SQRT_2PI -
    0.5 * Math.log(sum) +
    (big - 0.5) * logBigShare +
    (small - 0.5) * logSmallShare +
    stirlingCorrection(big) +
    stirlingCorrection(small) -
    stirlingCorrection(sum)
  );
}

/**
 * Continued fraction for I_x(a, b) (Numerical Recipes `betacf`, modified Lentz method). It
 * converges for x < (a + 1)/(a + b + 2), in at worst O(√max(a, b)) steps.
 */
function betaContinuedFraction(x: number, a: number, b: number): number {
  const qab = a + b;
  const qap = a + 1;
  const qam = a - 1;
  let c = 1;
  let d = 1 - (qab * x) / qap;
  if (Math.abs(d) < TINY) d = TINY;
  d = 1 / d;
  let h = d;
  for (let m = 1; m <= MAX_ITERATIONS; m++) {
    const m2 = 2 * m;
    let aa = (m * (b - m) * x) / ((qam + m2) * (a + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    h *= d * c;
    aa = (-(a + m) * (qab + m) * x) / ((a + m2) * (qap + m2));
    d = 1 + aa * d;
    if (Math.abs(d) < TINY) d = TINY;
    c = 1 + aa / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPSILON) return h;
  }
  // A guard, not a branch taken: on the side where it is evaluated the fraction converges in
  // O(√max(a, b)) steps (extremes.test.ts drives it with ν up to 2⁵³). A statistic answers rather
  // than throws, so the estimate reached is returned.
  return h;
}

/** Below this `a` the continued fraction is well conditioned and the expansion not yet sharp. */
const EXPANSION_FROM_A = 20;
const EXPANSION_MAX_TERMS = 100;

/**
 * I_x(a, b) for large a, b ≤ 1 and x ≥ ½: the asymptotic expansion behind Didonato & Morris's
 * BGRAT (TOMS 708), derived here from first principles. It exists because Student's t with the
 * ν ≈ 2·10⁷ of a 10⁷-unit Welch test needs I_x(ν/2, ½) at x = 1 − O(1/ν), where the continued
 * fraction's recurrence cancels catastrophically (only ~9 digits survive).
 *
 * With w = −ln t, I_x(a, b) = (1/B(a, b)) ∫_u^∞ w^(b−1) e^(−Tw) h(w) dw, where u = −ln x,
 * T = a + (b − 1)/2 and h(w) = (sinh(w/2)/(w/2))^(b−1) = Σ dₙ w^(2n) is even and analytic for
 * |w| < 2π. Integrating term by term gives incomplete gamma functions:
 *   I_x(a, b) = u^b·e^(−Tu)/B(a, b) · Σₙ dₙ·P₂ₙ,  P_k = Γ(b + k, Tu)·e^(Tu)·(Tu)^(−b) / T^k,
 * with the stable upward recurrence P_(k+1) = ((b + k)·P_k + u^k)/T. Terms shrink roughly like
 * (2n)!/(2πT)^(2n) + (u/2π)^(2n), so for a ≥ 20 and u ≤ ln 2 a dozen terms reach double precision.
 * The dₙ come from J. C. P. Miller's recurrence for a power of a power series.
 */
function largeAExpansion(y: number, a: number, b: number): number {
  const beta = b - 1;
  const big = a + beta / 2; // T
  const u = -Math.log1p(-y);
  const z = big * u;
  const logFront = b * Math.log(u) - z - logBeta(a, b);
  // c_k: coefficients of sinh(w/2)/(w/2) in powers of v = w².
  const c: number[] = [1];
  const d: number[] = [1];
  let p = scaledUpperGamma(b, z); // P₀
  let uPower = 1; // u^k
  let sum = p;
  for (let n = 1; n <= EXPANSION_MAX_TERMS; n++) {
    c.push((c[n - 1] as number) / (4 * (2 * n) * (2 * n + 1)));
    let acc = 0;
    for (let k = 1; k <= n; k++) acc += ((beta + 1) * k - n) * (c[k] as number) * (d[n - k] as number);
    d.push(acc / n);
    for (let step = 0; step < 2; step++) {
      const k = 2 * n - 2 + step;
      p = ((b + k) * p + uPower) / big;
      uPower *= u;
    }
    const term = (d[n] as number) * p;
    sum += term;
    if (Math.abs(term) <= EPSILON * Math.abs(sum)) break;
  }
  // Terms shrink like (2n)!/(2πT)²ⁿ + (u/2π)²ⁿ, so for a ≥ 20, u ≤ ln 2 a dozen reach a double;
  // the bound of 100 is never reached, and the sum so far is the answer if it were.
  return Math.exp(logFront) * sum;
}

/**
 * I_x(a, b) given both x and y = 1 − x. Callers that know y more precisely than 1 − x (a t
 * statistic gives t²/(ν + t²) directly) pass it, because near x = 1 the subtraction would lose the
 * very digits a small p-value consists of.
 */
export function regularizedBetaWithComplement(x: number, y: number, a: number, b: number): number {
  if (!(a > 0 && b > 0)) throw new RangeError(`incomplete beta needs a, b > 0, got ${a}, ${b}`);
  if (!(x >= 0 && x <= 1 && y >= 0 && y <= 1)) throw new RangeError(`incomplete beta needs x, y in [0, 1], got ${x}, ${y}`);
  if (x === 0) return 0;
  if (y === 0) return 1;
  if (a >= EXPANSION_FROM_A && b <= 1 && y <= 0.5) return largeAExpansion(y, a, b);
  const logX = y < 0.5 ? Math.log1p(-y) : Math.log(x);
  const logY = x < 0.5 ? Math.log1p(-x) : Math.log(y);
  const front = Math.exp(a * logX + b * logY - logBeta(a, b));
  // Evaluate the fraction on the side where it converges; the other side follows by symmetry
  // I_x(a, b) = 1 − I_y(b, a).
  if (x < (a + 1) / (a + b + 2)) return (front * betaContinuedFraction(x, a, b)) / a;
  return 1 - (front * betaContinuedFraction(y, b, a)) / b;
}

/** Regularized incomplete beta I_x(a, b) = B(x; a, b) / B(a, b). */
export function regularizedBeta(x: number, a: number, b: number): number {
  return regularizedBetaWithComplement(x, 1 - x, a, b);
}
