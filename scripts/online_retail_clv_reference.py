#!/usr/bin/python3
"""Independent reference for the Online Retail example's CLV segmentation (clv_tiers in
examples/pipelines/online_retail.yaml): the example's cleaning written in pandas (as
scripts/online_retail_reference.py does), the lifetimes-style summary, and BG/NBD and Gamma-Gamma fitted by
maximum likelihood with the numpy/scipy likelihoods of scripts/clv_reference.py (written from the papers;
lifetimes is not installed), on the real data read where it lies (never copied):

    /usr/bin/python3 scripts/online_retail_clv_reference.py ../shared/datasets/online_retail/online_retail.csv.gz \
        > examples/testdata/online_retail_clv_reference.json

The output holds the fitted parameters, their standard errors on the log scale (from the inverse of the
log-likelihood's numerical Hessian: the Go test's tolerance on each parameter is a fraction of it, because on
this data BG/NBD's a and b sit near a boundary where the likelihood is flat and only the log-likelihood is
sharply determined), the log-likelihoods, the holdout fit, and a few customers' summaries and predictions.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy.optimize import minimize

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import clv_reference as ref  # noqa: E402  (the papers' likelihoods and predictions)
import online_retail_cleaning as cleaning  # noqa: E402

AS_OF = pd.Timestamp("2011-12-10")
# The example's clv block: unit week, horizon 26, discount_rate 0.0015, holdout 13.
HORIZON, DISCOUNT, HOLDOUT = 26, 0.0015, 13
SAMPLE = [12346, 12347, 12748, 13047, 14646, 14911, 15311, 17841, 18102, 18287]


def sales(path):
    """The example's `sales` feature: clean product lines of known customers, cancelled sales removed."""
    return cleaning.uncancelled(cleaning.lines_before(cleaning.products(cleaning.read(path)), AS_OF))


def fit_bgnbd(x, tx, T):
    """BG/NBD by maximum likelihood from a grid of starts, keeping the best. On this data the likelihood has
    a long flat ridge toward a, b -> infinity (no dropout: the NBD) that the CDNOW script's two starts and
    forward-difference gradients stall on, 0.07 below the optimum; BFGS with central-difference gradients
    (relative step 1e-5, whose rounding error on a sum of 4,000 terms is ~1e-7) from starts with small a
    reaches it. Then Nelder-Mead polishes."""
    w = np.ones_like(x)
    f = lambda lt: -ref.bgnbd_ll(np.exp(lt), x, tx, T, w)
    best = None
    for la in (-6.0, -3.0, 0.0):
        for lb in (0.0, 2.0, 5.0):
            res = minimize(f, [0.0, np.log(T.mean()), la, lb], method="BFGS", jac="3-point",
                           options={"gtol": 1e-7, "maxiter": 10000, "finite_diff_rel_step": 1e-5})
            res = minimize(f, res.x, method="Nelder-Mead", options={"xatol": 1e-12, "fatol": 1e-12, "maxiter": 100000, "maxfev": 100000})
            if best is None or res.fun < best.fun:
                best = res
    return np.exp(best.x), -best.fun


def log_se(ll, theta, h=1e-4):
    """Standard errors of the log-parameters: the inverse of the negative log-likelihood's Hessian in
    log-parameters (central differences)."""
    lt = np.log(theta)
    n = len(lt)
    H = np.zeros((n, n))
    f = lambda v: -ll(np.exp(v))
    for i in range(n):
        for j in range(n):
            ei, ej = np.eye(n)[i] * h, np.eye(n)[j] * h
            H[i, j] = (f(lt + ei + ej) - f(lt + ei - ej) - f(lt - ei + ej) + f(lt - ei - ej)) / (4 * h * h)
    cov = np.linalg.pinv(H)
    return np.sqrt(np.abs(np.diag(cov)))


def main():
    s = sales(sys.argv[1])
    df = pd.DataFrame({"customer": s.customer_id.values, "date": s.InvoiceDate.dt.normalize().values, "amount": s.amount.values})
    cal = ref.summary(df, AS_OF)
    x, tx, T, m = cal.frequency.values, cal.recency.values, cal["T"].values, cal.monetary.values
    params, ll = fit_bgnbd(x, tx, T)
    rep = cal[(cal.frequency > 0) & (cal.monetary > 0)]
    gg, gll = ref.fit_gg(rep.frequency.values, rep.monetary.values)
    bg_se = log_se(lambda th: ref.bgnbd_ll(th, x, tx, T, np.ones_like(x)), params)
    gg_se = log_se(lambda th: ref.gg_ll(th, rep.frequency.values, rep.monetary.values), gg)
    ref.HORIZON, ref.DISCOUNT = HORIZON, DISCOUNT
    pred = ref.predict(params, gg, cal)

    # The holdout check: BG/NBD on the purchases before 13 weeks (91 days) before the as-of date.
    cal_end = AS_OF - pd.Timedelta(days=HOLDOUT * 7)
    hcal = ref.summary(df, cal_end)
    hparams, hll = fit_bgnbd(hcal.frequency.values, hcal.recency.values, hcal["T"].values)
    days = df.groupby(["customer", "date"], as_index=False).amount.sum()
    hold = days[(days.date >= cal_end) & (days.date < AS_OF)].groupby("customer").size()
    actual = hold.reindex(hcal.index, fill_value=0).values.astype(float)

    names = ("r", "alpha", "a", "b")
    out = {
        "source": "scripts/online_retail_clv_reference.py on online_retail.csv.gz (the example's cleaning, as of 2011-12-10, weeks)",
        "as_of": str(AS_OF.date()),
        "customers": int(len(cal)),
        "repeat_customers": int((cal.frequency > 0).sum()),
        "bgnbd": {**dict(zip(names, map(float, params))), "log_likelihood": float(ll),
                  "log_se": dict(zip(names, map(float, bg_se)))},
        "gamma_gamma": {"p": float(gg[0]), "q": float(gg[1]), "v": float(gg[2]), "log_likelihood": float(gll),
                        "customers": int(len(rep)), "log_se": dict(zip(("p", "q", "v"), map(float, gg_se)))},
        "horizon": HORIZON, "discount_rate": DISCOUNT,
        "holdout": {"calibration_end": str(cal_end.date()), "customers": int(len(hcal)),
                    "bgnbd": {**dict(zip(names, map(float, hparams))), "log_likelihood": float(hll)},
                    "buckets": ref.holdout_table(hparams, hcal, actual, HOLDOUT)},
        "sample": [{"customer": int(c), "frequency": float(cal.frequency[c]), "recency": float(cal.recency[c]),
                    "T": float(cal["T"][c]), "monetary": float(cal.monetary[c]),
                    **{k: float(v[cal.index.get_loc(c)]) for k, v in pred.items()}}
                   for c in SAMPLE if c in cal.index],
    }
    json.dump(out, sys.stdout, indent=1)
    print()
    print(json.dumps({k: out[k] for k in ("bgnbd", "gamma_gamma")}, indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
