#!/usr/bin/python3
"""Generate scikit-learn references for agglomerative clustering and DBSCAN on tie-heavy random data.

The main golden files (scripts/sklearn_golden.py) use continuous data, where exact distance ties are rare.
Customer data is full of them (integer counts, duplicate rows), and ties are where implementations differ:
which of two equally close clusters merges first, which cluster a border point joins. These small cases pin
segrun's tie-breaking to scikit-learn's. Run with Debian's interpreter and packages:

    /usr/bin/python3 scripts/sklearn_ties_golden.py algorithms/testdata/golden
"""
import json
import os
import sys

import numpy as np
from sklearn.cluster import DBSCAN, AgglomerativeClustering

OUT = sys.argv[1] if len(sys.argv) > 1 else "algorithms/testdata/golden"


def main():
    rng = np.random.RandomState(0)
    cases = []
    for t in range(90):
        n = int(rng.randint(2, 60))
        d = int(rng.randint(1, 4))
        kind = t % 3
        if kind == 0:
            X = rng.randint(0, 4, size=(n, d)).astype(float)  # a coarse grid: ties everywhere
        elif kind == 1:
            X = np.round(rng.randn(n, d), 1)  # rounded values: some ties, some duplicates
        else:
            X = rng.randn(n, d)
        k = int(rng.randint(1, n + 1))
        eps = float(rng.choice([0.3, 0.5, 1.0, 1.5]))
        min_samples = int(rng.randint(1, 8))
        case = {"X": X.tolist(), "k": k, "eps": eps, "min_samples": min_samples,
                "dbscan": DBSCAN(eps=eps, min_samples=min_samples).fit(X).labels_.tolist()}
        for linkage in ["ward", "average", "complete", "single"]:
            case[linkage] = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit(X).labels_.tolist()
        cases.append(case)
    with open(os.path.join(OUT, "ties_density.json"), "w") as f:
        json.dump({"cases": cases}, f, separators=(",", ":"))
        f.write("\n")


if __name__ == "__main__":
    main()
