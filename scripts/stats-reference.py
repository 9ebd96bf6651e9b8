#!/usr/bin/env python3
"""Reference values for Anole's statistics library (src/core/stats), computed with SciPy.

Regenerate (Python 3 with SciPy; mpmath, if installed, adds exact cross-checks):

    python3 scripts/stats-reference.py

It writes src/core/stats/reference-values.json, which is committed: CI has no Python, and the
vitest suites in src/core/stats/*.test.ts pin the TypeScript results to these values (closed forms
to 1e-9 relative, probability to beat to 1e-7 absolute). Regenerating must not change any value
beyond the last digits; if it does, find out why before committing.

The values come from SciPy's own implementations (scipy.stats.norm, t, chi2, chisquare,
ttest_ind_from_stats, scipy.special, scipy.integrate.quad), not from a port of the TypeScript
code. Where a figure is a formula on top of a distribution (intervals, the sequential test, CUPED),
the formula is the one docs/statistics.md states, evaluated here in exact rational arithmetic or
from raw per-unit data, so the TypeScript path through sufficient statistics is tested against an
independent route. Null expectations (undefined figures) follow the rules in docs/statistics.md.
"""

import json
import math
import os
import sys
from fractions import Fraction

import numpy as np
import scipy
from scipy import integrate, optimize, special, stats

try:
    import mpmath
except ImportError:  # the cross-checks are optional; the values do not depend on them
    mpmath = None

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src", "core", "stats", "reference-values.json")
CONFIDENCES = [0.8, 0.9, 0.95, 0.99]
N_STAR = 5000
# Same rule as RELATIVE_VARIANCE_FLOOR in src/core/stats/moments.ts.
VARIANCE_FLOOR = 1e-12


def null(reason):
    return {"null": reason}


def interval(lower, upper):
    return [float(lower), float(upper)]


def alpha_of(confidence):
    # Same floating-point α as the TypeScript side: 1 − 0.95 is not exactly 0.05.
    return 1 - confidence


# ---------------------------------------------------------------------------------------------
# Special functions
# ---------------------------------------------------------------------------------------------


def special_functions():
    normal = [{"x": x, "cdf": float(stats.norm.cdf(x)), "sf": float(stats.norm.sf(x))}
              for x in [-30, -8, -3, -1.959963984540054, -1, -0.1, 0, 1e-8, 0.5, 1, 1.6448536269514722, 2.5, 5, 10, 20, 30]]
    normal_quantile = [{"p": p, "x": float(stats.norm.ppf(p))}
                       for p in [1e-300, 1e-100, 1e-20, 1e-10, 1e-5, 0.001, 0.0005, 0.01, 0.02425, 0.025, 0.1, 0.3,
                                 0.49, 0.5, 0.6, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.999999]]
    student = []
    for df in [1, 1.5, 2, 3, 4.7, 10, 19.99, 20, 30, 100, 1000, 1e5, 1e6, 2e7, 1e9]:
        for t in [0, 0.01, 0.7, 1.5, 1.96, 2.5, 4, 8, 20]:
            student.append({"t": t, "df": df,
                            "twoSided": float(2 * stats.t.sf(t, df)) if t > 0 else 1.0,
                            "cdf": float(stats.t.cdf(t, df)), "cdfNegative": float(stats.t.cdf(-t, df))})
    student_quantile = []
    for df in [1, 1.2, 2, 3, 7.5, 29.3, 100, 1e4, 2e7]:
        for p in [0.6, 0.75, 0.9, 0.95, 0.975, 0.995, 0.9995, 0.025, 0.1]:
            student_quantile.append({"p": p, "df": df, "t": float(stats.t.ppf(p, df))})
    chi = [{"x": x, "df": df, "sf": float(stats.chi2.sf(x, df))}
           for df in [1, 2, 3, 5, 20] for x in [0, 0.001, 0.5, 1, 3.84, 10, 30, 200]]
    gamma = [{"a": a, "x": x, "p": float(special.gammainc(a, x)), "q": float(special.gammaincc(a, x))}
             for a in [0.5, 1, 2.5, 10, 49.5] for x in [0.01, 0.5, 1, 3, 10, 50, 150]]
    log_gamma = [{"x": x, "value": float(special.gammaln(x))}
                 for x in [1e-8, 0.1, 0.5, 1, 1.5, 2, 2.5, 3.7, 9.99, 10, 10.01, 50.5, 1234.5, 1e7, 1e12]]
    beta = [{"x": x, "a": a, "b": b, "value": float(special.betainc(a, b, x))}
            for (x, a, b) in [(0.1, 0.5, 0.5), (0.9, 0.5, 0.5), (0.3, 2, 5), (0.7, 25, 0.7), (0.95, 25, 0.7),
                              (0.5, 30, 30), (0.45, 300, 400), (0.2, 1, 1), (0.999, 3, 0.2), (0.001, 0.2, 3),
                              (0.9999, 5e6, 0.5), (0.99999999, 1e7, 0.5), (0.5, 1e4, 1e4)]]
    log_beta = [{"a": a, "b": b, "value": float(special.betaln(a, b))}
                for (a, b) in [(0.5, 0.5), (1, 1), (2, 3), (9.5, 9.5), (10, 0.5), (1e7, 0.5), (0.5, 1e7), (5, 1e7),
                               (1e7, 3e6), (20, 30), (1e4, 1e4)]]
    return {
        "normal": normal,
        "normalQuantile": normal_quantile,
        "studentT": student,
        "studentTQuantile": student_quantile,
        "chiSquare": chi,
        "gamma": gamma,
        "logGamma": log_gamma,
        "beta": beta,
        "logBeta": log_beta,
    }


# ---------------------------------------------------------------------------------------------
# Conversion rates: z-test, Wald and delta-method intervals
# ---------------------------------------------------------------------------------------------


def proportions_case(name, ref, var, confidence):
    nr, cr = ref
    nv, cv = var
    out = {"name": name, "reference": {"n": nr, "conversions": cr}, "variation": {"n": nv, "conversions": cv},
           "confidence": confidence}
    if nr == 0 or nv == 0:
        e = {k: null("no_units") for k in ["absoluteDifference", "absoluteInterval", "relativeImprovement",
                                            "relativeInterval", "zScore", "pValue", "reliability"]}
        e["referenceRate"] = null("no_units") if nr == 0 else cr / nr
        e["variationRate"] = null("no_units") if nv == 0 else cv / nv
        out["expected"] = e
        return out
    alpha = alpha_of(confidence)
    z = stats.norm.ppf(1 - alpha / 2)
    pr, pv = cr / nr, cv / nv
    diff = pv - pr
    e = {"referenceRate": pr, "variationRate": pv, "absoluteDifference": diff}
    var_r, var_v = pr * (1 - pr) / nr, pv * (1 - pv) / nv
    se = math.sqrt(var_r + var_v)
    e["absoluteInterval"] = interval(diff - z * se, diff + z * se) if se > 0 else null("zero_variance")
    pooled = (cr + cv) / (nr + nv)
    se0 = math.sqrt(pooled * (1 - pooled) * (1 / nr + 1 / nv))
    if se0 > 0:
        zs = diff / se0
        p = float(2 * stats.norm.sf(abs(zs)))
        e.update(zScore=zs, pValue=p, reliability=1 - p)
        # Independent route: the z-test is the chi-square test of the 2×2 table without continuity
        # correction, so its p-value must agree.
        table = np.array([[cr, nr - cr], [cv, nv - cv]])
        if (table.sum(axis=0) > 0).all():
            chi2_p = stats.chi2_contingency(table, correction=False)[1]
            assert abs(chi2_p - p) <= 1e-9 * max(p, 1e-300) + 1e-15, (name, chi2_p, p)
    else:
        e.update(zScore=null("zero_variance"), pValue=null("zero_variance"), reliability=null("zero_variance"))
    if pr == 0:
        e["relativeImprovement"] = null("reference_rate_zero")
        e["relativeInterval"] = null("reference_rate_zero")
    else:
        rel = pv / pr - 1
        e["relativeImprovement"] = rel
        rel_se = math.sqrt(var_v / pr ** 2 + pv ** 2 * var_r / pr ** 4)
        e["relativeInterval"] = interval(rel - z * rel_se, rel + z * rel_se) if rel_se > 0 else null("zero_variance")
    out["expected"] = e
    return out


def proportions_cases():
    cases = []
    table = [
        ("typical", (10000, 1000), (10000, 1100)),
        ("unequal sizes", (5000, 240), (7500, 410)),
        ("variation worse", (20000, 3000), (19500, 2700)),
        ("equal variations", (1000, 100), (1000, 100)),
        ("tiny n=1", (1, 0), (1, 1)),
        ("tiny n=2", (2, 1), (2, 2)),
        ("tiny n=5", (5, 2), (5, 3)),
        ("zero conversions in reference", (500, 0), (500, 7)),
        ("zero conversions in variation", (500, 9), (500, 0)),
        ("zero conversions everywhere", (800, 0), (900, 0)),
        ("all converted everywhere", (40, 40), (60, 60)),
        ("all converted in reference", (50, 50), (50, 45)),
        ("huge samples", (10_000_000, 500_000), (10_000_000, 502_500)),
        ("huge, strong effect", (10_000_000, 1_000_000), (10_000_000, 1_050_000)),
        ("no units in variation", (100, 10), (0, 0)),
    ]
    for name, ref, var in table:
        for confidence in CONFIDENCES:
            cases.append(proportions_case(name, ref, var, confidence))
    return cases


# ---------------------------------------------------------------------------------------------
# Means: Welch's t-test from sufficient statistics
# ---------------------------------------------------------------------------------------------


def exact_moments(n, s, ss):
    """Mean and n−1 variance from float sums, in exact rational arithmetic (so the reference is
    the correctly rounded value of the formula, free of the cancellation the TypeScript side has
    to live with), with the documented rounding floor applied to the centred sum of squares."""
    n_, s_, ss_ = Fraction(n), Fraction(s), Fraction(ss)
    mean = s_ / n_
    if n < 2:
        return float(mean), None
    centred = ss_ - s_ * s_ / n_
    if centred <= Fraction(VARIANCE_FLOOR) * ss_:
        centred = Fraction(0)
    return float(mean), float(centred / (n_ - 1))


def sums_from_values(values):
    return {"n": len(values), "sum": math.fsum(values), "sumSquares": math.fsum(v * v for v in values)}


def sums_from_moments(n, mean, sd):
    return {"n": n, "sum": n * mean, "sumSquares": (n - 1) * sd * sd + n * mean * mean}


def relative_base_problem(mean):
    if mean == 0:
        return "reference_mean_zero"
    if mean < 0:
        return "reference_mean_negative"
    return None


def means_case(name, ref, var, confidence, raw=None):
    out = {"name": name, "reference": ref, "variation": var, "confidence": confidence}
    keys = ["absoluteDifference", "absoluteInterval", "relativeImprovement", "relativeInterval", "tStatistic",
            "degreesOfFreedom", "pValue", "reliability"]
    if ref["n"] == 0 or var["n"] == 0:
        e = {k: null("no_units") for k in keys}
        e["referenceMean"] = null("no_units") if ref["n"] == 0 else ref["sum"] / ref["n"]
        e["variationMean"] = null("no_units") if var["n"] == 0 else var["sum"] / var["n"]
        out["expected"] = e
        return out
    mr, vr = exact_moments(ref["n"], ref["sum"], ref["sumSquares"])
    mv, vv = exact_moments(var["n"], var["sum"], var["sumSquares"])
    diff = float(Fraction(mv) - Fraction(mr))
    problem = relative_base_problem(mr)
    rel = null(problem) if problem else diff / mr
    e = {"referenceMean": mr, "variationMean": mv}
    if vr is None or vv is None or vr / ref["n"] + vv / var["n"] == 0:
        reason = "too_few_units" if (vr is None or vv is None) else "zero_variance"
        e.update({k: null(reason) for k in keys})
        e["absoluteDifference"] = diff
        e["relativeImprovement"] = rel
        out["expected"] = e
        return out
    alpha = alpha_of(confidence)
    ser, sev = vr / ref["n"], vv / var["n"]
    se = math.sqrt(ser + sev)
    df = (ser + sev) ** 2 / (ser ** 2 / (ref["n"] - 1) + sev ** 2 / (var["n"] - 1))
    res = stats.ttest_ind_from_stats(mv, math.sqrt(vv), var["n"], mr, math.sqrt(vr), ref["n"], equal_var=False)
    t, p = float(res.statistic), float(res.pvalue)
    if raw is not None:
        # Independent route: SciPy's Welch test on the raw per-unit values.
        raw_res = stats.ttest_ind(raw[1], raw[0], equal_var=False)
        assert abs(raw_res.pvalue - p) <= 1e-9 * p, (name, raw_res.pvalue, p)
    q = stats.t.ppf(1 - alpha / 2, df)
    e.update(absoluteDifference=diff, absoluteInterval=interval(diff - q * se, diff + q * se), relativeImprovement=rel,
             tStatistic=t, degreesOfFreedom=df, pValue=p, reliability=1 - p)
    if problem:
        e["relativeInterval"] = null(problem)
    else:
        rel_se = math.sqrt(sev / mr ** 2 + mv ** 2 * ser / mr ** 4)
        e["relativeInterval"] = interval(rel - q * rel_se, rel + q * rel_se) if rel_se > 0 else null("zero_variance")
    out["expected"] = e
    return out


def means_cases():
    rng = np.random.default_rng(20240611)
    raw_table = [
        ("tiny n=2 each", [1.0, 3.0], [2.0, 7.5]),
        ("tiny n=5 each", [0.0, 0.0, 12.5, 3.0, 40.0], [5.0, 0.0, 22.0, 18.5, 60.0]),
        ("n=2 vs n=5", [10.0, 11.0], [9.0, 14.0, 12.0, 15.5, 13.0]),
        ("equal variations", [1.0, 2.0, 3.0, 4.0], [1.0, 2.0, 3.0, 4.0]),
        ("unequal variances", list(np.round(rng.normal(50, 5, 200), 2)), list(np.round(rng.normal(52, 40, 150), 2))),
        ("revenue-like, mostly zeros", list(np.round(rng.exponential(30, 1000) * (rng.random(1000) < 0.05), 2)),
         list(np.round(rng.exponential(33, 1200) * (rng.random(1200) < 0.055), 2))),
        ("one variation constant", [5.0, 5.0, 5.0, 5.0], [4.0, 6.0, 5.5, 7.0]),
        ("both constant", [3.3] * 6, [4.4] * 7),
        ("n=1 in reference", [12.0], [10.0, 14.0, 9.0]),
        ("reference mean zero", [-1.0, 1.0, 0.0], [2.0, 3.0, 1.0]),
        ("reference mean negative (refunds)", [-10.0, -2.0, 0.0, -4.0], [-1.0, 0.0, 3.0, -2.0]),
    ]
    moment_table = [
        ("huge samples", (10_000_000, 2.5, 18.0), (10_000_000, 2.52, 18.5)),
        ("huge, unequal sizes", (10_000_000, 100.0, 30.0), (2_000_000, 100.05, 45.0)),
        ("huge vs tiny", (10_000_000, 10.0, 3.0), (3, 12.0, 1.0)),
    ]
    cases = []
    for name, a, b in raw_table:
        a = [float(x) for x in a]
        b = [float(x) for x in b]
        for confidence in CONFIDENCES:
            raw = (a, b) if len(a) > 1 and len(b) > 1 and np.var(a) > 0 and np.var(b) > 0 else None
            cases.append(means_case(name, sums_from_values(a), sums_from_values(b), confidence, raw))
    for name, a, b in moment_table:
        for confidence in CONFIDENCES:
            cases.append(means_case(name, sums_from_moments(*a), sums_from_moments(*b), confidence))
    cases.append(means_case("no units in reference", {"n": 0, "sum": 0.0, "sumSquares": 0.0},
                            sums_from_values([1.0, 2.0]), 0.95))
    return cases


# ---------------------------------------------------------------------------------------------
# Bayesian probability to beat
# ---------------------------------------------------------------------------------------------


def beta_greater_quad(a1, b1, a2, b2):
    """P(X₂ > X₁) = ∫ f₂(x)·F₁(x) dx, integrated over where X₂'s density lives."""
    lo = stats.beta.ppf(1e-17, a2, b2) if a2 > 1 else 0.0
    hi = stats.beta.isf(1e-17, a2, b2) if b2 > 1 else 1.0
    if not (0 <= lo < hi <= 1):
        lo, hi = 0.0, 1.0
    m1, m2 = a1 / (a1 + b1), a2 / (a2 + b2)
    points = sorted({p for p in [m1, m2] if lo < p < hi})

    def integrand(x):
        return stats.beta.pdf(x, a2, b2) * stats.beta.cdf(x, a1, b1)

    value, err = integrate.quad(integrand, lo, hi, points=points or None, epsabs=1e-15, epsrel=1e-13, limit=2000)
    assert err < 1e-10, (a1, b1, a2, b2, err)
    return min(1.0, max(0.0, value))


def beta_greater_exact(a1, b1, a2, b2):
    """Evan Miller's finite sum in 40-digit arithmetic, as a cross-check of the integral."""
    mp = mpmath.mp
    mp.dps = 40
    total = mpmath.mpf(0)
    log_b11 = mpmath.log(mpmath.beta(a1, b1))
    for i in range(int(a2)):
        total += mpmath.exp(mpmath.log(mpmath.beta(a1 + i, b1 + b2)) - mpmath.log(b2 + i)
                            - mpmath.log(mpmath.beta(1 + i, b2)) - log_b11)
    return float(total)


def bayes_rate_cases():
    table = [
        ("typical", (10000, 1000), (10000, 1100)),
        ("variation worse", (2000, 300), (2100, 280)),
        ("equal variations", (1000, 100), (1000, 100)),
        ("tiny n=1", (1, 0), (1, 1)),
        ("tiny n=2", (2, 1), (2, 2)),
        ("tiny n=5", (5, 2), (5, 3)),
        ("zero conversions everywhere", (800, 0), (900, 0)),
        ("zero conversions in variation", (300, 4), (300, 0)),
        ("all converted", (40, 40), (60, 60)),
        ("large samples", (200_000, 10_000), (200_000, 10_300)),
        ("huge samples", (10_000_000, 500_000), (10_000_000, 501_000)),
        ("huge, rare conversions", (10_000_000, 50), (10_000_000, 70)),
        ("huge, near-certain", (10_000_000, 1_000_000), (10_000_000, 1_010_000)),
        ("no units in reference", (0, 0), (10, 1)),
    ]
    cases = []
    for name, (nr, cr), (nv, cv) in table:
        case = {"name": name, "reference": {"n": nr, "conversions": cr}, "variation": {"n": nv, "conversions": cv}}
        if nr == 0 or nv == 0:
            case["expected"] = null("no_units")
        else:
            a1, b1, a2, b2 = 1 + cr, 1 + nr - cr, 1 + cv, 1 + nv - cv
            value = beta_greater_quad(a1, b1, a2, b2)
            if mpmath is not None and min(a2, 20000) == a2:
                exact = beta_greater_exact(a1, b1, a2, b2)
                assert abs(exact - value) < 1e-9, (name, exact, value)
            case["expected"] = value
        cases.append(case)
    return cases


def bayes_mean_cases():
    table = [
        ("typical", sums_from_moments(5000, 20.0, 35.0), sums_from_moments(5100, 21.5, 37.0)),
        ("worse", sums_from_values([1.0, 2.0, 3.0, 4.0, 5.0]), sums_from_values([0.0, 1.0, 2.0, 2.0, 3.0])),
        ("equal", sums_from_values([1.0, 2.0]), sums_from_values([1.0, 2.0])),
        ("huge", sums_from_moments(10_000_000, 2.5, 18.0), sums_from_moments(10_000_000, 2.51, 18.0)),
        ("n=1", sums_from_values([3.0]), sums_from_values([1.0, 2.0])),
        ("both constant", sums_from_values([2.0, 2.0, 2.0]), sums_from_values([3.0, 3.0])),
        ("no units", {"n": 0, "sum": 0.0, "sumSquares": 0.0}, sums_from_values([1.0, 2.0])),
    ]
    cases = []
    for name, ref, var in table:
        case = {"name": name, "reference": ref, "variation": var}
        if ref["n"] == 0 or var["n"] == 0:
            case["expected"] = null("no_units")
        else:
            mr, vr = exact_moments(ref["n"], ref["sum"], ref["sumSquares"])
            mv, vv = exact_moments(var["n"], var["sum"], var["sumSquares"])
            if vr is None or vv is None:
                case["expected"] = null("too_few_units")
            elif vr / ref["n"] + vv / var["n"] == 0:
                case["expected"] = null("zero_variance")
            else:
                case["expected"] = float(stats.norm.cdf((mv - mr) / math.sqrt(vr / ref["n"] + vv / var["n"])))
        cases.append(case)
    return cases


# ---------------------------------------------------------------------------------------------
# Sequential: asymptotic confidence sequences
# ---------------------------------------------------------------------------------------------


def rho_of(alpha, tuning=N_STAR):
    return math.sqrt((-2 * math.log(alpha) + math.log(-2 * math.log(alpha) + 1)) / tuning)


def half_width(se, n, alpha, rho):
    s2 = se * se * n  # per-unit variance of the difference
    return math.sqrt(s2 * 2 * (n * rho * rho + 1) / (n * n * rho * rho) * math.log(math.sqrt(n * rho * rho + 1) / alpha))


def sequence(estimate, se, n, alpha):
    if not se > 0:
        return null("zero_variance"), null("zero_variance")
    rho = rho_of(alpha)
    w = half_width(se, n, alpha, rho)
    p = min(1.0, math.sqrt(n * rho * rho + 1) * math.exp(-rho * rho * n * estimate ** 2 / (2 * se * se * (n * rho * rho + 1))))
    # Independent route to the closed form: the smallest α (ρ held fixed) whose sequence excludes 0.
    if 1e-300 < p < 0.999:
        root = optimize.brentq(lambda a: half_width(se, n, a, rho) - abs(estimate), 1e-300, 1, xtol=1e-300, rtol=1e-14)
        assert abs(root - p) <= 1e-8 * p, (estimate, se, n, root, p)
    return interval(estimate - w, estimate + w), p


def sequential_from_moments(name, kind, ref_in, var_in, moments, confidence):
    (nr, mr, vmr), (nv, mv, vmv) = moments  # vm = variance of the mean estimate
    alpha = alpha_of(confidence)
    n = nr + nv
    diff = mv - mr
    e = {"absoluteDifference": diff}
    e["absoluteInterval"], e["absolutePValue"] = sequence(diff, math.sqrt(vmr + vmv), n, alpha)
    problem = relative_base_problem(mr)
    if problem and kind == "rates":
        problem = "reference_rate_zero"
    if problem:
        e.update(relativeImprovement=null(problem), relativeInterval=null(problem), relativePValue=null(problem))
    else:
        rel = diff / mr
        e["relativeImprovement"] = rel
        rel_se = math.sqrt(vmv / mr ** 2 + mv ** 2 * vmr / mr ** 4)
        e["relativeInterval"], e["relativePValue"] = sequence(rel, rel_se, n, alpha)
    return {"name": name, "reference": ref_in, "variation": var_in, "confidence": confidence, "expected": e}


def sequential_cases():
    rates = []
    for name, (nr, cr), (nv, cv) in [
        ("typical", (10000, 1000), (10000, 1100)),
        ("at the tuning size", (2500, 250), (2500, 300)),
        ("small", (40, 4), (40, 9)),
        ("equal variations", (1000, 100), (1000, 100)),
        ("huge samples", (10_000_000, 500_000), (10_000_000, 502_500)),
        ("zero conversions in reference", (500, 0), (500, 7)),
        ("zero conversions everywhere", (500, 0), (500, 0)),
    ]:
        for confidence in CONFIDENCES:
            pr, pv = cr / nr, cv / nv
            rates.append(sequential_from_moments(
                name, "rates", {"n": nr, "conversions": cr}, {"n": nv, "conversions": cv},
                ((nr, pr, pr * (1 - pr) / nr), (nv, pv, pv * (1 - pv) / nv)), confidence))
    means = []
    for name, ref, var in [
        ("typical", sums_from_moments(5000, 20.0, 35.0), sums_from_moments(5100, 21.5, 37.0)),
        ("tiny n=2", sums_from_values([1.0, 3.0]), sums_from_values([2.0, 7.5])),
        ("huge samples", sums_from_moments(10_000_000, 2.5, 18.0), sums_from_moments(10_000_000, 2.52, 18.5)),
        ("reference mean negative", sums_from_values([-10.0, -2.0, 0.0, -4.0]), sums_from_values([-1.0, 0.0, 3.0, -2.0])),
    ]:
        for confidence in CONFIDENCES:
            mr, vr = exact_moments(ref["n"], ref["sum"], ref["sumSquares"])
            mv, vv = exact_moments(var["n"], var["sum"], var["sumSquares"])
            means.append(sequential_from_moments(
                name, "means", ref, var, ((ref["n"], mr, vr / ref["n"]), (var["n"], mv, vv / var["n"])), confidence))
    rho = [{"alpha": alpha_of(c), "tuning": N_STAR, "rho": rho_of(alpha_of(c))} for c in CONFIDENCES] + [
        {"alpha": 0.05, "tuning": 1000, "rho": rho_of(0.05, 1000)}]
    return {"sequentialRates": rates, "sequentialMeans": means, "sequentialRho": rho}


# ---------------------------------------------------------------------------------------------
# CUPED
# ---------------------------------------------------------------------------------------------


def cuped_sums(y, x):
    return {"n": len(y), "sumY": math.fsum(y), "sumYSquares": math.fsum(v * v for v in y), "sumX": math.fsum(x),
            "sumXSquares": math.fsum(v * v for v in x), "sumXY": math.fsum(a * b for a, b in zip(y, x))}


def cuped_case(name, groups, confidence):
    """groups: list of (y, x) raw arrays, first is the reference, second the variation compared.
    The reference route works on the raw per-unit values with NumPy, not on the sums."""
    alpha = alpha_of(confidence)
    all_y = np.concatenate([np.asarray(g[0], dtype=float) for g in groups])
    all_x = np.concatenate([np.asarray(g[1], dtype=float) for g in groups])
    samples = [cuped_sums([float(v) for v in g[0]], [float(v) for v in g[1]]) for g in groups]
    case = {"name": name, "samples": samples, "reference": 0, "variation": 1, "confidence": confidence}
    var_x = np.var(all_x, ddof=1)
    if var_x <= VARIANCE_FLOOR * np.mean(all_x * all_x):
        theta, theta_out = 0.0, null("zero_covariate_variance")
    else:
        theta = float(np.cov(all_y, all_x, ddof=1)[0, 1] / var_x)
        theta_out = theta
    x_all = float(np.mean(all_x))
    adjusted = []
    for y, x in groups[:2]:
        y, x = np.asarray(y, dtype=float), np.asarray(x, dtype=float)
        mean = float(np.mean(y) - theta * (np.mean(x) - x_all))
        var = float(np.var(y - theta * x, ddof=1))
        adjusted.append((len(y), mean, var, float(np.var(y, ddof=1))))
    (nr, mr, vr, ur), (nv, mv, vv, uv) = adjusted
    diff = mv - mr
    se2 = vr / nr + vv / nv
    z = stats.norm.ppf(1 - alpha / 2)
    statistic = diff / math.sqrt(se2)
    p = float(2 * stats.norm.sf(abs(statistic)))
    rel = diff / mr
    rel_se = math.sqrt(vv / nv / mr ** 2 + mv ** 2 * (vr / nr) / mr ** 4)
    case["expected"] = {
        "theta": theta_out, "referenceMean": mr, "variationMean": mv, "absoluteDifference": diff,
        "absoluteInterval": interval(diff - z * math.sqrt(se2), diff + z * math.sqrt(se2)),
        "relativeImprovement": rel, "relativeInterval": interval(rel - z * rel_se, rel + z * rel_se),
        "zScore": statistic, "pValue": p, "reliability": 1 - p,
        "varianceReduction": 1 - se2 / (ur / nr + uv / nv),
    }
    return case


def cuped_cases():
    rng = np.random.default_rng(7)
    cases = []

    def revenue_groups(sizes, lifts):
        groups = []
        for n, lift in zip(sizes, lifts):
            x = np.round(rng.gamma(2.0, 10.0, n), 2)  # pre-exposure revenue
            y = np.round(0.6 * x + rng.normal(5.0 + lift, 6.0, n), 2)
            groups.append((list(y), list(x)))
        return groups

    def rate_groups(sizes, rates):
        groups = []
        for n, rate in zip(sizes, rates):
            x = (rng.random(n) < 0.3).astype(float)
            y = (rng.random(n) < rate + 0.2 * x).astype(float)
            groups.append((list(y), list(x)))
        return groups

    scenarios = [
        ("revenue, two variations", revenue_groups([400, 420], [0.0, 1.5])),
        ("revenue, three variations (θ pooled over all)", revenue_groups([300, 310, 290], [0.0, -0.5, 2.0])),
        ("conversion with 0/1 covariate", rate_groups([2000, 2000], [0.1, 0.12])),
        ("tiny n=5", revenue_groups([5, 5], [0.0, 3.0])),
        ("constant covariate", [([1.0, 2.0, 4.0, 3.0], [0.0] * 4), ([2.0, 5.0, 4.0, 6.0], [0.0] * 4)]),
    ]
    for name, groups in scenarios:
        for confidence in CONFIDENCES:
            cases.append(cuped_case(name, groups, confidence))
    return cases


# ---------------------------------------------------------------------------------------------
# SRM
# ---------------------------------------------------------------------------------------------


def srm_cases():
    table = [
        ("balanced", [5000, 5000], None),
        ("slight imbalance", [5050, 4950], None),
        ("clear mismatch", [5300, 4700], None),
        ("borderline", [10165, 9835], None),
        ("three variations, weighted", [5100, 2400, 2500], [50, 25, 25]),
        ("three variations, mismatch", [5000, 2000, 3000], [0.5, 0.25, 0.25]),
        ("tiny", [1, 0], None),
        ("huge balanced", [10_000_000, 10_001_000], None),
        ("huge mismatch", [10_000_000, 10_020_000], None),
        ("five variations", [1000, 1010, 990, 1005, 960], None),
    ]
    cases = []
    for name, observed, weights in table:
        w = weights or [1] * len(observed)
        total = sum(observed)
        expected = [total * wi / sum(w) for wi in w]
        res = stats.chisquare(observed, expected)
        p = float(res.pvalue)
        cases.append({"name": name, "observed": observed, "weights": weights, "expected": {
            "chiSquare": float(res.statistic), "degreesOfFreedom": len(observed) - 1, "pValue": p,
            "mismatch": bool(p < 0.001), "expectedCounts": expected}})
    cases.append({"name": "no units", "observed": [0, 0], "weights": None, "expected": {
        "chiSquare": null("no_units"), "degreesOfFreedom": 1, "pValue": null("no_units"), "mismatch": False,
        "expectedCounts": [0.0, 0.0]}})
    cases.append({"name": "single variation", "observed": [10], "weights": None, "expected": {
        "chiSquare": null("too_few_variations"), "degreesOfFreedom": 0, "pValue": null("too_few_variations"),
        "mismatch": False, "expectedCounts": [10.0]}})
    return cases


def main():
    data = {
        "generatedBy": "scripts/stats-reference.py",
        "versions": {"python": sys.version.split()[0], "scipy": scipy.__version__, "numpy": np.__version__,
                     "mpmath": mpmath.__version__ if mpmath else None},
        "nullEncoding": "a figure that is undefined is {\"null\": reason}; an interval is [lower, upper]",
        **special_functions(),
        "proportions": proportions_cases(),
        "means": means_cases(),
        "bayesRates": bayes_rate_cases(),
        "bayesMeans": bayes_mean_cases(),
        **sequential_cases(),
        "cuped": cuped_cases(),
        "srm": srm_cases(),
    }
    with open(OUT, "w") as f:
        json.dump(data, f, indent=1, allow_nan=False)
        f.write("\n")
    print(f"wrote {os.path.relpath(OUT)}")


if __name__ == "__main__":
    main()
