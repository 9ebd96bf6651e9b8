/**
 * Student's t distribution with real (Welch–Satterthwaite) degrees of freedom ν, through the
 * regularized incomplete beta: P(|T| > t) = I_{ν/(ν+t²)}(ν/2, ½).
 */
import { logBeta, regularizedBetaWithComplement } from './beta.ts';
import { normalQuantile, normalSurvival, normalTwoSidedPValue } from './normal.ts';

function checkDf(df: number): void {
  if (!(df > 0)) throw new RangeError(`degrees of freedom must be > 0, got ${df}`);
}

/**
 * P(|T| > |t|). Both ν/(ν+t²) and t²/(ν+t²) are formed from the ratio of the smaller to the larger
 * of ν and t², so neither is computed as 1 − (the other) and huge t cannot overflow.
 */
export function studentTTwoSidedPValue(t: number, df: number): number {
  checkDf(df);
  if (Number.isNaN(t)) throw new RangeError('studentTTwoSidedPValue of NaN');
  if (df === Infinity) return normalTwoSidedPValue(t);
  const t2 = t * t;
  if (t2 === 0) return 1;
  let x: number; // ν/(ν+t²)
  let y: number; // t²/(ν+t²)
  if (t2 >= df) {
    const r = df / t2;
    x = r / (1 + r);
    y = 1 / (1 + r);
  } else {
    const r = t2 / df;
    x = 1 / (1 + r);
    y = r / (1 + r);
  }
  return Math.min(1, regularizedBetaWithComplement(x, y, df / 2, 0.5));
}

/** Upper tail P(T > t). */
export function studentTSurvival(t: number, df: number): number {
  checkDf(df);
  if (df === Infinity) return normalSurvival(t);
  const half = studentTTwoSidedPValue(t, df) / 2;
  return t >= 0 ? half : 1 - half;
}

/** P(T ≤ t). */
export function studentTCdf(t: number, df: number): number {
  return studentTSurvival(-t, df);
}

export function studentTPdf(t: number, df: number): number {
  checkDf(df);
  // Through ln B(ν/2, ½) rather than Γ ratios, which overflow for large ν.
  return Math.exp(-0.5 * Math.log(df) - logBeta(df / 2, 0.5) - ((df + 1) / 2) * Math.log1p((t * t) / df));
}

/** P(|T| < |t|), computed directly (not as 1 − p-value) so it stays exact for small t. */
function studentTCentral(t: number, df: number): number {
  const t2 = t * t;
  const r = t2 / df;
  return regularizedBetaWithComplement(r / (1 + r), 1 / (1 + r), 0.5, df / 2);
}

/**
 * The quantile t with P(T ≤ t) = p, by Newton's method from the normal quantile (which is always
 * nearer 0 than the t quantile). In the tails it solves S(t) = q on the upper tail S, convex for
 * t ≥ 0; near the centre it solves P(|T| < t) = |2p − 1|, concave for t ≥ 0, because there the
 * tail is ½ minus a tiny amount and would cancel. Either way every Newton step stays on the near
 * side of the root, so the iteration converges monotonically for any ν > 0.
 */
export function studentTQuantile(p: number, df: number): number {
  checkDf(df);
  if (!(p > 0 && p < 1)) throw new RangeError(`studentTQuantile needs p in (0, 1), got ${p}`);
  if (df === Infinity) return normalQuantile(p);
  if (p === 0.5) return 0;
  const upper = p > 0.5;
  const q = upper ? 1 - p : p;
  let t: number;
  if (df === 1) {
    // Cauchy: closed form, where Newton would crawl through the heavy tail. cot(πq) near the
    // centre is written tan(π(½ − q)), whose argument (½ − q is exact there) keeps its precision.
    t = q <= 0.25 ? 1 / Math.tan(Math.PI * q) : Math.tan(Math.PI * (0.5 - q));
  } else {
    t = normalQuantile(1 - q);
    const central = q > 0.25;
    const target = central ? Math.abs(2 * p - 1) : q;
    for (let i = 0; i < 1000; i++) {
      const gap = central ? target - studentTCentral(t, df) : studentTSurvival(t, df) - q;
      const step = gap / (central ? 2 * studentTPdf(t, df) : studentTPdf(t, df));
      t += step;
      // Newton converges quadratically, so after a step of 10⁻¹³·t the error left is ~10⁻²⁶·t.
      // Waiting for smaller steps could loop forever on the cdf's own rounding noise.
      if (Math.abs(step) <= 1e-13 * Math.abs(t)) break;
    }
  }
  return upper ? t : -t;
}
