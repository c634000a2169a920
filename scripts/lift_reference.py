#!/usr/bin/python3
"""Reference lift statistics for algorithms/lift.go, from statsmodels and scipy (Debian's python3-statsmodels,
python3-scipy), on generated data with a known effect. Writes algorithms/testdata/golden/lift.json, which
algorithms' Go test compares with to 1e-9. Run: /usr/bin/python3 scripts/lift_reference.py

What comes from the libraries, independent of the Go code: the two-proportion z test
(statsmodels proportions_ztest, pooled), Newcombe's interval of a difference of rates
(statsmodels confint_proportions_2indep, method newcomb), Welch's t test (scipy ttest_ind, equal_var=False)
and its interval (statsmodels CompareMeans.tconfint_diff, usevar unequal), the quantiles (scipy norm/t).
The delta-method interval of the relative lift and the minimum detectable effect are closed forms no
library computes as such; they are written out here from their textbook formulas.
"""
import json
import sys

import mpmath
import numpy as np
from scipy import stats
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest
from statsmodels.stats.weightstats import CompareMeans, DescrStatsW

Z = stats.norm.ppf(0.975)
mpmath.mp.dps = 40


def t_quantile(p, nu):
    """Student's t quantile to 40 digits (mpmath). scipy 1.10's t.ppf (cdflib's stdtrit), which
    statsmodels' tconfint_diff calls, is off by up to about 1e-9 at tens of degrees of freedom: its
    interval is checked against this one to 1e-7 only, and this one goes in the golden file."""
    nu = mpmath.mpf(nu)
    sf = lambda q: 0.5 * mpmath.betainc(nu / 2, 0.5, 0, nu / (nu + q**2), regularized=True)
    return float(mpmath.findroot(lambda q: sf(q) - (1 - mpmath.mpf(p)), stats.t.ppf(p, float(nu))))
ZP = stats.norm.ppf(0.80)


def relative(mt, vt, nt, mc, vc, nc):
    if mc == 0:
        return None
    r = mt / mc
    v = vt / nt / mc**2 + mt**2 * vc / nc / mc**4
    h = Z * np.sqrt(v)
    return {"value": r - 1, "low": r - 1 - h, "high": r - 1 + h}


def mde(vc, nt, nc, mc):
    m = (Z + ZP) * np.sqrt(vc * (1 / nt + 1 / nc))
    return m, (m / abs(mc) if mc != 0 else 0.0)


def rate_case(name, rng, nt, nc, pt, pc):
    xt = int(rng.binomial(nt, pt))
    xc = int(rng.binomial(nc, pc))
    ptr, pcr = xt / nt, xc / nc
    z, p = proportions_ztest([xt, xc], [nt, nc])
    lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff", alpha=0.05)
    m, mr = mde(pcr * (1 - pcr), nt, nc, pcr)
    return {
        "name": name, "kind": "rate", "true_relative_lift": (pt / pc - 1) if pc else None,
        "treatment": {"members": nt, "successes": xt}, "control": {"members": nc, "successes": xc},
        "want": {
            "absolute": {"value": ptr - pcr, "low": float(lo), "high": float(hi)},
            "relative": relative(ptr, ptr * (1 - ptr), nt, pcr, pcr * (1 - pcr), nc),
            "statistic": float(z), "df": 0.0, "p_value": float(p), "mde": float(m), "mde_relative": float(mr),
        },
    }


def revenue(rng, n, conv, mean_order):
    """Revenue per member: most spend nothing, converters spend a lognormal amount."""
    bought = rng.random(n) < conv
    sigma = 0.8
    mu = np.log(mean_order) - sigma**2 / 2
    return np.where(bought, rng.lognormal(mu, sigma, n), 0.0)


def mean_case(name, rng, nt, nc, conv, mean_c, lift, raw=False):
    t = revenue(rng, nt, conv, mean_c * (1 + lift))
    c = revenue(rng, nc, conv, mean_c)
    res = stats.ttest_ind(t, c, equal_var=False)
    sm_lo, sm_hi = CompareMeans(DescrStatsW(t), DescrStatsW(c)).tconfint_diff(alpha=0.05, usevar="unequal")
    mt, mc = float(np.mean(t)), float(np.mean(c))
    vt, vc = float(np.var(t, ddof=1)), float(np.var(c, ddof=1))
    welch_df = (vt / nt + vc / nc) ** 2 / ((vt / nt) ** 2 / (nt - 1) + (vc / nc) ** 2 / (nc - 1))
    h = t_quantile(0.975, welch_df) * np.sqrt(vt / nt + vc / nc)
    lo, hi = mt - mc - h, mt - mc + h
    assert abs(lo - sm_lo) < 1e-7 * max(1, abs(lo)) and abs(hi - sm_hi) < 1e-7 * max(1, abs(hi)), (lo, sm_lo)
    m, mr = mde(vc, nt, nc, mc)
    case = {
        "name": name, "kind": "mean", "true_relative_lift": lift,
        "want": {
            "absolute": {"value": mt - mc, "low": float(lo), "high": float(hi)},
            "relative": relative(mt, vt, nt, mc, vc, nc),
            "statistic": float(res.statistic), "df": float(welch_df), "p_value": float(res.pvalue),
            "mde": float(m), "mde_relative": float(mr),
        },
    }
    if raw:
        case["treatment_values"], case["control_values"] = t.tolist(), c.tolist()
    else:
        case["treatment"] = {"members": nt, "metric": mt, "variance": vt}
        case["control"] = {"members": nc, "metric": mc, "variance": vc}
    return case


def main():
    out = sys.argv[1] if len(sys.argv) > 1 else "algorithms/testdata/golden/lift.json"
    rng = np.random.default_rng(20261207)
    cases = [
        rate_case("rate_large_20pct", rng, 90000, 10000, 0.12, 0.10),
        rate_case("rate_holdout_5pct", rng, 19000, 1000, 0.055, 0.05),
        rate_case("rate_small", rng, 80, 20, 0.25, 0.15),
        rate_case("rate_no_effect", rng, 5000, 5000, 0.08, 0.08),
        rate_case("rate_control_none", rng, 200, 30, 0.02, 0.0),
        mean_case("revenue_large_15pct", rng, 40000, 4000, 0.2, 80.0, 0.15),
        mean_case("revenue_small", rng, 60, 25, 0.4, 50.0, 0.3),
        mean_case("revenue_raw_values", rng, 300, 120, 0.5, 40.0, 0.2, raw=True),
    ]
    with open(out, "w") as f:
        json.dump({"generator": "scripts/lift_reference.py", "seed": 20261207, "cases": cases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
