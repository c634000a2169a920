#!/usr/bin/python3
"""Reference for segrun measure on the flagship demo's simulated campaign (examples/campaign.go), from pandas,
statsmodels and scipy (Debian's python3-pandas, python3-statsmodels, python3-scipy): the same generated
campaign_orders.csv and the same memberships, joined and windowed here independently of segrun's SQL, then
each comparison's statistics from the libraries, and the segments' Holm-adjusted p-values from statsmodels'
multipletests(method='holm'). Writes cli/testdata/measure/flagship_campaign.json, which
cli's TestMeasureFlagshipCampaign compares with (counts exactly, statistics to 1e-9).

Inputs: the demo's data directory and the memberships of version 2 (as of 2024-12-31) of winback_email,
lifecycle and value, as segrun export writes them:

    bin/segrun demo /tmp/d && bin/segrun run /tmp/d/retail.yaml --as-of 2024-09-30 \
      && bin/segrun run /tmp/d/retail.yaml --as-of 2024-12-31
    for n in winback_email lifecycle value; do bin/segrun export $n --run 2 --out /tmp/d/m_$n.csv /tmp/d/retail.yaml; done
    /usr/bin/python3 scripts/measure_reference.py /tmp/d cli/testdata/measure/flagship_campaign.json

The memberships come from segrun (who is in the audience and its holdout is the pipeline's business, held to
Python elsewhere: TestHoldoutMatchesPython); what is checked here is everything measure does after that.
"""
import json
import os
import sys

import numpy as np
import pandas as pd
from scipy import stats
from statsmodels.stats.multitest import multipletests
from statsmodels.stats.proportion import confint_proportions_2indep, proportions_ztest

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from lift_reference import t_quantile  # noqa: E402  (mpmath's t quantile: scipy 1.10's is off by ~1e-9)

AS_OF = pd.Timestamp("2024-12-31")
WINDOW = 30
INCLUDED = ["lifecycle", "value"]


def compare(members, metric):
    t = members[members.grp == "treatment"]
    c = members[members.grp == "control"]
    nt, nc = len(t), len(c)
    if metric == "converted":
        xt, xc = int(t.converted.sum()), int(c.converted.sum())
        out = {"treatment": {"members": nt, "successes": xt}, "control": {"members": nc, "successes": xc}}
        if nt == 0 or nc == 0:
            return out
        d = xt / nt - xc / nc
        pooled = (xt + xc) / (nt + nc)
        if 0 < pooled < 1:
            z, p = proportions_ztest([xt, xc], [nt, nc])
        else:
            z, p = 0.0, 1.0
        lo, hi = confint_proportions_2indep(xt, nt, xc, nc, method="newcomb", compare="diff", alpha=0.05)
        out.update({"absolute": {"value": d, "low": float(lo), "high": float(hi)}, "statistic": float(z), "p_value": float(p)})
        return out
    vt, vc = t.value.to_numpy(), c.value.to_numpy()
    out = {"treatment": {"members": nt, "mean": float(vt.mean()) if nt else 0.0},
           "control": {"members": nc, "mean": float(vc.mean()) if nc else 0.0}}
    if nt < 2 or nc < 2:
        return out
    d = vt.mean() - vc.mean()
    st, sc = vt.var(ddof=1) / nt, vc.var(ddof=1) / nc
    if st + sc == 0:
        return out
    res = stats.ttest_ind(vt, vc, equal_var=False)
    df = (st + sc) ** 2 / (st**2 / (nt - 1) + sc**2 / (nc - 1))
    h = t_quantile(0.975, df) * np.sqrt(st + sc)
    out.update({"absolute": {"value": float(d), "low": float(d - h), "high": float(d + h)},
                "statistic": float(res.statistic), "p_value": float(res.pvalue), "df": float(df)})
    return out


def main(data, golden):
    orders = pd.read_csv(os.path.join(data, "data", "campaign_orders.csv"), parse_dates=["ordered_at"])
    window = orders[(orders.ordered_at >= AS_OF) & (orders.ordered_at < AS_OF + pd.Timedelta(days=WINDOW))]
    per = window.groupby("customer_id").agg(events=("amount", "size"), value=("amount", "sum")).reset_index()
    aud = pd.read_csv(os.path.join(data, "m_winback_email.csv")).rename(columns={"segment": "grp"})
    members = aud.merge(per, on="customer_id", how="left")
    members["converted"] = members.events.notna()
    members["value"] = members.value.fillna(0.0)
    segs = {n: pd.read_csv(os.path.join(data, f"m_{n}.csv")) for n in INCLUDED}
    out = {"as_of": "2024-12-31", "window_days": WINDOW, "events": int(len(window)), "outcomes": {}}
    for name, metric in [("conversions", "converted"), ("campaign_revenue", "revenue")]:
        groups = [dict(segmentation="", segment="", **compare(members, metric))]
        for n in INCLUDED:
            joined = members.merge(segs[n], on="customer_id")
            for seg in sorted(joined.segment.unique()):
                groups.append(dict(segmentation=n, segment=seg, **compare(joined[joined.segment == seg], metric)))
        # Holm over every segment comparison with a p-value (not the overall one), as segrun adjusts them.
        segs_with_p = [g for g in groups[1:] if "p_value" in g]
        if segs_with_p:
            adjusted = multipletests([g["p_value"] for g in segs_with_p], method="holm")[1]
            for g, a in zip(segs_with_p, adjusted):
                g["p_value_holm"] = float(a)
        out["outcomes"][name] = groups
    with open(golden, "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
