#!/usr/bin/python3
"""Time segrun against ../shared/bench/peer_pandas.py doing the same job, on the same data, in one run.

    /usr/bin/python3 scripts/bench_pipeline.py [--customers 1000000] [--reps 3] [--jobs peer,layer]

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

The layer job (issue 14's budget: profiles + KPIs + audits cost at most 10% of a run at 1M customers) runs
the flagship spec `segrun demo` wrote beside the data (.bench/retail.yaml: sources, four features, the churn
model, four segmentations, KPIs, audiences, exports) in two variants made from it, alternately, both as-of
dates each (the audits compare the second version with the first):

  layer on   profiles as declared (default: every numeric column), the KPIs, and audits as a realistic spec
             declares them: size on every audited segmentation, drift on the RFM columns of lifecycle and
             behaviour, stability on behaviour, the flagship's kpi audit on lifecycle (all warn)
  layer off  the same spec with `profile: []`, no `kpis:` and no `audits:`

and the same on the lean job (bench/peer_job.yaml: rules and k-means over one RFM feature, a run of a few
seconds, where the layer's share is larger), with two KPIs over rfm (it has no outcomes table) and the
same audits. `--layer-specs flagship` or `lean` runs one. The outcomes feature the flagship's KPIs read is computed in both (it is the pipeline's data, not the layer's
aggregates over it). The measure is CPU time (user + sys of the segrun process, from /usr/bin/time), since
the machine is shared: wall time is reported beside it. Results go to .bench/layer.json.
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

import yaml

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
    wall, peak, _, out = timed_cpu(cmd, **kw)
    return wall, peak, out


def timed_cpu(cmd, **kw):
    """Runs cmd under /usr/bin/time; returns (wall seconds, peak KB, CPU seconds (user + sys), stdout)."""
    with tempfile.NamedTemporaryFile("r") as t:
        out = subprocess.run(["/usr/bin/time", "-o", t.name, "-f", "%e %M %U %S"] + cmd, check=True,
                             capture_output=True, text=True, **kw).stdout
        wall, peak, user, sys_ = t.read().split()
    return float(wall), int(peak), float(user) + float(sys_), out


def ensure_data(customers):
    data = os.path.join(BENCH, "data")
    marker = os.path.join(data, "customers.count")
    # The layer job runs the flagship spec the demo writes beside its data (.bench/retail.yaml).
    spec = os.path.join(BENCH, "retail.yaml")
    # The demo writes the flagship spec verbatim: data made by an older flagship (without the outcomes its
    # KPIs read, say) is made again, or the layer job would measure a spec that is no longer the flagship.
    flagship = os.path.join(ROOT, "examples", "pipelines", "retail.yaml")
    current = os.path.exists(spec) and open(spec).read() == open(flagship).read()
    if not (os.path.exists(marker) and open(marker).read().strip() == str(customers) and current):
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


# The layer job's audits, by segmentation of the flagship spec: what a team watching these segments would
# declare (the flagship's own kpi audit on lifecycle stays). Every one warns: a failure must not stop the
# second version from publishing, or the two variants would not do the same work.
LAYER_AUDITS = {
    "lifecycle": [{"size": {"min": 0.01, "max": 0.6, "max_change": 0.5}, "severity": "warn"},
                  {"drift": {"columns": ["recency_days", "frequency", "monetary"], "psi": 0.25}, "severity": "warn"}],
    "value": [{"size": {"max_change": 0.5}, "severity": "warn"}],
    "behaviour": [{"size": {"min": 0.02, "max_change": 0.5}, "severity": "warn"},
                  {"drift": {"columns": ["recency_days", "frequency", "monetary"], "psi": 0.25}, "severity": "warn"},
                  {"stability": {"min_ari": 0.8}, "severity": "warn"}],
}


# The lean variant's KPIs (bench/peer_job.yaml has no outcomes table): over its one feature, rfm.
LEAN_KPIS = {
    "avg_spend": {"description": "Spend per member before the as-of date.", "from": "rfm", "value": "avg(monetary)",
                  "format": "currency"},
    "repeat_share": {"description": "Share of members with more than one order.", "from": "rfm",
                     "value": "avg((frequency > 1)::int)", "format": "percent"},
}
LEAN_AUDITS = {
    "lifecycle": [{"size": {"min": 0.01, "max": 0.9, "max_change": 0.5}, "severity": "warn"},
                  {"drift": {"columns": ["recency_days", "frequency", "monetary"], "psi": 0.25}, "severity": "warn"},
                  {"kpi": {"name": "avg_spend", "max_change": 0.5}, "severity": "warn"}],
    "behaviour": LAYER_AUDITS["behaviour"],
}
# The layer job's specs: the flagship as `segrun demo` writes it beside the data, and the lean benchmark
# job (rules and k-means over one feature), where the layer's share of a much shorter run is larger.
LAYER_SPECS = {"flagship": ("retail.yaml", {}, LAYER_AUDITS), "lean": ("../bench/peer_job.yaml", LEAN_KPIS, LEAN_AUDITS)}


def layer_specs(spec):
    """Writes the layer job's two variants of a spec into .bench; returns (on, off) paths."""
    base_path, kpis, audits_by_seg = LAYER_SPECS[spec]
    with open(os.path.join(BENCH, base_path)) as f:
        base = yaml.safe_load(f)
    on, off = json.loads(json.dumps(base)), json.loads(json.dumps(base))
    if kpis:
        on["kpis"] = {**on.get("kpis", {}), **kpis}
    for name, audits in audits_by_seg.items():
        on["segmentations"][name]["audits"] = on["segmentations"][name].get("audits", []) + audits
    off.pop("kpis", None)
    for seg in off["segmentations"].values():
        seg.pop("audits", None)
        if "clv" not in seg:  # a CLV segmentation has no profile (docs/spec.md)
            seg["profile"] = []
    paths = []
    for variant, doc in (("on", on), ("off", off)):
        path = os.path.join(BENCH, f"layer_{spec}_{variant}.yaml")
        with open(path, "w") as f:
            yaml.safe_dump(doc, f, sort_keys=False)
        paths.append(path)
    return paths


def run_layer(spec):
    """Both as-of dates into a fresh store; returns [(wall, peak KB, cpu s)] per version."""
    store = os.path.join(BENCH, "layer.duckdb")
    for f in (store, store + ".wal"):
        if os.path.exists(f):
            os.remove(f)
    return [timed_cpu([SEGRUN, "run", spec, "--as-of", as_of, "--store", store, "--format", "json"], cwd=ROOT)[:3]
            for as_of in AS_OF]


def layer_job(spec, reps):
    on_spec, off_spec = layer_specs(spec)
    on, off, loads = [], [], []
    for rep in range(reps):
        order = [(on, on_spec), (off, off_spec)] if rep % 2 == 0 else [(off, off_spec), (on, on_spec)]
        load = os.getloadavg()[0]
        loads.append(load)
        for runs, path in order:
            runs.append(run_layer(path))
        print(f"layer {spec} repetition {rep + 1} (load {load:.1f}): on " +
              " + ".join(f"{r[2]:.2f}" for r in on[-1]) + " CPU-s, off " + " + ".join(f"{r[2]:.2f}" for r in off[-1]) +
              " CPU-s", file=sys.stderr, flush=True)
    res = {"load_averages": loads + [os.getloadavg()[0]], "versions": []}
    for v in range(2):
        ratios = [a[v][2] / b[v][2] for a, b in zip(on, off)]
        res["versions"].append({
            "as_of": AS_OF[v],
            "on_cpu_seconds": statistics.median(r[v][2] for r in on),
            "off_cpu_seconds": statistics.median(r[v][2] for r in off),
            "cpu_ratio": statistics.median(ratios), "cpu_ratio_min": min(ratios), "cpu_ratio_max": max(ratios),
            "on_wall_seconds": statistics.median(r[v][0] for r in on),
            "off_wall_seconds": statistics.median(r[v][0] for r in off),
            "wall_ratio": statistics.median(a[v][0] / b[v][0] for a, b in zip(on, off)),
            "on_peak_mb": max(r[v][1] for r in on) / 1024, "off_peak_mb": max(r[v][1] for r in off) / 1024})
    both = [sum(r[2] for r in a) / sum(r[2] for r in b) for a, b in zip(on, off)]
    res["cpu_ratio_both_versions"] = statistics.median(both)
    return res


def print_layer(spec, res, reps):
    print(f"\nThe layer (profiles + KPIs + audits) on the {spec} spec, {reps} alternating repetitions (medians; "
          f"ratio = median of the repetitions' on/off ratios), 1-minute load average "
          f"{min(res['load_averages']):.1f}-{max(res['load_averages']):.1f}\n")
    print("| version | on CPU s | off CPU s | CPU ratio (min-max) | on wall s | off wall s | wall ratio | peak MB on / off |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- |")
    for v in res["versions"]:
        print(f"| as of {v['as_of']} | {v['on_cpu_seconds']:.2f} | {v['off_cpu_seconds']:.2f} | "
              f"{v['cpu_ratio']:.3f} ({v['cpu_ratio_min']:.3f}-{v['cpu_ratio_max']:.3f}) | {v['on_wall_seconds']:.2f} | "
              f"{v['off_wall_seconds']:.2f} | {v['wall_ratio']:.3f} | {v['on_peak_mb']:.0f} / {v['off_peak_mb']:.0f} |")
    print(f"\nBoth versions together: the layer costs {100 * (res['cpu_ratio_both_versions'] - 1):+.1f}% CPU "
          f"(budget: +10%)")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--customers", type=int, default=1_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--jobs", default="peer,layer", help="peer (against pandas), layer (profiles, KPIs, audits)")
    ap.add_argument("--layer-specs", default="flagship,lean", help="the layer job's specs: flagship, lean")
    args = ap.parse_args()
    jobs = args.jobs.split(",")
    os.makedirs(BENCH, exist_ok=True)
    subprocess.run(["make", "-s", "build"], cwd=ROOT, check=True)
    orders = ensure_data(args.customers)
    if "layer" in jobs:
        layer = {}
        for spec in args.layer_specs.split(","):
            layer[spec] = layer_job(spec, args.reps)
            print_layer(spec, layer[spec], args.reps)
        with open(os.path.join(BENCH, "layer.json"), "w") as f:
            json.dump(layer, f, indent=2)
    if "peer" in jobs:
        peer_job(args, orders)


def peer_job(args, orders):
    sqlbare = os.path.join(BENCH, "sqlbare")
    subprocess.run(["go", "build", "-tags", "duckdb_arrow", "-o", sqlbare, "./bench/sqlbare"], cwd=ROOT, check=True)
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
