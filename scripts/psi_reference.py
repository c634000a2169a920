#!/usr/bin/python3
"""Reference drift (PSI) and stability (ARI) audits, computed with numpy, pandas and scikit-learn,
independently of segrun (TestDriftAndStabilityMatchNumpyAndScikitLearn).

Writes runner/testdata/drift/customers.csv (deterministic, seeded: two periods of customers, most of them
in both, with NULLs, tied values and text categories that come and go), then reads it back as segrun does
and computes runner/testdata/drift/expected.json for the segmentation `value` of
runner/testdata/drift/shop.yaml (its rules replicated here):

- period 1's bins of each drift-audited column: numbers, the deciles of the non-NULL values (numpy's
  default linear interpolation), equal ones merged, bin k holding (edge k-1, edge k]; text, the 50 most
  frequent values (ties by value) then "other"; NULL last; the shares of everyone and of each segment;
- the PSI of period 2 against period 1 on period 1's bins, sum (a - e) ln(a / e) with a share of 0 counted
  as 1e-4, for everyone and for each segment;
- the same PSIs for `tags`, a multi segmentation of the same rules (a customer in every segment whose
  rule matches): everyone's, and each segment's over its members;
- the adjusted Rand index (sklearn.metrics.adjusted_rand_score) of the two periods' segments over the
  customers in both.

Run from the repository's root: /usr/bin/python3 scripts/psi_reference.py
"""
import json
import os

import numpy as np
import pandas as pd
from sklearn.metrics import adjusted_rand_score

DIR = "runner/testdata/drift"
EPS = 1e-4
CATEGORIES = 50


def generate(path):
    rng = np.random.default_rng(20261207)
    total = 480  # customers 1-400 in period 1, 41-480 in period 2: 40 gone, 80 new
    spend1 = np.round(rng.gamma(2.0, 60.0, total), 2)
    visits1 = rng.poisson(4, total)  # many ties
    # period 2: the same customers a little richer and busier, each by their own factor
    spend2 = np.round(spend1 * rng.lognormal(0.25, 0.3, total), 2)
    visits2 = visits1 + rng.poisson(1, total) - rng.binomial(1, 0.3, total)
    tiers1 = rng.choice(["gold", "silver", "bronze", "tin"], total, p=[0.2, 0.3, 0.4, 0.1])
    tiers2 = np.where(tiers1 == "tin", "platinum", tiers1)  # a category gone, one new
    rows = []
    for period, ids, spend, visits, tiers in ((1, range(1, 401), spend1, visits1, tiers1),
                                               (2, range(41, 481), spend2, visits2, tiers2)):
        for cid in ids:
            i = cid - 1
            s = "" if cid % 17 == 3 else f"{spend[i]:.2f}"
            v = "" if (period == 2 and cid % 29 == 7) else str(max(visits[i], 0))
            t = "" if cid % 13 == 5 else tiers[i]
            rows.append(f"{cid},{period},{s},{v},{t}\n")
    with open(path, "w") as f:
        f.write("customer_id,period,spend,visits,tier\n")
        f.writelines(rows)


def segment(row):
    # the rules of segmentation value; a rule reading a NULL does not match
    if pd.notna(row.spend) and row.spend >= 200:
        return "big"
    if pd.notna(row.visits) and row.visits >= 8:
        return "frequent"
    return "other"


def number_bins(values):
    v = values.dropna().astype(float).to_numpy()
    if len(v) == 0:
        return []
    edges = np.quantile(v, np.arange(1, 10) / 10)
    out = []
    for e in edges:
        if not out or e > out[-1]:
            out.append(float(e))
    return out


def text_bins(values):
    counts = values.dropna().astype(str).value_counts()
    ordered = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))
    return [k for k, _ in ordered[:CATEGORIES]]


def bin_index(values, kind, bins):
    """Each value's bin: 0..len(bins) (text: len(bins) is "other"), NULL len(bins)+1."""
    out = np.empty(len(values), dtype=int)
    for i, x in enumerate(values):
        if pd.isna(x):
            out[i] = len(bins) + 1
        elif kind == "number":
            out[i] = int(np.searchsorted(np.array(bins, dtype=float), float(x), side="left"))
        else:
            out[i] = bins.index(str(x)) if str(x) in bins else len(bins)
    return out


def shares(idx, nbins):
    counts = np.bincount(idx, minlength=nbins).astype(float)
    return (counts / counts.sum()).tolist() if counts.sum() > 0 else counts.tolist()


def psi(expected, actual):
    e = np.maximum(np.array(expected), EPS)
    a = np.maximum(np.array(actual), EPS)
    return float(np.sum((a - e) * np.log(a / e)))


def main():
    path = os.path.join(DIR, "customers.csv")
    generate(path)
    df = pd.read_csv(path, dtype={"tier": "string"})
    df["visits"] = df["visits"].astype("Int64")
    p1 = df[df.period == 1].copy()
    p2 = df[df.period == 2].copy()
    for p in (p1, p2):
        p["segment"] = p.apply(segment, axis=1)
    out = {"bins": {}, "psi": {}, "segment_psi": {}}
    for col, kind in (("spend", "number"), ("visits", "number"), ("tier", "text")):
        bins = number_bins(p1[col]) if kind == "number" else text_bins(p1[col])
        nb = len(bins) + 2
        i1, i2 = bin_index(p1[col].tolist(), kind, bins), bin_index(p2[col].tolist(), kind, bins)
        entry = {"kind": kind, "rows": len(p1), "shares": shares(i1, nb), "segments": {}}
        entry["edges" if kind == "number" else "categories"] = bins
        for seg in sorted(p1.segment.unique()):
            m = (p1.segment == seg).to_numpy()
            entry["segments"][seg] = {"rows": int(m.sum()), "shares": shares(i1[m], nb)}
        out["bins"][col] = entry
        out["psi"][col] = psi(entry["shares"], shares(i2, nb))
        out["segment_psi"][col] = {}
        for seg in sorted(p2.segment.unique()):
            m = (p2.segment == seg).to_numpy()
            if seg in entry["segments"]:
                out["segment_psi"][col][seg] = psi(entry["segments"][seg]["shares"], shares(i2[m], nb))
    # tags, a multi segmentation: a customer is in every segment whose rule matches, or in none
    out["multi_psi"], out["multi_segment_psi"] = {}, {}
    for col, kind in (("spend", "number"), ("tier", "text")):
        bins = out["bins"][col].get("edges") or out["bins"][col].get("categories")
        nb = len(bins) + 2
        i1, i2 = bin_index(p1[col].tolist(), kind, bins), bin_index(p2[col].tolist(), kind, bins)
        out["multi_psi"][col] = psi(shares(i1, nb), shares(i2, nb))
        out["multi_segment_psi"][col] = {}
        for tag, rule in (("big", lambda p: (p.spend >= 200).fillna(False)), ("frequent", lambda p: (p.visits >= 8).fillna(False))):
            m1, m2 = rule(p1).to_numpy(dtype=bool), rule(p2).to_numpy(dtype=bool)
            out["multi_segment_psi"][col][tag] = psi(shares(i1[m1], nb), shares(i2[m2], nb))
    both = p1[["customer_id", "segment"]].merge(p2[["customer_id", "segment"]], on="customer_id")
    out["ari"] = float(adjusted_rand_score(both.segment_x, both.segment_y))
    with open(os.path.join(DIR, "expected.json"), "w") as f:
        json.dump(out, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
