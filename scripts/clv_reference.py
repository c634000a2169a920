#!/usr/bin/python3
"""Independent reference for segrun's CLV method: BG/NBD and Gamma-Gamma fitted on CDNOW by maximum
likelihood, written with numpy/scipy from the papers (not lifetimes, which is not installed).

    /usr/bin/python3 scripts/clv_reference.py [--cdnow ../shared/datasets/cdnow/CDNOW_sample.txt]
        [--out algorithms/testdata/golden/clv_cdnow.json]
    /usr/bin/python3 scripts/clv_reference.py --time SUMMARY.csv   # fit time on a frequency,recency,T file

The summary follows lifetimes' summary_data_from_transaction_data: purchases on one day are one (their
amounts summed), frequency counts the days with a purchase after the first, recency is first to last
purchase day, T is first purchase day to the last day observed (the day before the as-of date), in weeks
(days / 7); the monetary value is the mean of the repeat days' amounts. The calibration period is the
papers': purchases up to 1997-09-30 (segrun's as-of 1997-10-01), the holdout the 39 weeks after.
"""
import argparse
import json
import sys
import time

import numpy as np
import pandas as pd
from scipy.optimize import minimize
from scipy.special import gammaln, hyp2f1

UNIT_DAYS = 7.0
HORIZON = 52
DISCOUNT = 0.01


def summary(df, end):
    """Per customer (frequency, recency, T, monetary) from transactions before `end` (exclusive)."""
    d = df[df.date < end]
    days = d.groupby(["customer", "date"], as_index=False).amount.sum()
    last_day = end - pd.Timedelta(days=1)
    g = days.groupby("customer")
    first, last, n = g.date.min(), g.date.max(), g.date.count()
    first_amount = days.sort_values("date").groupby("customer").amount.first()
    total = g.amount.sum()
    freq = n - 1
    s = pd.DataFrame({
        "frequency": freq.astype(float),
        "recency": (last - first).dt.days / UNIT_DAYS,
        "T": (last_day - first).dt.days / UNIT_DAYS,
        "monetary": np.where(freq > 0, (total - first_amount) / freq.where(freq > 0, 1), 0.0),
    })
    return s


def bgnbd_ll(theta, x, tx, T, w):
    r, alpha, a, b = theta
    a1 = gammaln(r + x) - gammaln(r) + r * np.log(alpha)
    a2 = gammaln(a + b) + gammaln(b + x) - gammaln(b) - gammaln(a + b + x)
    a3 = -(r + x) * np.log(alpha + T)
    with np.errstate(divide="ignore", invalid="ignore"):
        a4 = np.where(x > 0, np.log(a) - np.log(np.maximum(b + x - 1, 1e-300)) - (r + x) * np.log(alpha + tx), -np.inf)
    return np.sum(w * (a1 + a2 + np.logaddexp(a3, a4)))


def fit_bgnbd(x, tx, T, w=None):
    if w is None:
        w = np.ones_like(x)
    n = w.sum()
    f = lambda lt: -bgnbd_ll(np.exp(lt), x, tx, T, w) / n
    best = None
    for start in ([0.0, np.log(T.mean()), 0.0, 0.0], [0.0, 0.0, 0.0, 0.0]):
        res = minimize(f, start, method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
        res = minimize(f, res.x, method="BFGS", options={"gtol": 1e-10})
        if best is None or res.fun < best.fun:
            best = res
    return np.exp(best.x), -best.fun * n


def gg_ll(theta, x, m):
    p, q, v = theta
    return np.sum(gammaln(p * x + q) - gammaln(p * x) - gammaln(q) + q * np.log(v)
                  + (p * x - 1) * np.log(m) + p * x * np.log(x) - (p * x + q) * np.log(x * m + v))


def fit_gg(x, m):
    n = len(x)
    f = lambda lt: -gg_ll(np.exp(lt), x, m) / n
    res = minimize(f, [0.0, 0.0, np.log(m.mean())], method="Nelder-Mead", options={"xatol": 1e-10, "fatol": 1e-14, "maxiter": 20000, "maxfev": 40000})
    res = minimize(f, res.x, method="BFGS", options={"gtol": 1e-10})
    return np.exp(res.x), -res.fun * n


def numerator(params, x, T, t):
    r, alpha, a, b = params
    if t == 0:
        return np.zeros_like(x)
    z = t / (alpha + T + t)
    h = hyp2f1(r + x, b + x, a + b + x - 1, z)
    return (a + b + x - 1) / (a - 1) * (1 - h * ((alpha + T) / (alpha + T + t)) ** (r + x))


def denominator(params, x, tx, T):
    r, alpha, a, b = params
    xs = np.maximum(x, 1)
    return 1 + (x > 0) * (a / (b + xs - 1)) * ((alpha + T) / (alpha + tx)) ** (r + x)


def predict(params, gg, s):
    x, tx, T, m = s.frequency.values, s.recency.values, s["T"].values, s.monetary.values
    den = denominator(params, x, tx, T)
    p, q, v = gg
    ev = np.where(x > 0, p * (v + x * m) / (p * x + q - 1), p * v / (q - 1))
    prev = np.zeros_like(x)
    disc = np.zeros_like(x)
    for i in range(1, HORIZON + 1):
        cur = numerator(params, x, T, i)
        disc += (cur - prev) / (1 + DISCOUNT) ** i
        prev = cur
    return {"p_alive": 1 / den, "expected_purchases": prev / den, "expected_value": ev, "clv": ev * disc / den}


def holdout_table(params, cal, actual, weeks):
    x, tx, T = cal.frequency.values, cal.recency.values, cal["T"].values
    pred = numerator(params, x, T, weeks) / denominator(params, x, tx, T)
    rows = []
    for k in range(8):
        sel = (x == k) if k < 7 else (x >= 7)
        rows.append({"frequency": k, "customers": int(sel.sum()), "actual": float(actual[sel].mean()), "predicted": float(pred[sel].mean())})
    return rows


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--cdnow", default="../shared/datasets/cdnow/CDNOW_sample.txt")
    ap.add_argument("--out", default="algorithms/testdata/golden/clv_cdnow.json")
    ap.add_argument("--time", help="time the BG/NBD fit on a CSV of frequency,recency,T")
    args = ap.parse_args()
    if args.time:
        s = pd.read_csv(args.time)
        g = s.groupby(["frequency", "recency", "T"]).size().reset_index(name="w")
        t0 = time.perf_counter()
        params, ll = fit_bgnbd(g.frequency.values.astype(float), g.recency.values, g["T"].values, g.w.values.astype(float))
        print(json.dumps({"customers": len(s), "distinct": len(g), "seconds": time.perf_counter() - t0, "params": list(params), "ll": ll}))
        return
    df = pd.read_csv(args.cdnow, sep=r"\s+", header=None, names=["master", "customer", "date", "cds", "amount"])
    df["date"] = pd.to_datetime(df.date.astype(str), format="%Y%m%d")
    cal_end, end = pd.Timestamp("1997-10-01"), pd.Timestamp("1998-07-01")
    cal = summary(df, cal_end)
    params, ll = fit_bgnbd(cal.frequency.values, cal.recency.values, cal["T"].values)
    rep = cal[(cal.frequency > 0) & (cal.monetary > 0)]  # a free repeat purchase says nothing of the value
    gg, gll = fit_gg(rep.frequency.values, rep.monetary.values)
    pred = predict(params, gg, cal)
    # Holdout: repeat purchase days after the calibration end, up to the end (whole weeks: 39).
    days = df.groupby(["customer", "date"], as_index=False).amount.sum()
    hold = days[(days.date >= cal_end) & (days.date < end)].groupby("customer").size()
    actual = hold.reindex(cal.index, fill_value=0).values.astype(float)
    weeks = (end - cal_end).days / UNIT_DAYS
    sample = list(range(0, len(cal), 97))[:25]
    out = {
        "source": "scripts/clv_reference.py on CDNOW_sample.txt (calibration: purchases before 1997-10-01, weeks)",
        "customers": len(cal),
        "bgnbd": {"r": params[0], "alpha": params[1], "a": params[2], "b": params[3], "log_likelihood": ll},
        "gamma_gamma": {"p": gg[0], "q": gg[1], "v": gg[2], "log_likelihood": gll, "customers": len(rep)},
        "horizon": HORIZON, "discount_rate": DISCOUNT, "holdout_weeks": weeks,
        "sample": [{"customer": int(cal.index[i]), "frequency": float(cal.frequency.iloc[i]), "recency": float(cal.recency.iloc[i]),
                    "T": float(cal["T"].iloc[i]), "monetary": float(cal.monetary.iloc[i]),
                    **{k: float(v[i]) for k, v in pred.items()}} for i in sample],
        "holdout": holdout_table(params, cal, actual, weeks),
    }
    with open(args.out, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")
    print(json.dumps({k: out[k] for k in ("bgnbd", "gamma_gamma")}, indent=1), file=sys.stderr)


if __name__ == "__main__":
    main()
