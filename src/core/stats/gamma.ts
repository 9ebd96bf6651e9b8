/**
 * Log-gamma and the regularized incomplete gamma functions, the base of the normal and
 * chi-square distributions. Written here rather than imported: they are small, standard, and
 * their accuracy is pinned to SciPy by the tests.
 */

const LN_SQRT_2PI = 0.9189385332046727; // ½·ln(2π)
/**
 * Convergence: a step that changes the result by at most one unit in the last place. A stricter
 * bound can never be met where rounding makes the step alternate between 1 − ulp and 1 + ulp (the
 * continued fraction did so at x ≈ 5·10²⁹⁹ and threw instead of answering).
 */
const EPSILON = Number.EPSILON;
const TINY = 1e-300;
/**
 * The series and the fraction both need O(√a) steps at worst (x ≈ a), about 9·√a for the series;
 * 100 000 steps cover a ≤ A_SERIES_MAX with room to spare. Larger shapes (a chi-square with more
 * than 2·10⁸ degrees of freedom) take the Wilson–Hilferty approximation instead.
 */
const MAX_ITERATIONS = 100_000;
const A_SERIES_MAX = 1e8;
/** Below this, e^x is 0 in double precision: a Q(a, x) whose prefactor is smaller is exactly 0. */
const LOG_UNDERFLOW = -745.2;
/** Above this the Stirling series is exact to double precision with the eight terms below. */
const STIRLING_FROM = 10;

/**
 * δ(x) = lnΓ(x) − [(x − ½)·ln x − x + ½·ln 2π], the remainder of Stirling's formula, for x ≥ 10.
 * Keeping it apart lets lnB(a, b) cancel the huge (x − ½)·ln x parts analytically instead of
 * subtracting numbers of size 10⁸ for counts of 10⁷ (see logBeta).
 * Series: Σ B₂ₖ / (2k(2k−1)·x^(2k−1)); at x = 10 the first omitted term is below 2·10⁻¹⁸.
 */
export function stirlingCorrection(x: number): number {
  if (!(x >= STIRLING_FROM)) throw new RangeError(`stirlingCorrection needs x >= ${STIRLING_FROM}, got ${x}`);
  const r = 1 / x;
  const r2 = r * r;
  return (
    r *
    (1 / 12 +
      r2 *
        (-1 / 360 +
          r2 *
            (1 / 1260 +
              r2 * (-1 / 1680 + r2 * (1 / 1188 + r2 * (-691 / 360360 + r2 * (1 / 156 + r2 * (-3617 / 122400))))))))
  );
}

/** Stirling's formula without its remainder: (x − ½)·ln x − x + ½·ln 2π. */
export function stirlingBase(x: number): number {
  return (x - 0.5) * Math.log(x) - x + LN_SQRT_2PI;
}

/**
 * ln Γ(x) for x > 0. Stirling's series with its remainder above 10; below, the recurrence
 * Γ(x) = Γ(x + k) / (x(x+1)…(x+k−1)) lifts x above 10 first. No fitted coefficients
 * (Lanczos) are needed, so the accuracy argument is the series bound alone.
 */
export function logGamma(x: number): number {
  if (!(x > 0) || !Number.isFinite(x)) throw new RangeError(`logGamma needs a finite x > 0, got ${x}`);
  if (x >= STIRLING_FROM) return stirlingBase(x) + stirlingCorrection(x);
  let product = 1;
  let shifted = x;
  while (shifted < STIRLING_FROM) {
    product *= shifted;
    shifted += 1;
  }
  return stirlingBase(shifted) + stirlingCorrection(shifted) - Math.log(product);
}

/** ln(e^(−x)·x^a / Γ(a)), the common factor of both incomplete gamma expansions, kept in logs. */
function logGammaPrefactor(a: number, x: number): number {
  return -x + a * Math.log(x) - logGamma(a);
}

/**
 * P(a, x) by its power series; converges for x < a + 1 (Numerical Recipes `gser`). Terms are
 * positive and, past n ≈ x − a, shrink at least geometrically, so the loop always ends; the bound
 * on iterations is only reached outside the documented domain (a > A_SERIES_MAX).
 */
function lowerSeries(a: number, x: number): number {
  let term = 1 / a;
  let sum = term;
  let ap = a;
  for (let i = 0; i < MAX_ITERATIONS; i++) {
    ap += 1;
    term *= x / ap;
    sum += term;
    if (term <= sum * EPSILON) break;
  }
  return Math.exp(Math.log(sum) + logGammaPrefactor(a, x));
}

/**
 * Q(a, x) by Legendre's continued fraction, evaluated with the modified Lentz method
 * (Numerical Recipes `gcf`); converges quickly for x ≥ a + 1 and keeps full relative precision
 * in the far tail, which is where small p-values live. Returns Q(a, x) / (e^(−x)·x^a / Γ(a)), the
 * fraction alone, so callers can combine the prefactor in log space.
 */
function upperContinuedFractionScaled(a: number, x: number): number {
  let b = x + 1 - a;
  let c = 1 / TINY;
  let d = 1 / b;
  let h = d;
  for (let i = 1; i < MAX_ITERATIONS; i++) {
    const an = -i * (i - a);
    b += 2;
    d = an * d + b;
    if (Math.abs(d) < TINY) d = TINY;
    c = b + an / c;
    if (Math.abs(c) < TINY) c = TINY;
    d = 1 / d;
    const delta = d * c;
    h *= delta;
    if (Math.abs(delta - 1) <= EPSILON) return h;
  }
  // Within the domain the fraction has converged long before (O(√a) steps); h is then its value.
  return h;
}

function checkGammaArguments(a: number, x: number): void {
  if (!(a > 0) || !Number.isFinite(a)) throw new RangeError(`incomplete gamma needs a finite a > 0, got ${a}`);
  if (!(x >= 0)) throw new RangeError(`incomplete gamma needs x >= 0, got ${x}`);
}

/**
 * Q(a, x) from the continued fraction, for x ≥ a + 1. The fraction is at most 1 there, so when the
 * prefactor alone underflows the answer is 0 and the fraction is not evaluated at all.
 */
function upperTail(a: number, x: number): number {
  const logPrefactor = logGammaPrefactor(a, x);
  if (logPrefactor < LOG_UNDERFLOW) return 0;
  return Math.exp(Math.log(upperContinuedFractionScaled(a, x)) + logPrefactor);
}

/**
 * Wilson–Hilferty: (x/a)^(1/3) is nearly normal with mean 1 − 1/(9a) and variance 1/(9a), with an
 * error of O(1/a), used only for a > A_SERIES_MAX. Answers P(a, x) or Q(a, x) as one tail of that
 * normal, so a tiny tail keeps its relative precision.
 */
function wilsonHilferty(a: number, x: number, upper: boolean): number {
  const z = (Math.cbrt(x / a) - (1 - 1 / (9 * a))) * Math.sqrt(9 * a);
  return normalTail(upper ? z : -z);
}

/** P(Z > z) for a standard normal Z, through erfc(|z|/√2) = Q(½, z²/2). */
function normalTail(z: number): number {
  const half = (z * z) / 2;
  const q = half < 1.5 ? 1 - lowerSeries(0.5, half) : upperTail(0.5, half);
  return z >= 0 ? 0.5 * q : 1 - 0.5 * q;
}

/**
 * Regularized lower incomplete gamma P(a, x) = γ(a, x) / Γ(a).
 * Domain: any finite a > 0 and any x ≥ 0 (Infinity included); never throws inside it. Exact to
 * ~10⁻¹⁴ relative for a ≤ 10⁸ (series or continued fraction), Wilson–Hilferty above.
 */
export function regularizedGammaP(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 0;
  if (x === Infinity) return 1;
  if (a > A_SERIES_MAX) return wilsonHilferty(a, x, false);
  return x < a + 1 ? lowerSeries(a, x) : 1 - upperTail(a, x);
}

/**
 * Regularized upper incomplete gamma Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x), accurate when tiny.
 * Same domain and guarantees as regularizedGammaP; a Q below the smallest double is 0.
 */
export function regularizedGammaQ(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (x === 0) return 1;
  if (x === Infinity) return 0;
  if (a > A_SERIES_MAX) return wilsonHilferty(a, x, true);
  return x < a + 1 ? 1 - lowerSeries(a, x) : upperTail(a, x);
}

/**
 * Γ(a, x)·eˣ·x^(−a): the upper incomplete gamma with its exponential factor removed, which is
 * what an expansion needs when eˣ itself would under- or overflow (see the large-a incomplete beta).
 */
export function scaledUpperGamma(a: number, x: number): number {
  checkGammaArguments(a, x);
  if (!(x > 0) || x === Infinity) throw new RangeError(`scaledUpperGamma needs a finite x > 0, got ${x}`);
  if (x >= a + 1) return upperContinuedFractionScaled(a, x);
  return Math.exp(logGamma(a) + x - a * Math.log(x)) * (1 - lowerSeries(a, x));
}
