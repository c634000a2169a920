#!/usr/bin/python3
"""Time segrun's logistic regression against scikit-learn's lbfgs on the same data, machine and run.

    /usr/bin/python3 scripts/bench_models.py [--rows 1000000] [--cols 10] [--reps 3]

Generates a seeded binary problem (standardised-scale features, a linear logit), writes it to
.bench/logistic.f64 (raw little-endian float64, row-major, label last), times
LogisticRegression(C=1, solver="lbfgs") (its default tol) and algorithms/bench/logisticbench on it,
alternating, and prints the median seconds of each, their ratio, iterations, and how far apart the two
solutions are (largest coefficient difference, and each side's objective C·Σloss + ½‖w‖²), so speed is not
bought with a worse fit unnoticed. Timings cover the fit only.
"""
import argparse
import json
import os
import statistics
import subprocess
import time

import numpy as np
from sklearn.linear_model import LogisticRegression


def objective(X, y, C, w, b):
    z = X @ w + b
    return C * np.sum(np.logaddexp(0, z) - y * z) + 0.5 * w @ w


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--cols", type=int, default=10)
    ap.add_argument("--reps", type=int, default=3)
    a = ap.parse_args()
    rng = np.random.default_rng(7)
    X = rng.normal(size=(a.rows, a.cols))
    w = rng.normal(size=a.cols)
    y = (rng.random(a.rows) < 1 / (1 + np.exp(-(X @ w - 0.5)))).astype(float)
    os.makedirs(".bench", exist_ok=True)
    path = ".bench/logistic.f64"
    np.column_stack([X, y]).astype("<f8").tofile(path)
    with open(path + ".json", "w") as f:
        json.dump({"rows": a.rows, "cols": a.cols + 1}, f)
    subprocess.run(["go", "build", "-o", ".bench/logisticbench", "./algorithms/bench/logisticbench"], check=True)
    sk_seconds, go_seconds, sk_iters = [], [], []
    for _ in range(a.reps):
        start = time.perf_counter()
        lr = LogisticRegression(C=1.0, solver="lbfgs").fit(X, y)
        sk_seconds.append(time.perf_counter() - start)
        sk_iters.append(int(lr.n_iter_[0]))
        out = subprocess.run([".bench/logisticbench", "-data", path, "-reps", "1"], check=True, capture_output=True, text=True)
        go = json.loads(out.stdout)
        go_seconds.append(go["seconds"][0])
    gw, gb = np.array(go["coef"]), go["intercept"]
    sk, gm = statistics.median(sk_seconds), statistics.median(go_seconds)
    print(f"logistic regression, {a.rows:,} x {a.cols}, C=1, lbfgs; medians of {a.reps}")
    print(f"  scikit-learn {sk:.3f} s ({sk_iters[-1]} iterations)   segrun {gm:.3f} s ({go['iterations'][0]} iterations)   ratio {gm / sk:.2f}")
    print(f"  largest coefficient difference {np.max(np.abs(np.append(gw - lr.coef_[0], gb - lr.intercept_[0]))):.2e}")
    print(f"  objective: scikit-learn {objective(X, y, 1.0, lr.coef_[0], lr.intercept_[0]):.6f}   segrun {objective(X, y, 1.0, gw, gb):.6f}")
    print("  seconds: scikit-learn", [round(s, 3) for s in sk_seconds], " segrun", [round(s, 3) for s in go_seconds])


if __name__ == "__main__":
    main()
