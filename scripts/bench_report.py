#!/usr/bin/python3
"""How long segrun report takes on a store of many versions of many customers.

    /usr/bin/python3 scripts/bench_report.py [--customers 1000000] [--versions 30] [--reps 3]

Builds (once; kept in .bench/report<versions>/) a store of the flagship spec run at `versions` as-of
dates, 17 days apart, on the seeded synthetic dataset of `customers` customers (segrun demo, shared with
bench_pipeline.py in .bench/data), then times `segrun report` on it `reps` times and prints the medians.
Not part of make test: building the 30-version store of 1M customers takes several minutes.
"""
import argparse
import datetime
import os
import shutil
import statistics
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(ROOT, "scripts"))
from bench_pipeline import BENCH, SEGRUN, ensure_data, timed  # noqa: E402


def build_store(customers, versions):
    ensure_data(customers)
    work = os.path.join(BENCH, f"report{versions}")
    marker = os.path.join(work, "built")
    want = f"{customers} {versions}"
    store = os.path.join(work, "segrun.duckdb")
    if os.path.exists(marker) and open(marker).read().strip() == want:
        return store
    shutil.rmtree(work, ignore_errors=True)
    os.makedirs(work)
    spec = os.path.join(BENCH, "retail.yaml")
    first = datetime.date(2023, 8, 1)
    for i in range(versions):
        as_of = first + datetime.timedelta(days=17 * i)
        wall, peak, _ = timed([SEGRUN, "run", spec, "--store", store, "--as-of", as_of.isoformat()])
        print(f"version {i + 1}/{versions} as of {as_of}: {wall:.1f} s, {peak // 1024} MB", flush=True)
    with open(marker, "w") as f:
        f.write(want)
    return store


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--versions", type=int, default=30)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    store = build_store(args.customers, args.versions)
    out = os.path.join(BENCH, f"report{args.versions}", "report.html")
    walls, peaks = [], []
    for _ in range(args.reps):
        wall, peak, _ = timed([SEGRUN, "report", "--store", store, "--out", out])
        walls.append(wall)
        peaks.append(peak)
    size = os.path.getsize(out)
    print(f"segrun report, {args.versions} versions of {args.customers:,} customers: median {statistics.median(walls):.2f} s "
          f"(runs {', '.join(f'{w:.2f}' for w in walls)}), peak {statistics.median(peaks) // 1024} MB, page {size / 1e6:.2f} MB")


if __name__ == "__main__":
    main()
