#!/usr/bin/python3
"""Independent reference for segrun's consensus clustering (algorithms/consensus.go).

Run with Debian's interpreter and packages:

    /usr/bin/python3 scripts/consensus_reference.py algorithms/testdata/golden

For each case it writes the members' labelings (scikit-learn fits on a fixed seeded input), the co-association
distance 1 - co-association computed with numpy, SciPy's average linkage of it and its cut into k clusters
(scipy.cluster.hierarchy.cut_tree), so that the Go test, given the same member labelings, must reach the same
partition without Python.
"""
import json
import os
import sys

import numpy as np
from scipy.cluster.hierarchy import cut_tree, linkage
from sklearn.cluster import AgglomerativeClustering, KMeans
from sklearn.datasets import make_blobs
from sklearn.metrics import adjusted_rand_score
from sklearn.mixture import GaussianMixture

OUT = sys.argv[1] if len(sys.argv) > 1 else "algorithms/testdata/golden"


def consensus(labelings, k):
    L = np.asarray(labelings)            # members x rows
    m, n = L.shape
    agree = np.zeros((n, n))
    for lab in L:
        agree += lab[:, None] == lab[None, :]
    iu = np.triu_indices(n, 1)
    condensed = (m - agree[iu]) / m      # 1 - co-association, as the Go code computes it
    Z = linkage(condensed, method="average")
    return cut_tree(Z, n_clusters=k).ravel(), condensed


def case(name, X, truth, members, k):
    labelings = [list(map(int, lab)) for _, lab in members]
    labels, condensed = consensus(labelings, k)
    out = {
        "k": k,
        "members": [n for n, _ in members],
        "labelings": labelings,
        "consensus": list(map(int, labels)),
        "truth": list(map(int, truth)),
        "consensus_ari_vs_truth": adjusted_rand_score(truth, labels),
        "member_ari_vs_consensus": [adjusted_rand_score(lab, labels) for lab in labelings],
        "distance_sum": float(condensed.sum()),
    }
    with open(os.path.join(OUT, f"consensus_{name}.json"), "w") as f:
        json.dump(out, f)
    print(name, "consensus ARI vs truth", out["consensus_ari_vs_truth"], "members vs consensus",
          [round(a, 3) for a in out["member_ari_vs_consensus"]])


def main():
    # Overlapping blobs: members disagree at the borders, the consensus must still find the three groups.
    X, y = make_blobs(n_samples=240, centers=[[0, 0], [4, 0], [2, 3.5]], cluster_std=1.1, random_state=11)
    members = [(f"kmeans_seed{s}", KMeans(3, n_init=1, init="random", random_state=s).fit_predict(X)) for s in range(4)]
    members.append(("kmeans_k5", KMeans(5, n_init=1, random_state=0).fit_predict(X)))
    members.append(("gmm", GaussianMixture(3, random_state=0).fit(X).predict(X)))
    members.append(("ward", AgglomerativeClustering(3).fit_predict(X)))
    members.append(("kmeans_x_only", KMeans(3, n_init=1, random_state=0).fit_predict(X[:, :1])))
    case("blobs", X, y, members, 3)

    # Noisy members (k from 2 to 7, random seeds, on overlapping blobs): many distinct co-association
    # values, where average linkage's partition differs from complete and single linkage's (printed).
    X, y = make_blobs(n_samples=300, centers=4, cluster_std=2.2, random_state=3)
    rng = np.random.default_rng(8)
    members = []
    for i in range(12):
        kk = int(rng.integers(2, 8))
        members.append((f"kmeans_k{kk}_{i}", KMeans(kk, n_init=1, init="random", random_state=int(rng.integers(1000))).fit_predict(X)))
    case("noisy", X, y, members, 4)
    labs = [lab for _, lab in members]
    avg, condensed = consensus(labs, 4)
    for method in ("complete", "single", "weighted"):
        other = cut_tree(linkage(condensed, method=method), n_clusters=4).ravel()
        print("  noisy: ARI of average against", method, "linkage:", round(adjusted_rand_score(avg, other), 3))

    # Disagreeing members: half split on x, half on y, of a 2 x 2 grid; the consensus is what average
    # linkage makes of the ties.
    rng = np.random.default_rng(5)
    X = np.vstack([rng.normal([cx, cy], 0.4, size=(30, 2)) for cx in (0, 3) for cy in (0, 3)])
    truth = np.repeat(np.arange(4), 30)
    by_x = (X[:, 0] > 1.5).astype(int)
    by_y = (X[:, 1] > 1.5).astype(int)
    members = [("split_x", by_x), ("split_y", by_y), ("split_x_again", by_x), ("split_y_again", by_y)]
    case("disagree", X, truth, members, 2)


if __name__ == "__main__":
    main()
