#!/usr/bin/python3
"""Reference segment profiles, computed with pandas, independently of segrun (TestProfilesMatchPandas).

Writes runner/testdata/profiles/customers.csv (deterministic, seeded) and then reads it back, as segrun
does, to compute runner/testdata/profiles/expected.json: for each segmentation of
runner/testdata/profiles/shop.yaml (its rules replicated here), the population's and each segment's size,
share, and per profiled column the mean, median, p10, p90 and sample SD of numbers (NULLs skipped;
quantiles by linear interpolation, pandas' default and DuckDB's quantile_cont) with the lift of the mean,
and the five most frequent non-NULL text values (ties by value) with their shares of the segment and lifts.

Run from the repository's root: /usr/bin/python3 scripts/profile_reference.py
"""
import json
import math
import os

import numpy as np
import pandas as pd

DIR = "runner/testdata/profiles"
TOP = 5


def generate(path):
    rng = np.random.default_rng(20261207)
    n = 60
    spend = np.round(rng.gamma(2.0, 80.0, n), 2)
    visits = rng.integers(0, 15, n)
    tiers = rng.choice(["gold", "silver", "bronze"], n, p=[0.2, 0.3, 0.5])
    regions = rng.choice(["north", "south", "east", "west", "centre", "coast", "hills"], n)
    with open(path, "w") as f:
        f.write("customer_id,spend,visits,tier,region\n")
        for i in range(n):
            s = "" if i % 11 == 3 else f"{spend[i]:.2f}"  # some NULL spend
            t = "" if i % 13 == 5 else tiers[i]  # some NULL tier
            f.write(f"{i + 1},{s},{visits[i]},{t},{regions[i]}\n")


def number(values, pop_mean):
    v = values.dropna().astype(float)
    out = {}
    if len(v) > 0:
        out["mean"] = v.mean()
        out["median"] = v.quantile(0.5)
        out["p10"] = v.quantile(0.1)
        out["p90"] = v.quantile(0.9)
    if len(v) > 1:
        out["sd"] = v.std(ddof=1)
    if "mean" in out and pop_mean not in (None, 0):
        out["lift"] = out["mean"] / pop_mean
    return {k: float(x) for k, x in out.items() if not math.isnan(x)}


def texts(values, size, pop_counts, pop_size):
    counts = values.dropna().value_counts()
    ranked = sorted(counts.items(), key=lambda kv: (-kv[1], kv[0]))[:TOP]
    out = []
    for value, n in ranked:
        share = n / size
        out.append({"value": value, "share": share, "lift": share / (pop_counts[value] / pop_size)})
    return out


def profile(df, members, numbers, text_cols):
    """members: segment name -> the rows of df in it."""
    pop_size = len(df)
    pop_means = {c: df[c].dropna().astype(float).mean() for c in numbers}

    def one(rows, name):
        p = {"size": len(rows), "share": len(rows) / pop_size}
        if name is not None:
            p["segment"] = name
        if numbers:
            p["numbers"] = {c: number(rows[c], pop_means[c] if name is not None else None) for c in numbers}
        t = {c: texts(rows[c], len(rows), df[c].value_counts(), pop_size) for c in text_cols}
        t = {c: v for c, v in t.items() if v}
        if t:
            p["texts"] = t
        return p

    out = {"population": one(df, None), "segments": [one(members[s], s) for s in sorted(members) if len(members[s])]}
    if numbers:
        out["numbers"] = numbers
    if text_cols:
        out["texts"] = text_cols
    return out


def main():
    path = os.path.join(DIR, "customers.csv")
    generate(path)
    df = pd.read_csv(path, dtype={"tier": "string", "region": "string"})
    big = df["spend"] >= 200  # NaN compares False: a rule reading NULL does not match
    frequent = df["visits"] >= 8
    # value: the first matching rule, else "other"
    value = {
        "big": df[big],
        "frequent": df[~big & frequent],
        "other": df[~big & ~frequent],
    }
    # tags: multi, every matching rule, no else
    tags = {"big": df[big], "frequent": df[frequent]}
    # firsts: the first matching rule, no else: the rest are in no segment, but in the population
    firsts = {"big": df[big], "frequent": df[~big & frequent]}
    expected = {
        "firsts": profile(df, firsts, ["spend"], ["region"]),
        "value": profile(df, value, ["visits", "spend"], ["tier", "region"]),
        "tags": profile(df, tags, ["spend", "visits"], []),
    }
    with open(os.path.join(DIR, "expected.json"), "w") as f:
        json.dump(expected, f, indent=1, sort_keys=True)
        f.write("\n")


if __name__ == "__main__":
    main()
