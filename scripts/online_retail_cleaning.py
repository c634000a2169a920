"""The Online Retail example's cleaning, as its spec does it (examples/pipelines/online_retail.yaml), once for
the reference scripts that check segrun on the real data (online_retail_reference.py, _kpi_reference.py,
_clv_reference.py): product lines of known customers, exact duplicates once, and each cancellation paired
with the k-th most recent sale of the same customer, product and quantity it undoes.
"""
import pandas as pd

NON_PRODUCTS = {"POST", "DOT", "M", "m", "C2", "D", "S", "BANK CHARGES", "AMAZONFEE", "CRUK", "B", "PADS"}
# What makes two lines the same line (the file repeats some).
KEY = ["InvoiceNo", "StockCode", "Quantity", "InvoiceDate", "UnitPrice", "customer_id", "country"]


def read(path):
    """The file as it is."""
    return pd.read_csv(path, dtype={"InvoiceNo": str, "StockCode": str}, parse_dates=["InvoiceDate"])


def products(raw):
    """Every product line of a known customer at a positive price, at any date."""
    lines = raw[raw.CustomerID.notna() & (raw.UnitPrice > 0) & ~raw.StockCode.isin(NON_PRODUCTS)].copy()
    lines["customer_id"] = lines.CustomerID.astype("int64")
    lines["country"] = lines.Country.str.strip()
    return lines


def lines_before(products, as_of):
    """The product lines before as_of, each once, with their amount."""
    lines = products[products.InvoiceDate < as_of].drop_duplicates(subset=KEY).copy()
    lines["amount"] = lines.Quantity * lines.UnitPrice
    return lines


def uncancelled(lines):
    """The sales among lines that no later cancellation undid."""
    cancel_mask = lines.InvoiceNo.str.startswith("C")
    sale = lines[~cancel_mask & (lines.Quantity > 0)].copy()
    cancel = lines[cancel_mask & (lines.Quantity < 0)].copy()
    cancel["Quantity"] = -cancel.Quantity
    # The k-th most recent sale of a (customer, product, quantity) pairs with the k-th most recent cancellation.
    for df in (sale, cancel):
        df.sort_values(["InvoiceDate", "InvoiceNo"], ascending=False, inplace=True)
        df["k"] = df.groupby(["customer_id", "StockCode", "Quantity"]).cumcount() + 1
    pairs = sale.merge(cancel[["customer_id", "StockCode", "Quantity", "k", "InvoiceDate"]],
                       on=["customer_id", "StockCode", "Quantity", "k"], how="left", suffixes=("", "_cancel"))
    cancelled = pairs.InvoiceDate_cancel.notna() & (pairs.InvoiceDate_cancel >= pairs.InvoiceDate)
    return pairs[~cancelled]
