#!/usr/bin/python3
"""Generate scikit-learn reference results for segrun's models (algorithms/logistic.go, linear.go,
model_encode.go, model_metrics.go, model_split.go).

    /usr/bin/python3 scripts/models_golden.py algorithms/testdata/golden

Data sets differ from the clustering tests' (iris, wine, blobs): scikit-learn's bundled breast_cancer
(binary) and diabetes (regression), and seeded synthetic sets with a text feature. Each file holds the raw
features, the labels, the seeded split (recomputed here independently of the Go code), scikit-learn's
coefficients, its predictions on the test rows and its metrics of those predictions, so the Go tests need
no Python. Commit the script and its outputs together.
"""
import json
import os
import sys

import numpy as np
import sklearn
from scipy.optimize import minimize
from sklearn import datasets
from sklearn.calibration import calibration_curve
from sklearn.linear_model import LinearRegression, LogisticRegression, Ridge
from sklearn.ensemble import HistGradientBoostingClassifier, HistGradientBoostingRegressor
from sklearn.tree import DecisionTreeClassifier, DecisionTreeRegressor
from sklearn.metrics import (accuracy_score, confusion_matrix, f1_score, log_loss, mean_absolute_error,
                             mean_squared_error, precision_score, r2_score, recall_score, roc_auc_score)

OUT = sys.argv[1] if len(sys.argv) > 1 else "algorithms/testdata/golden"
M64 = (1 << 64) - 1


def fnv1a64(text):
    h = 0xcbf29ce484222325
    for b in text.encode():
        h ^= b
        h = (h * 0x100000001b3) & M64
    return h


def splitmix64(x):
    x = (x + 0x9e3779b97f4a7c15) & M64
    x = ((x ^ (x >> 30)) * 0xbf58476d1ce4e5b9) & M64
    x = ((x ^ (x >> 27)) * 0x94d049bb133111eb) & M64
    return x ^ (x >> 31)


def in_test(entity, seed, share):
    return (splitmix64(fnv1a64(entity) ^ seed) >> 11) / float(1 << 53) < share


def design(numeric, text, train):
    """StandardScaler on the numeric columns (fitted on train) and OneHotEncoder(drop='first') on text,
    written out by hand so the encoding is explicit: sorted levels, the first dropped."""
    cols = []
    for x in numeric:
        mu = x[train].mean()
        sd = x[train].std()
        cols.append((x - mu) / (sd if sd > 0 else 1.0))
    for t in text:
        levels = sorted(set(t[train]))
        for level in levels[1:]:
            cols.append((t == level).astype(float))
    return np.column_stack(cols)


def lift(score, hit):
    order = np.argsort(-score, kind="stable")
    base = hit.mean()
    out, captured = [], 0
    for d, part in enumerate(np.array_split(order, 10)):
        if len(part) == 0:
            continue
        pos = int(hit[part].sum())
        captured += pos
        out.append({"decile": d + 1, "rows": len(part), "positives": pos, "rate": pos / len(part),
                    "lift": (pos / len(part)) / base, "captured": captured / hit.sum()})
    return out


def class_metrics(y, proba, classes):
    pred = proba.argmax(axis=1)
    k = len(classes)
    m = {"rows": len(y), "accuracy": accuracy_score(y, pred), "log_loss": log_loss(y, proba, labels=list(range(k))),
         "confusion": confusion_matrix(y, pred, labels=list(range(k))).tolist()}
    if k == 2:
        m["precision"] = precision_score(y, pred, zero_division=0)
        m["recall"] = recall_score(y, pred, zero_division=0)
        m["f1"] = f1_score(y, pred, zero_division=0)
        m["roc_auc"] = roc_auc_score(y, proba[:, 1])
        prob_true, prob_pred = calibration_curve(y, proba[:, 1], n_bins=10, strategy="uniform")
        m["calibration_observed"] = prob_true.tolist()
        m["calibration_predicted"] = prob_pred.tolist()
        m["lift"] = lift(proba[:, 1], y == 1)
    else:
        m["precision"] = precision_score(y, pred, average="macro", zero_division=0)
        m["recall"] = recall_score(y, pred, average="macro", zero_division=0)
        m["f1"] = f1_score(y, pred, average="macro", zero_division=0)
        m["roc_auc"] = roc_auc_score(y, proba, multi_class="ovr", average="macro")
    return m


def dump(name, obj):
    def conv(o):
        if isinstance(o, np.ndarray):
            return o.tolist()
        if isinstance(o, np.integer):
            return int(o)
        if isinstance(o, np.floating):
            return float(o)
        if isinstance(o, np.bool_):
            return bool(o)
        raise TypeError(type(o))
    obj["sklearn"] = sklearn.__version__
    with open(os.path.join(OUT, name + ".json"), "w") as f:
        json.dump(obj, f, default=conv, separators=(",", ":"))
        f.write("\n")


def split(n, seed, share):
    test = np.array([in_test(str(i), seed, share) for i in range(n)])
    return ~test, test


def polish(X, y, C, coef, intercept):
    """scikit-learn's objective, C * sum of losses + ||coef||^2 / 2, minimised further from its solution.
    Its lbfgs stops when an iteration improves the objective by less than 64 machine epsilons relative (its
    ftol), which leaves coefficients up to ~1e-4 from the optimum however small tol is; this finds the
    optimum to a gradient of ~1e-7, so the Go tests can tell scikit-learn's own distance from it."""
    k, p = coef.shape

    def f(v):
        W = v.reshape(k, p + 1)
        Z = X @ W[:, :p].T + W[:, p]
        if k == 1:
            z = Z[:, 0]
            loss = np.sum(np.logaddexp(0, z) - y * z)
            d = (1 / (1 + np.exp(-z)) - y)[:, None]
        else:
            m = Z.max(1, keepdims=True)
            e = np.exp(Z - m)
            s = e.sum(1, keepdims=True)
            loss = np.sum(np.log(s[:, 0]) + m[:, 0] - Z[np.arange(len(y)), y])
            d = e / s
            d[np.arange(len(y)), y] -= 1
        G = np.column_stack([d.T @ X, d.sum(0)])
        G *= C
        G[:, :p] += W[:, :p]
        return C * loss + 0.5 * np.sum(W[:, :p] ** 2), G.ravel()

    v0 = np.column_stack([coef, intercept]).ravel()
    gradient = float(np.abs(f(v0)[1]).max())
    r = minimize(f, v0, jac=True, method="L-BFGS-B", options=dict(gtol=1e-13, ftol=0, maxiter=100000, maxls=100))
    W = r.x.reshape(k, p + 1)
    return W[:, :p], W[:, p], gradient, float(np.abs(r.jac).max())


def logistic_case(name, numeric, names, text, text_names, y, classes, C, seed, share):
    n = len(y)
    train, test = split(n, seed, share)
    X = design(numeric, text, train)
    lr = LogisticRegression(C=C, solver="lbfgs", tol=1e-12, max_iter=100000).fit(X[train], y[train])
    proba = lr.predict_proba(X[test])
    opt_coef, opt_intercept, sk_gradient, opt_gradient = polish(X[train], y[train], C, lr.coef_, lr.intercept_)
    dump(name, {"numeric": [x.tolist() for x in numeric], "numeric_names": names,
                "text": [t.tolist() for t in text], "text_names": text_names,
                "y": y.tolist(), "classes": classes, "C": C, "seed": seed, "test_share": share,
                "test": test.tolist(), "coef": lr.coef_, "intercept": lr.intercept_,
                "sklearn_gradient": sk_gradient, "optimum_coef": opt_coef, "optimum_intercept": opt_intercept,
                "optimum_gradient": opt_gradient,
                "test_proba": proba, "metrics": class_metrics(y[test], proba, classes)})


def linear_case(name, numeric, names, text, text_names, y, alpha, seed, share):
    n = len(y)
    train, test = split(n, seed, share)
    X = design(numeric, text, train)
    model = LinearRegression() if alpha == 0 else Ridge(alpha=alpha, solver="cholesky")
    model.fit(X[train], y[train])
    pred = model.predict(X[test])
    dump(name, {"numeric": [x.tolist() for x in numeric], "numeric_names": names,
                "text": [t.tolist() for t in text], "text_names": text_names,
                "y": y.tolist(), "alpha": alpha, "seed": seed, "test_share": share, "test": test.tolist(),
                "coef": model.coef_, "intercept": model.intercept_, "test_pred": pred,
                "metrics": {"rows": int(test.sum()), "rmse": mean_squared_error(y[test], pred) ** 0.5,
                            "mae": mean_absolute_error(y[test], pred), "r2": r2_score(y[test], pred)}})


def tree_case(name, numeric, names, y, max_depth, min_leaf, seed, share):
    """A classification tree on the design matrix itself, rounded to float32 (scikit-learn's trees compute
    in float32): the Go test grows its tree on these exact values."""
    n = len(y)
    train, test = split(n, seed, share)
    X = design(numeric, [], train).astype(np.float32).astype(np.float64)
    tree = DecisionTreeClassifier(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=0).fit(X[train], y[train])
    proba = tree.predict_proba(X[test])
    dump(name, {"X": X, "y": y.tolist(), "seed": seed, "test_share": share, "test": test.tolist(),
                "max_depth": max_depth, "min_samples_leaf": min_leaf, "node_count": int(tree.tree_.node_count),
                "importances": tree.feature_importances_, "test_proba": proba,
                "accuracy": accuracy_score(y[test], proba.argmax(axis=1))})


def regression_tree_case(name, numeric, y, max_depth, min_leaf, seed, share):
    """A regression tree on tie-free data (continuous features and label), on float32-rounded values as
    tree_case: the structure, importances and predictions are compared exactly."""
    n = len(y)
    train, test = split(n, seed, share)
    X = design(numeric, [], train).astype(np.float32).astype(np.float64)
    tree = DecisionTreeRegressor(max_depth=max_depth, min_samples_leaf=min_leaf, random_state=0).fit(X[train], y[train])
    pred = tree.predict(X[test])
    dump(name, {"X": X, "y": y.tolist(), "seed": seed, "test_share": share, "test": test.tolist(),
                "max_depth": max_depth, "min_samples_leaf": min_leaf, "node_count": int(tree.tree_.node_count),
                "importances": tree.feature_importances_, "test_pred": pred,
                "rmse": mean_squared_error(y[test], pred) ** 0.5})


def boosted_case(name, numeric, names, text, text_names, y, classes, seed, share, params):
    """HistGradientBoosting on the same design matrix and split as segrun's (no early stopping, the
    defaults otherwise unless params says): the Go test's own boosting must reach an AUC (classes) or R²
    (regression) within 0.02 of these."""
    n = len(y)
    train, test = split(n, seed, share)
    X = design(numeric, text, train)
    out = {"numeric": [x.tolist() for x in numeric], "numeric_names": names,
           "text": [t.tolist() for t in text], "text_names": text_names,
           "y": y.tolist(), "classes": classes, "seed": seed, "test_share": share, "test": test.tolist(),
           "params": params}
    if classes:
        model = HistGradientBoostingClassifier(early_stopping=False, random_state=0, **params).fit(X[train], y[train])
        proba = model.predict_proba(X[test])
        out["test_proba"] = proba
        out["metrics"] = class_metrics(y[test], proba, classes)
    else:
        model = HistGradientBoostingRegressor(early_stopping=False, random_state=0, **params).fit(X[train], y[train])
        pred = model.predict(X[test])
        out["test_pred"] = pred
        out["metrics"] = {"rows": int(test.sum()), "rmse": mean_squared_error(y[test], pred) ** 0.5,
                          "mae": mean_absolute_error(y[test], pred), "r2": r2_score(y[test], pred)}
    dump(name, out)


def main():
    os.makedirs(OUT, exist_ok=True)
    bc = datasets.load_breast_cancer()
    logistic_case("models_logistic_breast_cancer", list(bc.data.T), list(bc.feature_names), [], [],
                  bc.target, ["0", "1"], 0.5, 7, 0.25)

    # Three classes from five numeric features and a text one that shifts the classes.
    rng = np.random.default_rng(16)
    n = 900
    region = rng.choice(np.array(["north", "south", "west"]), size=n)
    numeric = [rng.normal(size=n) * s for s in (1.0, 2.0, 0.5, 3.0, 1.5)]
    shift = {"north": np.array([0.0, 0.5, -0.5]), "south": np.array([0.3, 0.0, 0.0]), "west": np.array([-0.4, 0.2, 0.6])}
    logits = np.column_stack([0.8 * numeric[0] - 0.3 * numeric[1], 0.5 * numeric[2] + 0.2 * numeric[3],
                              -0.4 * numeric[4] + 0.1 * numeric[0]]) + np.array([shift[r] for r in region])
    u = rng.random(n)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (u[:, None] > p.cumsum(axis=1)).sum(axis=1)
    logistic_case("models_logistic_multinomial", numeric, ["x1", "x2", "x3", "x4", "x5"], [region], ["region"],
                  y, ["gold", "silver", "bronze"], 2.0, 3, 0.3)

    # breast_cancer's radius, perimeter and area order the rows alike: equally good splits on several
    # columns, which scikit-learn breaks at random. The tree is compared on independent features instead.
    Xc, yc = datasets.make_classification(n_samples=800, n_features=6, n_informative=4, n_redundant=0,
                                          n_clusters_per_class=2, flip_y=0.05, random_state=3)
    tree_case("models_tree_synthetic", list(Xc.T), [f"f{j}" for j in range(6)], yc, 4, 5, 7, 0.25)

    db = datasets.load_diabetes()
    linear_case("models_linear_diabetes", list(db.data.T), list(db.feature_names), [], [], db.target, 0, 11, 0.2)

    rng = np.random.default_rng(5)
    n = 500
    channel = rng.choice(np.array(["email", "store", "web"]), size=n)
    numeric = [rng.normal(size=n), rng.gamma(2.0, 3.0, size=n), rng.normal(size=n) * 0.1]
    y = 2.0 + 1.5 * numeric[0] - 0.3 * numeric[1] + 4 * numeric[2] + np.where(channel == "web", 1.0, 0.0) \
        + rng.normal(size=n)
    linear_case("models_ridge_synthetic", numeric, ["a", "b", "c"], [channel], ["channel"], y, 10.0, 9, 0.25)

    # Boosted trees: breast_cancer (binary), the multinomial set above (softmax, a text feature) and a
    # nonlinear regression (Friedman #1), against HistGradientBoosting.
    boosted_case("models_boosted_breast_cancer", list(bc.data.T), list(bc.feature_names), [], [],
                 bc.target, ["0", "1"], 7, 0.25, {})
    Xb, yb = datasets.make_classification(n_samples=4000, n_features=8, n_informative=5, n_redundant=1,
                                          n_clusters_per_class=3, flip_y=0.08, class_sep=0.7, random_state=21)
    boosted_case("models_boosted_synthetic", list(Xb.T), [f"f{j}" for j in range(8)], [], [], yb, ["0", "1"], 5, 0.25,
                 {"learning_rate": 0.05, "max_iter": 200, "max_leaf_nodes": 15, "min_samples_leaf": 10, "l2_regularization": 1.0})
    rng = np.random.default_rng(16)
    n = 900
    region = rng.choice(np.array(["north", "south", "west"]), size=n)
    numeric = [rng.normal(size=n) * s for s in (1.0, 2.0, 0.5, 3.0, 1.5)]
    shift = {"north": np.array([0.0, 0.5, -0.5]), "south": np.array([0.3, 0.0, 0.0]), "west": np.array([-0.4, 0.2, 0.6])}
    logits = np.column_stack([0.8 * numeric[0] - 0.3 * numeric[1], 0.5 * numeric[2] + 0.2 * numeric[3],
                              -0.4 * numeric[4] + 0.1 * numeric[0]]) + np.array([shift[r] for r in region])
    u = rng.random(n)
    p = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    y = (u[:, None] > p.cumsum(axis=1)).sum(axis=1)
    boosted_case("models_boosted_multiclass", numeric, ["x1", "x2", "x3", "x4", "x5"], [region], ["region"],
                 y, ["gold", "silver", "bronze"], 3, 0.3, {"max_iter": 50})
    Xf, yf = datasets.make_friedman1(n_samples=2000, n_features=6, noise=1.0, random_state=4)
    boosted_case("models_boosted_friedman", list(Xf.T), [f"f{j}" for j in range(6)], [], [], yf, None, 2, 0.25, {})
    regression_tree_case("models_regression_tree_friedman", list(Xf.T), yf, 5, 3, 2, 0.25)


if __name__ == "__main__":
    main()
