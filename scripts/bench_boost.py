#!/usr/bin/python3
"""Time segrun's boosted trees against scikit-learn's HistGradientBoostingClassifier on the same data,
machine and run.

    /usr/bin/python3 scripts/bench_boost.py [--rows 1000000] [--cols 10] [--reps 3]

Generates a seeded binary problem with a nonlinear logit (interactions, a threshold and a sine: what trees
are for), writes it to .bench/boost.f64 (raw little-endian float64, row-major, label last; --rows rows are
fitted and a quarter as many more tested), times HistGradientBoostingClassifier(early_stopping=False) with its
defaults (100 iterations, 31 leaves, learning rate 0.1, 255 bins) and algorithms/bench/boostbench with
the same defaults, alternating, and prints the median fit seconds of each (wall and CPU: on a shared,
loaded machine the CPU seconds compare better), their ratio and each side's test ROC AUC, so speed is not
bought with a worse fit unnoticed. Timings cover the fit only.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.metrics import roc_auc_score


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(11)
    total = a.rows + a.rows // 4
    X = rng.normal(size=(total, a.cols))
    logit = (1.5 * X[:, 0] * X[:, 1] + 2.0 * (X[:, 2] > 0.5) + np.sin(2 * X[:, 3]) - 0.7 * X[:, 4] ** 2
             + 0.5 * X[:, 5] - 0.3)
    y = (rng.random(total) < 1 / (1 + np.exp(-logit))).astype(float)
    train = a.rows
    os.makedirs(".bench", exist_ok=True)
    path = ".bench/boost.f64"
    np.column_stack([X, y]).astype("<f8").tofile(path)
    with open(path + ".json", "w") as f:
        json.dump({"rows": total, "cols": a.cols + 1, "train": train}, f)
    subprocess.run(["go", "build", "-o", ".bench/boostbench", "./algorithms/bench/boostbench"], check=True)
    sk_seconds, go_seconds, sk_cpu, go_cpu = [], [], [], []
    for _ in range(a.reps):
        start, start_cpu = time.perf_counter(), time.process_time()
        model = HistGradientBoostingClassifier(early_stopping=False, random_state=0).fit(X[:train], y[:train])
        sk_seconds.append(time.perf_counter() - start)
        sk_cpu.append(time.process_time() - start_cpu)
        out = subprocess.run([".bench/boostbench", "-data", path, "-reps", "1"], check=True, capture_output=True, text=True)
        go = json.loads(out.stdout)
        go_seconds.append(go["seconds"][0])
        go_cpu.append(go["cpu_seconds"][0])
    sk_auc = roc_auc_score(y[train:], model.predict_proba(X[train:])[:, 1])
    sk, gm = statistics.median(sk_seconds), statistics.median(go_seconds)
    skc, gmc = statistics.median(sk_cpu), statistics.median(go_cpu)
    print(f"boosted trees, {train:,} x {a.cols} fitted ({total - train:,} tested), 100 iterations, 31 leaves; medians of {a.reps}")
    print(f"  wall: scikit-learn {sk:.3f} s   segrun {gm:.3f} s   ratio {gm / sk:.2f}")
    print(f"  CPU:  scikit-learn {skc:.3f} s   segrun {gmc:.3f} s   ratio {gmc / skc:.2f}")
    print(f"  test ROC AUC: scikit-learn {sk_auc:.5f}   segrun {go['roc_auc']:.5f}")
    print("  wall seconds: scikit-learn", [round(s, 3) for s in sk_seconds], " segrun", [round(s, 3) for s in go_seconds])
    print("  CPU seconds: scikit-learn", [round(s, 3) for s in sk_cpu], " segrun", [round(s, 3) for s in go_cpu])


if __name__ == "__main__":
    main()
