#!/usr/bin/python3
"""Generate scikit-learn reference results for segrun's algorithms tests.

Run with Debian's interpreter and packages (apt-get install python3-sklearn):

    /usr/bin/python3 scripts/sklearn_golden.py algorithms/testdata/golden

Every input is fixed (seeded generators, or datasets bundled with scikit-learn), and each output file holds both
the input matrix and the reference results, so the Go tests need no Python. Regenerate after changing this
script, and commit the script and its outputs together.
"""
import json
import os
import sys

import numpy as np
import sklearn
from sklearn import datasets
from sklearn.cluster import DBSCAN, AgglomerativeClustering, KMeans, MiniBatchKMeans
from sklearn.decomposition import PCA
from sklearn.impute import SimpleImputer
from sklearn.metrics import (adjusted_rand_score, calinski_harabasz_score, davies_bouldin_score,
                             silhouette_samples, silhouette_score)
from sklearn.mixture import GaussianMixture
from sklearn.preprocessing import MinMaxScaler, RobustScaler, StandardScaler
from sklearn.tree import DecisionTreeClassifier

OUT = sys.argv[1] if len(sys.argv) > 1 else "algorithms/testdata/golden"


def dump(name, obj):
    def conv(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, (np.integer,)):
            return int(o)
        if isinstance(o, (np.floating,)):
            return float(o)
        raise TypeError(type(o))
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(obj, f, default=conv, separators=(",", ":"))
        f.write("\n")


def make_datasets():
    """The fixed inputs: name -> (X, y, k)."""
    ds = {}
    X, y = datasets.make_blobs(n_samples=600, centers=4, n_features=3, cluster_std=1.0, random_state=7)
    ds["blobs"] = (X, y, 4)
    X, y = datasets.make_blobs(n_samples=500, random_state=170)
    ds["aniso"] = (X @ np.array([[0.6, -0.6], [-0.4, 0.8]]), y, 3)
    X, y = datasets.make_blobs(n_samples=1500, cluster_std=[1.0, 2.5, 0.5], random_state=170)
    idx = np.concatenate([np.where(y == 0)[0][:500], np.where(y == 1)[0][:100], np.where(y == 2)[0][:10]])
    ds["uneven"] = (X[idx], y[idx], 3)
    X, y = datasets.make_moons(n_samples=500, noise=0.06, random_state=0)
    rng = np.random.RandomState(3)
    outliers = rng.uniform(low=[-1.5, -1.0], high=[2.5, 1.5], size=(25, 2))
    ds["moons"] = (np.vstack([X, outliers]), np.concatenate([y, -np.ones(25, dtype=int)]), 2)
    iris = datasets.load_iris()
    ds["iris"] = (iris.data, iris.target, 3)
    wine = datasets.load_wine()
    ds["wine"] = (wine.data, wine.target, 3)
    return ds


def metrics(X, labels):
    return {
        "silhouette": silhouette_score(X, labels),
        "silhouette_samples": silhouette_samples(X, labels),
        "davies_bouldin": davies_bouldin_score(X, labels),
        "calinski_harabasz": calinski_harabasz_score(X, labels),
    }


def main():
    os.makedirs(OUT, exist_ok=True)
    ds = make_datasets()
    dump("versions", {"sklearn": sklearn.__version__, "numpy": np.__version__})
    for name, (X, y, k) in ds.items():
        dump("dataset_" + name, {"name": name, "X": X, "y": y, "k": k})

    # Preprocessing on wine: scalers, imputers, quantile clipping, PCA.
    X = ds["wine"][0]
    Xs = StandardScaler().fit_transform(X)
    rob = RobustScaler().fit(X)
    Xmiss = X.copy()
    rng = np.random.RandomState(11)
    mask = rng.rand(*X.shape) < 0.08
    Xmiss[mask] = np.nan
    lo, hi = np.quantile(X, 0.05, axis=0), np.quantile(X, 0.95, axis=0)
    pca2 = PCA(n_components=2).fit(Xs)
    pca90 = PCA(n_components=0.9).fit(Xs)
    pca_all = PCA().fit(Xs)
    dump("preprocess_wine", {
        "X": X,
        "standard": Xs,
        "standard_mean": StandardScaler().fit(X).mean_,
        "standard_scale": StandardScaler().fit(X).scale_,
        "minmax": MinMaxScaler().fit_transform(X),
        "robust": rob.transform(X),
        "robust_center": rob.center_,
        "robust_scale": rob.scale_,
        "log1p": np.log1p(X),
        "X_missing": np.where(np.isnan(Xmiss), None, Xmiss),
        "impute_mean": SimpleImputer(strategy="mean").fit_transform(Xmiss),
        "impute_median": SimpleImputer(strategy="median").fit_transform(Xmiss),
        "clip_quantiles": [0.05, 0.95],
        "clipped": np.clip(X, lo, hi),
        "pca2_components": pca2.components_,
        "pca2_explained_variance": pca2.explained_variance_,
        "pca2_explained_variance_ratio": pca2.explained_variance_ratio_,
        "pca2_transformed": pca2.transform(Xs),
        "pca90_n_components": pca90.n_components_,
        "pca90_explained_variance_ratio": pca90.explained_variance_ratio_,
        "pca_all_explained_variance": pca_all.explained_variance_,
    })

    # k-means and mini-batch k-means: labels, inertia, centres; metrics of the labels found.
    for name in ["blobs", "aniso", "uneven", "iris", "wine"]:
        X, y, k = ds[name]
        if name == "wine":
            X = StandardScaler().fit_transform(X)
        km = KMeans(n_clusters=k, n_init=10, random_state=0, algorithm="lloyd").fit(X)
        mb = MiniBatchKMeans(n_clusters=k, n_init=3, random_state=0, batch_size=1024).fit(X)
        dump("kmeans_" + name, {
            "X": X, "k": k, "n_init": 10,
            "labels": km.labels_, "inertia": km.inertia_, "centers": km.cluster_centers_,
            "minibatch_labels": mb.labels_, "minibatch_inertia": mb.inertia_,
            "metrics_true": metrics(X, y), "metrics_kmeans": metrics(X, km.labels_),
        })

    # Choosing k: silhouette, Calinski-Harabasz and Davies-Bouldin of k-means for each k.
    X = ds["blobs"][0]
    table = []
    for k in range(2, 8):
        lab = KMeans(n_clusters=k, n_init=10, random_state=0).fit(X).labels_
        table.append({"k": k, "silhouette": silhouette_score(X, lab),
                      "calinski_harabasz": calinski_harabasz_score(X, lab),
                      "davies_bouldin": davies_bouldin_score(X, lab)})
    dump("kselect_blobs", {"X": X, "table": table})

    # Agglomerative clustering, every linkage; deterministic, so the partitions must agree exactly.
    for name in ["blobs", "aniso", "uneven", "iris"]:
        X, y, k = ds[name]
        out = {"X": X, "k": k}
        for linkage in ["ward", "average", "complete", "single"]:
            out[linkage] = AgglomerativeClustering(n_clusters=k, linkage=linkage).fit(X).labels_
        dump("hierarchical_" + name, out)

    # DBSCAN: moons with noise, and blobs after standard scaling.
    X = ds["moons"][0]
    dump("dbscan_moons", {"X": X, "eps": 0.15, "min_samples": 5,
                          "labels": DBSCAN(eps=0.15, min_samples=5).fit(X).labels_})
    X = StandardScaler().fit_transform(ds["blobs"][0])
    dump("dbscan_blobs", {"X": X, "eps": 0.3, "min_samples": 10,
                          "labels": DBSCAN(eps=0.3, min_samples=10).fit(X).labels_})

    # Gaussian mixtures, full and diagonal covariance, k-means initialisation.
    for name in ["blobs", "iris", "aniso"]:
        X, y, k = ds[name]
        out = {"X": X, "k": k}
        for cov in ["full", "diag"]:
            g = GaussianMixture(n_components=k, covariance_type=cov, random_state=0, n_init=1,
                                init_params="kmeans").fit(X)
            out[cov] = {"labels": g.predict(X), "proba": g.predict_proba(X), "weights": g.weights_,
                        "means": g.means_, "covariances": g.covariances_, "bic": g.bic(X),
                        "mean_log_likelihood": g.score(X), "lower_bound": g.lower_bound_,
                        "n_iter": g.n_iter_, "converged": g.converged_}
        dump("gmm_" + name, out)

    # Adjusted Rand index on fixed label pairs, including noise labels and disjoint label sets.
    rng = np.random.RandomState(5)
    pairs = [
        ([0, 0, 1, 1, 2, 2], [1, 1, 0, 0, 2, 2]),
        ([0, 0, 1, 1], [0, 1, 0, 1]),
        ([0, 0, 0, 0], [0, 0, 0, 0]),
        ([0, 1, 2, 3], [0, 0, 0, 0]),
        ([-1, 0, 0, 1, 1, -1], [0, 0, 0, 1, 1, 1]),
        (list(rng.randint(0, 4, 300)), list(rng.randint(0, 5, 300))),
    ]
    dump("ari", {"pairs": [{"a": a, "b": b, "ari": adjusted_rand_score(a, b)} for a, b in pairs]})

    # A shallow decision tree that explains k-means clusters on iris: its fidelity (training accuracy).
    X, y, k = ds["iris"]
    lab = KMeans(n_clusters=3, n_init=10, random_state=0).fit(X).labels_
    tree = DecisionTreeClassifier(max_depth=3, random_state=0).fit(X, lab)
    dump("tree_iris", {"X": X, "labels": lab, "max_depth": 3, "fidelity": tree.score(X, lab),
                       "n_leaves": tree.get_n_leaves()})


if __name__ == "__main__":
    main()
