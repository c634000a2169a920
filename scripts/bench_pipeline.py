#!/usr/bin/python3
"""Time segrun against ../shared/bench/peer_pandas.py doing the same job, on the same data, in one run.

    /usr/bin/python3 scripts/bench_pipeline.py [--customers 1000000] [--reps 3]

(make bench runs it.) It generates the seeded synthetic dataset with `segrun demo` (once per size, kept in
.bench/), then, for each job, alternates the two tools repetition by repetition so that a change of load on
this noisy 2-core machine weighs on both:

  rules          peer_pandas.py --no-kmeans      vs  segrun run bench/peer_job_rules.yaml
  rules+kmeans   peer_pandas.py                  vs  segrun run bench/peer_job.yaml

Each repetition runs both as-of dates: the first version, then the second with its change log against the
first. Every process is timed with /usr/bin/time (wall seconds, peak resident memory). It also times DuckDB
running the job's RFM query bare, straight from the CSV (bench/sqlbare), against segrun's SQL stage (loading
the source and computing the feature), and checks that segrun and the peer put every customer in the same
lifecycle segment. Results are printed as Markdown for BENCHMARKS.md and written to .bench/pipeline.json.
"""
import argparse
import csv
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH = os.path.join(ROOT, ".bench")
PEER = os.path.join(ROOT, "..", "shared", "bench", "peer_pandas.py")
SEGRUN = os.path.join(ROOT, "bin", "segrun")
AS_OF = ["2024-09-30", "2024-12-31"]
JOBS = [("rules", ["--no-kmeans"], "bench/peer_job_rules.yaml"), ("rules+kmeans", [], "bench/peer_job.yaml")]
BARE_RFM = """CREATE TABLE rfm AS select customer_id,
  date_part('day', TIMESTAMP '{as_of}' - max(ordered_at)) as recency_days,
  count(distinct order_id) as frequency, sum(amount) as monetary
from read_csv('{orders}') where ordered_at < TIMESTAMP '{as_of}' and amount > 0 group by customer_id"""


def timed(cmd, **kw):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak KB, stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        out = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %M"] + cmd, check=True, capture_output=True,
                             text=True, **kw).stdout
        wall, peak = t.read().split()
    return float(wall), int(peak), out


def ensure_data(customers):
    data = os.path.join(BENCH, "data")
    marker = os.path.join(data, "customers.count")
    if not (os.path.exists(marker) and open(marker).read().strip() == str(customers)):
        shutil.rmtree(data, ignore_errors=True)
        subprocess.run([SEGRUN, "demo", "--customers", str(customers), BENCH], check=True, stdout=subprocess.DEVNULL)
        with open(marker, "w") as f:
            f.write(str(customers))
    return os.path.join(data, "orders.csv")


def run_peer(flags, orders):
    out = [os.path.join(BENCH, f"peer{i}") for i in (1, 2)]
    for d in out:
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
    r1 = timed(["/usr/bin/python3", PEER] + flags + [orders, AS_OF[0], out[0]])
    r2 = timed(["/usr/bin/python3", PEER] + flags + [orders, AS_OF[1], out[1], os.path.join(out[0], "members.csv")])
    return [r1[:2], r2[:2]], out[1]


def run_segrun(spec):
    store = os.path.join(BENCH, "bench.duckdb")
    for f in (store, store + ".wal"):
        if os.path.exists(f):
            os.remove(f)
    runs = []
    for as_of in AS_OF:
        wall, peak, out = timed([SEGRUN, "run", spec, "--as-of", as_of, "--store", store, "--format", "json"], cwd=ROOT)
        runs.append((wall, peak, json.loads(out)))
    return runs, store


def same_lifecycle(peer_dir, store):
    """Both tools must put every customer in the same lifecycle segment as of the second date."""
    ours = os.path.join(BENCH, "lifecycle.csv")
    subprocess.run([SEGRUN, "export", "lifecycle", "--store", store, "--out", ours], check=True, stdout=subprocess.DEVNULL)
    with open(ours) as f:
        mine = {r["customer_id"]: r["segment"] for r in csv.DictReader(f)}
    with open(os.path.join(peer_dir, "members.csv")) as f:
        theirs = {r["customer_id"]: r["lifecycle"] for r in csv.DictReader(f)}
    differ = sum(1 for c, s in theirs.items() if mine.get(c) != s) + len(set(mine) - set(theirs))
    return len(theirs), differ


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    args = ap.parse_args()
    os.makedirs(BENCH, exist_ok=True)
    subprocess.run(["make", "-s", "build"], cwd=ROOT, check=True)
    sqlbare = os.path.join(BENCH, "sqlbare")
    subprocess.run(["go", "build", "-tags", "duckdb_arrow", "-o", sqlbare, "./bench/sqlbare"], cwd=ROOT, check=True)
    orders = ensure_data(args.customers)
    results = {"customers": args.customers, "jobs": {}}
    for job, flags, spec in JOBS:
        peer, seg = [], []
        for rep in range(args.reps):
            order = [("peer", flags), ("segrun", spec)] if rep % 2 == 0 else [("segrun", spec), ("peer", flags)]
            for side, what in order:
                if side == "peer":
                    p, peer_dir = run_peer(what, orders)
                    peer.append(p)
                else:
                    s, store = run_segrun(what)
                    seg.append(s)
            print(f"{job} repetition {rep + 1}: peer {peer[-1][0][0]:.2f}s+{peer[-1][1][0]:.2f}s, "
                  f"segrun {seg[-1][0][0]:.2f}s+{seg[-1][1][0]:.2f}s", file=sys.stderr, flush=True)
        customers, differ = same_lifecycle(peer_dir, store)
        j = {"customers_compared": customers, "lifecycle_disagreements": differ, "versions": []}
        for v in range(2):
            pw = statistics.median(r[v][0] for r in peer)
            sw = statistics.median(r[v][0] for r in seg)
            pm = max(r[v][1] for r in peer)
            sm = max(r[v][1] for r in seg)
            steps = [r[v][2]["steps"] for r in seg]
            sql_stage = statistics.median(sum(s["seconds"] for s in st if s["kind"] in ("source", "feature")) for st in steps)
            evals = [(sg["rule_evaluations"], sg["rule_seconds"]) for r in seg for sg in r[v][2]["segmentations"] if sg.get("rule_evaluations")]
            j["versions"].append({"as_of": AS_OF[v], "peer_seconds": pw, "segrun_seconds": sw, "speedup": pw / sw,
                                  "peer_peak_mb": pm / 1024, "segrun_peak_mb": sm / 1024, "memory_ratio": sm / pm,
                                  "segrun_sql_stage_seconds": sql_stage,
                                  "rule_evaluations_per_second": statistics.median(e / s for e, s in evals)})
        results["jobs"][job] = j
    results["duckdb_bare_rfm_seconds"] = {}
    for as_of in AS_OF:
        bare = [float(subprocess.run([sqlbare, "-query", BARE_RFM.format(as_of=as_of, orders=orders)], check=True,
                                     capture_output=True, text=True).stdout) for _ in range(args.reps)]
        results["duckdb_bare_rfm_seconds"][as_of] = statistics.median(bare)
    with open(os.path.join(BENCH, "pipeline.json"), "w") as f:
        json.dump(results, f, indent=2)
    print(f"\n{args.customers:,} customers, {args.reps} repetitions (medians); speedup = peer time / segrun time, "
          f"memory = segrun peak / peer peak\n")
    print("| job | version | peer s | segrun s | speedup | peer peak MB | segrun peak MB | memory | SQL stage s | vs DuckDB bare |")
    print("| --- | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for job, j in results["jobs"].items():
        for v in j["versions"]:
            print(f"| {job} | as of {v['as_of']} | {v['peer_seconds']:.2f} | {v['segrun_seconds']:.2f} | "
                  f"{v['speedup']:.2f}x | {v['peer_peak_mb']:.0f} | {v['segrun_peak_mb']:.0f} | {v['memory_ratio']:.2f} | "
                  f"{v['segrun_sql_stage_seconds']:.2f} | {v['segrun_sql_stage_seconds'] / results['duckdb_bare_rfm_seconds'][v['as_of']]:.2f}x |")
    print("\nDuckDB running the RFM query bare from the CSV: " +
          ", ".join(f"{s:.2f} s as of {d}" for d, s in results["duckdb_bare_rfm_seconds"].items()))
    for job, j in results["jobs"].items():
        print(f"{job}: lifecycle segments of {j['customers_compared']:,} customers compared with the peer's, "
              f"{j['lifecycle_disagreements']} disagree; rule evaluations "
              f"{statistics.median(v['rule_evaluations_per_second'] for v in j['versions']) / 1e6:.0f}M/s (all cores)")


if __name__ == "__main__":
    main()
