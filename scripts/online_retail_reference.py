#!/usr/bin/python3
"""Independent reference for examples/pipelines/online_retail.yaml: the same cleaning, RFM and lifecycle
rules written in pandas, not SQL, so a mistake in either shows as a disagreement.

    /usr/bin/python3 scripts/online_retail_reference.py ../shared/datasets/online_retail/online_retail.csv.gz \
        > examples/testdata/online_retail_reference.json

The output holds summary figures and a few customers' values (never the data itself, which stays in
../shared): the runner's test compares segrun's published results with them.
"""
import json
import sys

import numpy as np
import pandas as pd

AS_OF = pd.Timestamp("2011-12-10")
NON_PRODUCTS = {"POST", "DOT", "M", "m", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B", "PADS"}
ACTIVE_DAYS, LAPSED_DAYS = 90, 180

raw = pd.read_csv(sys.argv[1], dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])
lines = raw[raw.CustomerID.notna() & (raw.UnitPrice > 0) & ~raw.StockCode.isin(NON_PRODUCTS) & (raw.InvoiceDate < AS_OF)].copy()
lines["customer_id"] = lines.CustomerID.astype("int64")
lines["country"] = lines.Country.str.strip()
lines = lines.drop_duplicates(subset=["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "customer_id", "country"])
lines["amount"] = lines.Quantity * lines.UnitPrice
cancel_mask = lines.InvoiceNo.str.startswith("C")

sale = lines[~cancel_mask & (lines.Quantity > 0)].copy()
cancel = lines[cancel_mask & (lines.Quantity < 0)].copy()
cancel["Quantity"] = -cancel.Quantity
# k-th most recent sale of (customer, product, quantity) pairs with the k-th most recent cancellation of it.
for df in (sale, cancel):
    df.sort_values(["InvoiceDate", "InvoiceNo"], ascending=False, inplace=True)
    df["k"] = df.groupby(["customer_id", "StockCode", "Quantity"]).cumcount() + 1
pairs = sale.merge(cancel[["customer_id", "StockCode", "Quantity", "k", "InvoiceDate"]],
                   on=["customer_id", "StockCode", "Quantity", "k"], how="left", suffixes=("", "_cancel"))
cancelled = pairs.InvoiceDate_cancel.notna() & (pairs.InvoiceDate_cancel >= pairs.InvoiceDate)
sales = pairs[~cancelled]

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
