#!/usr/bin/python3
"""Independent reference for examples/pipelines/online_retail.yaml: the same cleaning, RFM and lifecycle
rules written in pandas, not SQL, so a mistake in either shows as a disagreement.

    /usr/bin/python3 scripts/online_retail_reference.py ../shared/datasets/online_retail/online_retail.csv.gz \
        > examples/testdata/online_retail_reference.json

The output holds summary figures and a few customers' values (never the data itself, which stays in
../shared): the runner's test compares segrun's published results with them.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import online_retail_cleaning as cleaning  # noqa: E402

AS_OF = pd.Timestamp("2011-12-10")
ACTIVE_DAYS, LAPSED_DAYS = 90, 180

raw = cleaning.read(sys.argv[1])
lines = cleaning.lines_before(cleaning.products(raw), AS_OF)
sales = cleaning.uncancelled(lines)

g = sales.groupby("customer_id")
rfm = pd.DataFrame({
    "recency_days": (AS_OF - g.InvoiceDate.max()).dt.days,
    "frequency": g.InvoiceNo.nunique(),
    "monetary": g.amount.sum().round(2),
})
conds = [
    (rfm.recency_days <= 30) & (rfm.frequency >= 10),
    (rfm.recency_days <= ACTIVE_DAYS) & (rfm.frequency >= 4),
    (rfm.recency_days > ACTIVE_DAYS) & (rfm.monetary >= 2000),
    rfm.recency_days > LAPSED_DAYS,
    (rfm.frequency == 1) & (rfm.recency_days <= 60),
]
rfm["lifecycle"] = np.select(conds, ["champions", "loyal", "at_risk", "lapsed", "new"], default="occasional")

sample_ids = [12346, 12347, 12748, 13047, 14646, 14911, 15311, 17841, 18102, 18287]
out = {
    "as_of": str(AS_OF.date()),
    "raw_lines": int(len(raw)),
    "clean_lines": int(len(lines)),
    "sale_lines": int(len(sales)),
    "customers": int(len(rfm)),
    "monetary_total": round(float(rfm.monetary.sum()), 2),
    "frequency_total": int(rfm.frequency.sum()),
    "recency_mean": float(rfm.recency_days.mean()),
    "lifecycle": {k: int(v) for k, v in rfm.lifecycle.value_counts().sort_index().items()},
    "customers_sample": {str(c): {"recency_days": int(rfm.loc[c, "recency_days"]), "frequency": int(rfm.loc[c, "frequency"]),
                                  "monetary": float(rfm.loc[c, "monetary"]), "lifecycle": rfm.loc[c, "lifecycle"]}
                         for c in sample_ids if c in rfm.index},
}
json.dump(out, sys.stdout, indent=2)
print()
