#!/usr/bin/python3
"""Independent reference for the KPIs of examples/pipelines/online_retail.yaml: the cleaning, RFM, lifecycle
rules and the 90-day outcomes after the as-of date written in pandas, not SQL, then the retention and revenue
KPIs per lifecycle segment and for the population, with the member counts they were computed on.

    /usr/bin/python3 scripts/online_retail_kpi_reference.py ../shared/datasets/online_retail/online_retail.csv.gz \
        2011-09-01 > examples/testdata/online_retail_kpi_reference.json

runner's TestOnlineRetailKPIsMatchTheReference runs the example as of the same date and compares.
"""
import json
import os
import sys

import numpy as np
import pandas as pd

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import online_retail_cleaning as cleaning  # noqa: E402

AS_OF = pd.Timestamp(sys.argv[2])
WINDOW_END = AS_OF + pd.Timedelta(days=90)
ACTIVE_DAYS, LAPSED_DAYS = 90, 180
KEY = cleaning.KEY

products = cleaning.products(cleaning.read(sys.argv[1]))
# Segments as of AS_OF: the history before it, cancellations paired with the sales they undo.
sales = cleaning.uncancelled(cleaning.lines_before(products, AS_OF))
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

# Outcomes: the product lines in the 90 days from AS_OF, duplicates once; an order is a line of an invoice
# that is not a cancellation, revenue is net of the window's cancellations.
window = products[(products.InvoiceDate >= AS_OF) & (products.InvoiceDate < WINDOW_END)].drop_duplicates(subset=KEY)
ordered = window[~window.InvoiceNo.str.startswith("C")].groupby("customer_id").size() > 0
revenue = (window.Quantity * window.UnitPrice).groupby(window.customer_id).sum()
rfm["ordered"] = ordered.reindex(rfm.index, fill_value=False).astype(int)
rfm["revenue"] = revenue.reindex(rfm.index, fill_value=0.0)


def kpis(df):
    return {"members": int(len(df)), "retention_90d": float(df.ordered.mean()), "revenue_90d": float(df.revenue.mean())}


out = {
    "as_of": str(AS_OF.date()),
    "customers": int(len(rfm)),
    "window_lines": int(len(window)),
    "population": kpis(rfm),
    "lifecycle": {seg: kpis(df) for seg, df in sorted(rfm.groupby("lifecycle"))},
}
json.dump(out, sys.stdout, indent=2)
print()
