#!/usr/bin/python3
"""Time scikit-learn on the data sets of segrun's DBSCAN and agglomerative benchmarks.

The Go side writes the data (deterministically generated, see algorithms/densitybench_test.go):

    SEGRUN_BENCH_DATA=.bench go test -run TestWriteDensityBenchData ./algorithms/
    /usr/bin/python3 scripts/sklearn_density_timing.py .bench
    go test -run '^$' -bench 'DBSCAN100k2D|HierarchicalWard10k' -benchtime 5x ./algorithms/

For each case it fits scikit-learn REPEAT times on the same rows (single process, default n_jobs, as
segrun's callers would run it), prints the best and median wall time, and checks that scikit-learn's labels
equal the labels segrun wrote, so the comparison is between equal results.
"""
import json
import os
import statistics
import sys
import time

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering

REPEAT = 5


def main():
    data_dir = sys.argv[1] if len(sys.argv) > 1 else ".bench"
    with open(os.path.join(data_dir, "density_bench.json")) as f:
        cases = json.load(f)
    for case in cases:
        X = np.fromfile(os.path.join(data_dir, case["name"] + ".f64"), dtype="<f8")
        X = X.reshape(case["rows"], case["cols"])
        if case["method"] == "dbscan":
            def fit():
                return DBSCAN(eps=case["eps"], min_samples=case["min_samples"]).fit(X).labels_
        else:
            def fit():
                return AgglomerativeClustering(n_clusters=case["k"], linkage=case["linkage"]).fit(X).labels_
        times = []
        for _ in range(REPEAT):
            start = time.perf_counter()
            labels = fit()
            times.append(time.perf_counter() - start)
        with open(os.path.join(data_dir, case["name"] + ".labels.json")) as f:
            same = np.array_equal(labels, np.array(json.load(f)))
        print(f"{case['name']}: best {min(times):.3f} s, median {statistics.median(times):.3f} s "
              f"over {REPEAT} fits; labels equal segrun's: {same}")


if __name__ == "__main__":
    main()
