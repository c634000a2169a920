#!/usr/bin/python3
"""Time segrun's clustering against scikit-learn on the same data, machine and run.

Run from the repository root with Debian's interpreter and packages (apt-get install python3-sklearn):

    /usr/bin/python3 scripts/bench_algorithms.py            # every case, each with its own repetitions
    /usr/bin/python3 scripts/bench_algorithms.py --reps 3 kmeans

For each case it generates a seeded dataset, writes it to .bench/<case>.f64 (raw little-endian float64,
row-major; shape in .bench/<case>.f64.json), times scikit-learn's fit on it, then runs the Go program
algorithms/bench (built once into .bench/algobench) on the same file, and prints one table: median wall-clock
seconds of each side, their ratio (segrun / sklearn; below 1 means segrun is faster) and the median of each
side's quality measures (inertia or mean log-likelihood, iterations), so that speed is never bought with a
worse fit unnoticed. Repetition r seeds both sides with r (random_state=r, -seed r), so that one lucky or
unlucky initialisation does not decide the comparison, and the sides alternate repetition by repetition, so
that a change of load on the machine weighs on both. Timings cover the fit only, not loading the data.

To benchmark another method, append a Case to CASES: how to make its data, how to fit and score it with
scikit-learn, the segrun method and params, and which quality measures to show.
"""
import argparse
import dataclasses
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from typing import Callable, Dict, List

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.datasets import make_blobs
from sklearn.mixture import GaussianMixture

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BENCH_DIR = os.path.join(ROOT, ".bench")


@dataclasses.dataclass
class Case:
    """One benchmark entry."""
    name: str
    # make(): the dataset as a C-contiguous float64 array.
    make: Callable[[], np.ndarray]
    k: int
    # sklearn_fit(X, k, seed): fits scikit-learn's estimator with random_state=seed and returns it.
    sklearn_fit: Callable[[np.ndarray, int, int], object]
    # sklearn_quality(estimator, X): quality measures by name, e.g. {"inertia": ...}.
    sklearn_quality: Callable[[object, np.ndarray], Dict[str, float]]
    # segrun method name and params (scikit-learn param names, as in a spec).
    method: str
    params: dict
    # go_quality(report): the same measures from segrun's ClusterReport (a dict from algobench's JSON).
    go_quality: Callable[[dict], Dict[str, float]]
    # reps: repetitions per side unless --reps says otherwise. k-means needs many: its iteration count from
    # a k-means++ seeding is heavy-tailed (5 to 60 on the kmeans case, on both sides alike), and a median over
    # few seeds mostly measures which side drew luckier seeds.
    reps: int = 5


def kmeans_data():
    X, _ = make_blobs(n_samples=1_000_000, n_features=8, centers=8, cluster_std=4.0, random_state=0)
    return np.ascontiguousarray(X, dtype=np.float64)


def dbscan_data():
    X, _ = make_blobs(n_samples=100_000, n_features=2, centers=6, cluster_std=0.6, random_state=2)
    return np.ascontiguousarray(X, dtype=np.float64)


def ward_data():
    X, _ = make_blobs(n_samples=10_000, n_features=4, centers=8, cluster_std=1.5, random_state=3)
    return np.ascontiguousarray(X, dtype=np.float64)


def gmm_data():
    X, _ = make_blobs(n_samples=1_000_000, n_features=4, centers=4, cluster_std=2.0, random_state=1)
    return np.ascontiguousarray(X, dtype=np.float64)


CASES: List[Case] = [
    Case(
        name="kmeans",
        make=kmeans_data,
        k=8,
        sklearn_fit=lambda X, k, seed: KMeans(n_clusters=k, n_init=1, algorithm="lloyd",
                                             random_state=seed).fit(X),
        sklearn_quality=lambda est, X: {"inertia": est.inertia_, "n_iter": est.n_iter_},
        method="kmeans",
        params={"n_init": 1},
        go_quality=lambda r: {"inertia": r["inertia"], "n_iter": r["n_iter"]},
        reps=21,
    ),
    Case(
        name="minibatch",
        make=kmeans_data,
        k=8,
        sklearn_fit=lambda X, k, seed: MiniBatchKMeans(n_clusters=k, n_init=3, batch_size=1024,
                                                      random_state=seed).fit(X),
        sklearn_quality=lambda est, X: {"inertia": est.inertia_, "n_iter": est.n_iter_},
        method="minibatch_kmeans",
        params={"n_init": 3, "batch_size": 1024},
        go_quality=lambda r: {"inertia": r["inertia"], "n_iter": r["n_iter"]},
        reps=21,
    ),
    Case(
        name="gmm",
        make=gmm_data,
        k=4,
        sklearn_fit=lambda X, k, seed: GaussianMixture(n_components=k, covariance_type="full", n_init=1,
                                                       random_state=seed).fit(X),
        sklearn_quality=lambda est, X: {"log_likelihood": est.score(X), "n_iter": est.n_iter_},
        method="gmm",
        params={"covariance_type": "full", "n_init": 1},
        go_quality=lambda r: {"log_likelihood": r["log_likelihood"], "n_iter": r["n_iter"]},
    ),
    Case(
        name="dbscan",
        make=dbscan_data,
        k=0,
        sklearn_fit=lambda X, k, seed: DBSCAN(eps=0.1, min_samples=10).fit(X),
        sklearn_quality=lambda est, X: {"clusters": len(set(est.labels_) - {-1}), "noise": int((est.labels_ == -1).sum())},
        method="dbscan",
        params={"eps": 0.1, "min_samples": 10},
        go_quality=lambda r: {"clusters": r.get("clusters", 0)},
        reps=5,
    ),
    Case(
        name="ward",
        make=ward_data,
        k=8,
        sklearn_fit=lambda X, k, seed: AgglomerativeClustering(n_clusters=k, linkage="ward").fit(X),
        sklearn_quality=lambda est, X: {"clusters": len(set(est.labels_))},
        method="hierarchical",
        params={"linkage": "ward"},
        go_quality=lambda r: {"clusters": r.get("clusters", 0)},
        reps=3,
    ),
]


def write_dataset(name, X):
    path = os.path.join(BENCH_DIR, name + ".f64")
    X.astype("<f8", copy=False).tofile(path)
    with open(path + ".json", "w") as f:
        json.dump({"rows": X.shape[0], "cols": X.shape[1]}, f)
    return path


def build_go():
    binary = os.path.join(BENCH_DIR, "algobench")
    go = shutil.which("go") or "/usr/local/go/bin/go"
    subprocess.run([go, "build", "-o", binary, "./algorithms/bench"], cwd=ROOT, check=True)
    return binary


def median_quality(qualities):
    return {key: statistics.median(q[key] for q in qualities) for key in qualities[0]}


def time_sklearn_once(case, X, seed):
    start = time.perf_counter()
    est = case.sklearn_fit(X, case.k, seed)
    return time.perf_counter() - start, case.sklearn_quality(est, X)


def time_segrun_once(binary, case, path, seed):
    out = subprocess.run([binary, "-data", path, "-method", case.method, "-k", str(case.k),
                          "-params", json.dumps(case.params), "-reps", "1", "-seed", str(seed)],
                         check=True, capture_output=True, text=True).stdout
    rep = json.loads(out)["reps"][0]
    return rep["seconds"], case.go_quality({**rep["report"], "clusters": rep["clusters"]})


def compare(binary, case, X, path, reps):
    """Alternates the two sides, repetition by repetition, so that a change in the machine's load during
    the run weighs on both alike. Returns median seconds and median quality of each side."""
    sk_s, sk_q, go_s, go_q = [], [], [], []
    for rep in range(reps):
        s, q = time_sklearn_once(case, X, rep)
        sk_s.append(s)
        sk_q.append(q)
        s, q = time_segrun_once(binary, case, path, rep)
        go_s.append(s)
        go_q.append(q)
    return statistics.median(sk_s), median_quality(sk_q), statistics.median(go_s), median_quality(go_q)


def fmt_quality(q):
    return ", ".join(f"{k}={v:.6g}" for k, v in q.items())


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--reps", type=int, default=0,
                    help="repetitions per side (default: each case's own); the median is reported")
    ap.add_argument("cases", nargs="*", help="case names (default: all)")
    args = ap.parse_args()
    chosen = [c for c in CASES if not args.cases or c.name in args.cases]
    if not chosen:
        sys.exit(f"no such case; known: {[c.name for c in CASES]}")
    os.makedirs(BENCH_DIR, exist_ok=True)
    binary = build_go()
    rows = []
    for case in chosen:
        X = case.make()
        path = write_dataset(case.name, X)
        sk_s, sk_q, go_s, go_q = compare(binary, case, X, path, args.reps or case.reps)
        rows.append((case.name, f"{X.shape[0]}x{X.shape[1]}", case.k, sk_s, go_s, go_s / sk_s, sk_q, go_q))
        print(f"done {case.name}", file=sys.stderr, flush=True)
    print(f"{'method':<10} {'data':<12} {'k':>3} {'sklearn s':>10} {'segrun s':>10} {'ratio':>7}  "
          f"sklearn quality (median) | segrun quality (median)")
    for name, shape, k, sk_s, go_s, ratio, sk_q, go_q in rows:
        print(f"{name:<10} {shape:<12} {k:>3} {sk_s:>10.3f} {go_s:>10.3f} {ratio:>7.2f}  "
              f"{fmt_quality(sk_q)} | {fmt_quality(go_q)}")


if __name__ == "__main__":
    main()
