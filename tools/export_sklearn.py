#!/usr/bin/python3
"""Exports a fitted scikit-learn model to an edgeflow-model JSON file.

Supported: LinearRegression, LogisticRegression, StandardScaler,
Pipeline(StandardScaler, model), RandomForestClassifier,
RandomForestRegressor, IsolationForest. The format is described in
docs/design/model-format.md (format_version 1).

As a library:
    from export_sklearn import export_model
    export_model(model, "model.json", feature_names=["rms", "kurtosis"], model_version="v3")
From the shell (a pickled model; only unpickle files you trust):
    export_sklearn.py model.pkl model.json [--features rms,kurtosis] [--version v3]
"""
import argparse
import json
import pickle
import sys

import numpy as np
from sklearn.ensemble import IsolationForest, RandomForestClassifier, RandomForestRegressor
from sklearn.linear_model import LinearRegression, LogisticRegression
from sklearn.pipeline import Pipeline
from sklearn.preprocessing import StandardScaler

FORMAT_VERSION = 1


def _floats(a):
    return [float(x) for x in np.asarray(a, dtype=np.float64).ravel()]


def _scaler(s):
    return {
        "type": "standard_scaler",
        "mean": _floats(s.mean_) if s.with_mean else None,
        "scale": _floats(s.scale_) if s.with_std else None,
    }


def _tree(tree, value_key, values, feature_map=None):
    t = tree.tree_
    feature = np.asarray(t.feature, dtype=np.int64)
    if feature_map is not None:
        # Trees trained on a feature subset index into that subset.
        feature = np.where(feature >= 0, np.asarray(feature_map)[np.maximum(feature, 0)], feature)
    return {
        "children_left": [int(x) for x in t.children_left],
        "children_right": [int(x) for x in t.children_right],
        "feature": [int(x) for x in feature],
        "threshold": _floats(t.threshold),
        value_key: values,
    }


def _classifier_tree(tree):
    v = tree.tree_.value[:, 0, :]  # per node: class counts (or fractions)
    sums = v.sum(axis=1, keepdims=True)
    sums[sums == 0] = 1
    return _tree(tree, "value", [_floats(row) for row in v / sums])


def _estimator(m, n_features):
    if isinstance(m, LinearRegression):
        coef = np.asarray(m.coef_)
        if coef.ndim != 1:
            raise ValueError("LinearRegression with several targets is not supported")
        return {"type": "linear_regression", "coef": _floats(coef), "intercept": float(m.intercept_)}, None
    if isinstance(m, LogisticRegression):
        classes = list(m.classes_)
        multi = m.multi_class
        if multi == "auto":  # sklearn 1.2's rule
            multi = "ovr" if (len(classes) == 2 or m.solver == "liblinear") else "multinomial"
        return {
            "type": "logistic_regression",
            "coef": [_floats(row) for row in m.coef_],
            "intercept": _floats(m.intercept_),
            "multi_class": multi,
        }, classes
    if isinstance(m, RandomForestClassifier):
        if m.n_outputs_ != 1:
            raise ValueError("multi-output forests are not supported")
        return {"type": "random_forest_classifier",
                "trees": [_classifier_tree(t) for t in m.estimators_]}, list(m.classes_)
    if isinstance(m, RandomForestRegressor):
        if m.n_outputs_ != 1:
            raise ValueError("multi-output forests are not supported")
        return {"type": "random_forest_regressor",
                "trees": [_tree(t, "value", _floats(t.tree_.value[:, 0, 0])) for t in m.estimators_]}, None
    if isinstance(m, IsolationForest):
        subset = m._max_features != n_features
        trees = []
        for t, feats in zip(m.estimators_, m.estimators_features_):
            trees.append(_tree(t, "n_node_samples", [int(x) for x in t.tree_.n_node_samples],
                               feature_map=feats if subset else None))
        return {"type": "isolation_forest", "max_samples": int(m.max_samples_),
                "offset": float(m.offset_), "trees": trees}, None
    raise ValueError(f"unsupported estimator {type(m).__name__}")


def _task(m):
    if isinstance(m, (LogisticRegression, RandomForestClassifier)):
        return "classification"
    if isinstance(m, IsolationForest):
        return "anomaly"
    return "regression"


def _label(c):
    if isinstance(c, (np.integer, int)) and not isinstance(c, bool):
        return int(c)
    if isinstance(c, (np.floating, float)):
        return float(c)
    return str(c)


def to_document(model, feature_names=None, model_version=None):
    steps = []
    if isinstance(model, Pipeline):
        parts = [s for _, s in model.steps if s != "passthrough" and s is not None]
    else:
        parts = [model]
    final = parts[-1]
    for p in parts[:-1]:
        if not isinstance(p, StandardScaler):
            raise ValueError(f"unsupported pipeline step {type(p).__name__} (only StandardScaler)")
        steps.append(_scaler(p))
    if len(steps) > 1:
        raise ValueError("at most one StandardScaler may precede the model")
    n_features = int(model.n_features_in_)
    est, classes = _estimator(final, n_features)
    steps.append(est)
    names = feature_names
    if names is None and hasattr(model, "feature_names_in_"):
        names = [str(n) for n in model.feature_names_in_]
    doc = {
        "format": "edgeflow-model",
        "format_version": FORMAT_VERSION,
        "model_version": model_version,
        "task": _task(final),
        "n_features": n_features,
        "feature_names": names,
        "producer": "tools/export_sklearn.py (scikit-learn " + __import__("sklearn").__version__ + ")",
        "steps": steps,
    }
    if classes is not None:
        doc["classes"] = [_label(c) for c in classes]
    if model_version is None:
        del doc["model_version"]
    if names is not None and len(names) != n_features:
        raise ValueError(f"{len(names)} feature names for {n_features} features")
    return doc


def export_model(model, path, feature_names=None, model_version=None):
    doc = to_document(model, feature_names, model_version)
    with open(path, "w") as f:
        json.dump(doc, f, separators=(",", ":"))


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("pickle", help="pickled fitted model (trusted files only)")
    p.add_argument("output", help="edgeflow-model JSON file to write")
    p.add_argument("--features", help="comma-separated input feature names")
    p.add_argument("--version", help="model version recorded in the file")
    a = p.parse_args()
    with open(a.pickle, "rb") as f:
        model = pickle.load(f)
    names = a.features.split(",") if a.features else None
    try:
        export_model(model, a.output, names, a.version)
    except ValueError as e:
        print(f"export_sklearn: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
