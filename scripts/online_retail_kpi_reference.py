#!/usr/bin/python3
"""Independent reference for the KPIs of examples/pipelines/online_retail.yaml: the cleaning, RFM, lifecycle
rules and the 90-day outcomes after the as-of date written in pandas, not SQL, then the retention and revenue
KPIs per lifecycle segment and for the population, with the member counts they were computed on.

    /usr/bin/python3 scripts/online_retail_kpi_reference.py ../shared/datasets/online_retail/online_retail.csv.gz \
        2011-09-01 > examples/testdata/online_retail_kpi_reference.json

runner's TestOnlineRetailKPIsMatchTheReference runs the example as of the same date and compares.
"""
import json
import sys

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp(sys.argv[2])
WINDOW_END = AS_OF + pd.Timedelta(days=90)
NON_PRODUCTS = {"POST", "DOT", "M", "m", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B", "PADS"}
ACTIVE_DAYS, LAPSED_DAYS = 90, 180
KEY = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "customer_id", "country"]

raw = pd.read_csv(sys.argv[1], dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
products = raw[raw.CustomerID.notna() & (raw.UnitPrice > 0) & ~raw.StockCode.isin(NON_PRODUCTS)].copy()
products["customer_id"] = products.CustomerID.astype("int64")
products["country"] = products.Country.str.strip()

# Segments as of AS_OF: the history before it, cancellations paired with the sales they undo.
lines = products[products.InvoiceDate < AS_OF].drop_duplicates(subset=KEY).copy()
lines["amount"] = lines.Quantity * lines.UnitPrice
cancel_mask = lines.InvoiceNo.str.startswith("C")
sale = lines[~cancel_mask & (lines.Quantity > 0)].copy()
cancel = lines[cancel_mask & (lines.Quantity < 0)].copy()
cancel["Quantity"] = -cancel.Quantity
for df in (sale, cancel):
    df.sort_values(["InvoiceDate", "InvoiceNo"], ascending=False, inplace=True)
    df["k"] = df.groupby(["customer_id", "StockCode", "Quantity"]).cumcount() + 1
pairs = sale.merge(cancel[["customer_id", "StockCode", "Quantity", "k", "InvoiceDate"]],
                   on=["customer_id", "StockCode", "Quantity", "k"], how="left", suffixes=("", "_cancel"))
sales = pairs[~(pairs.InvoiceDate_cancel.notna() & (pairs.InvoiceDate_cancel >= pairs.InvoiceDate))]
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
