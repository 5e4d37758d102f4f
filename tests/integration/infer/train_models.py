#!/usr/bin/python3
"""Trains small models on synthetic data, exports them and records Python's
own predictions, for tests/integration/infer_test.sh.

Usage: train_models.py OUT_DIR [--onnx]
Writes OUT_DIR/inputs.csv (time, device, row, f0..f3), one model file per
kind and OUT_DIR/expected/<kind>.json ({"row": [prediction fields...]}).
"""
import json
import os
import sys

import numpy as np

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "..", "tools"))
from export_sklearn import export_model  # noqa: E402

import xgboost as xgb  # noqa: E402
from sklearn.ensemble import IsolationForest, RandomForestClassifier, RandomForestRegressor  # noqa: E402
from sklearn.linear_model import LinearRegression, LogisticRegression  # noqa: E402
from sklearn.pipeline import make_pipeline  # noqa: E402
from sklearn.preprocessing import StandardScaler  # noqa: E402

out = sys.argv[1]
with_onnx = "--onnx" in sys.argv
os.makedirs(os.path.join(out, "expected"), exist_ok=True)
rng = np.random.default_rng(42)
N_TRAIN, N_TEST, F = 300, 200, 4
X = rng.normal(size=(N_TRAIN, F)) * [1.0, 2.0, 0.5, 3.0] + [0, 1, -1, 10]
y_reg = 2 * X[:, 0] - X[:, 1] + 0.5 * X[:, 2] ** 2 + 0.1 * X[:, 3] + rng.normal(scale=0.1, size=N_TRAIN)
y_bin = (X[:, 0] + 0.5 * X[:, 1] > 0.5).astype(int)
y_multi = np.digitize(X[:, 0] + 0.3 * X[:, 2], [-0.7, 0.5])  # classes 0, 1, 2
Xt = rng.normal(size=(N_TEST, F)) * [1.0, 2.0, 0.5, 3.0] + [0, 1, -1, 10]
Xt[::10, 1] = np.nan  # missing values: only XGBoost sees these rows (missing: nan)

# The CSV carries the values with 17 significant digits, so both sides read
# the same doubles.
with open(os.path.join(out, "inputs.csv"), "w") as f:
    f.write("time,device,row,f0,f1,f2,f3\n")
    for i, row in enumerate(Xt):
        cells = ["" if np.isnan(v) else repr(float(v)) for v in row]
        f.write(f"2024-01-01T00:00:{i // 100:02d}.{i % 100:02d}0Z,m1,{i}," + ",".join(cells) + "\n")

expected = {}


def record(kind, columns):
    # columns: field -> array over test rows (NaN rows are skipped by edgeflow)
    rows = {}
    for i in range(N_TEST):
        rows[str(i)] = {k: float(v[i]) for k, v in columns.items()}
    with open(os.path.join(out, "expected", kind + ".json"), "w") as f:
        json.dump(rows, f)


# XGBoost: regression, binary:logistic, multi:softprob (trained with NaNs so
# default directions matter).
Xn = X.copy()
Xn[::7, 1] = np.nan
params = {"max_depth": 3, "eta": 0.3, "seed": 1, "nthread": 1}
dtest = xgb.DMatrix(Xt)
b = xgb.train({**params, "objective": "reg:squarederror", "base_score": 1.5}, xgb.DMatrix(Xn, label=y_reg), 20)
b.save_model(os.path.join(out, "xgb_reg.json"))
record("xgb_reg", {"prediction": b.predict(dtest)})
b = xgb.train({**params, "objective": "binary:logistic", "base_score": 0.3}, xgb.DMatrix(Xn, label=y_bin), 15)
b.set_attr(version="xgb-bin-1")
b.save_model(os.path.join(out, "xgb_bin.json"))
p = b.predict(dtest)
# (1 - p in float32 loses the digits of small probabilities: compare p.)
record("xgb_bin", {"prediction_prob_1": p, "prediction": (p > 0.5).astype(int)})
b = xgb.train({**params, "objective": "multi:softprob", "num_class": 3}, xgb.DMatrix(Xn, label=y_multi), 10)
b.save_model(os.path.join(out, "xgb_multi.json"))
p = b.predict(dtest)
record("xgb_multi", {f"prediction_prob_{c}": p[:, c] for c in range(3)} | {"prediction": p.argmax(axis=1)})

# scikit-learn (no missing values: sklearn 1.2 refuses NaN).
Xs = np.nan_to_num(Xt, nan=1.0)
with open(os.path.join(out, "inputs_complete.csv"), "w") as f:
    f.write("time,device,row,f0,f1,f2,f3\n")
    for i, row in enumerate(Xs):
        f.write(f"2024-01-01T00:00:{i // 100:02d}.{i % 100:02d}0Z,m1,{i}," + ",".join(repr(float(v)) for v in row) + "\n")

m = LinearRegression().fit(X, y_reg)
export_model(m, os.path.join(out, "sk_linear.json"), model_version="lin-1")
record("sk_linear", {"prediction": m.predict(Xs)})

m = make_pipeline(StandardScaler(), LogisticRegression(max_iter=500)).fit(X, y_multi)
export_model(m, os.path.join(out, "sk_logistic.json"))
p = m.predict_proba(Xs)
record("sk_logistic", {f"prediction_prob_{c}": p[:, c] for c in range(3)} | {"prediction": m.predict(Xs)})

m = make_pipeline(StandardScaler(), LogisticRegression()).fit(X, y_bin)
export_model(m, os.path.join(out, "sk_logistic_bin.json"))
p = m.predict_proba(Xs)
record("sk_logistic_bin", {"prediction_prob_1": p[:, 1], "prediction": m.predict(Xs)})

m = RandomForestClassifier(n_estimators=15, max_depth=5, random_state=3).fit(X, y_multi)
export_model(m, os.path.join(out, "sk_rf_clf.json"))
p = m.predict_proba(Xs)
record("sk_rf_clf", {f"prediction_prob_{c}": p[:, c] for c in range(3)} | {"prediction": m.predict(Xs)})

m = RandomForestRegressor(n_estimators=15, max_depth=6, random_state=3).fit(X, y_reg)
export_model(m, os.path.join(out, "sk_rf_reg.json"))
record("sk_rf_reg", {"prediction": m.predict(Xs)})

m = IsolationForest(n_estimators=30, max_samples=64, max_features=3, random_state=5).fit(X)
export_model(m, os.path.join(out, "sk_iforest.json"))
record("sk_iforest", {"prediction_score": m.score_samples(Xs), "prediction": m.predict(Xs)})

if with_onnx:
    # A 4-16-3 MLP with fixed random weights, softmax output.
    import onnx
    from onnx import TensorProto, helper, numpy_helper
    W1 = rng.normal(scale=0.5, size=(F, 16)).astype(np.float32)
    B1 = rng.normal(scale=0.1, size=(16,)).astype(np.float32)
    W2 = rng.normal(scale=0.5, size=(16, 3)).astype(np.float32)
    B2 = rng.normal(scale=0.1, size=(3,)).astype(np.float32)
    mean = X.mean(axis=0).astype(np.float32)
    scale = X.std(axis=0).astype(np.float32)
    nodes = [
        helper.make_node("Sub", ["x", "mean"], ["c"]),
        helper.make_node("Div", ["c", "scale"], ["s"]),
        # transB=1 (weights stored [out, in], as PyTorch exports them): the
        # layout OpenCV 4.6's Gemm import expects.
        helper.make_node("Gemm", ["s", "W1t", "B1"], ["h"], transB=1),
        helper.make_node("Relu", ["h"], ["r"]),
        helper.make_node("Gemm", ["r", "W2t", "B2"], ["logits"], transB=1),
        helper.make_node("Softmax", ["logits"], ["y"], axis=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, F])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(a, n) for a, n in
         [(W1.T.copy(), "W1t"), (B1, "B1"), (W2.T.copy(), "W2t"), (B2, "B2"), (mean, "mean"), (scale, "scale")]])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.checker.check_model(model)
    onnx.save(model, os.path.join(out, "mlp.onnx"))
    xs = Xs.astype(np.float32)
    h = np.maximum(((xs - mean) / scale) @ W1 + B1, 0)
    logits = h @ W2 + B2
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    p = e / e.sum(axis=1, keepdims=True)
    record("onnx_mlp", {f"prediction_{c}": p[:, c] for c in range(3)})
    # Calibration rows for int8: training inputs.
    np.savetxt(os.path.join(out, "calibration.csv"), X[:200], delimiter=",", fmt="%.9g")

    # The same MLP for inputs standardised upstream (no Sub/Div in the
    # graph): int8 quantises the input tensor with ONE scale, which suits
    # features of similar ranges (bench/run_infer_bench compares both).
    graph_std = helper.make_graph(
        nodes[2:], "mlp_std",
        [helper.make_tensor_value_info("s", TensorProto.FLOAT, [1, F])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 3])],
        [numpy_helper.from_array(a, n) for a, n in
         [(W1.T.copy(), "W1t"), (B1, "B1"), (W2.T.copy(), "W2t"), (B2, "B2")]])
    model_std = helper.make_model(graph_std, opset_imports=[helper.make_opsetid("", 13)])
    model_std.ir_version = 8
    onnx.checker.check_model(model_std)
    onnx.save(model_std, os.path.join(out, "mlp_std.onnx"))
    zs = (xs - mean) / scale
    with open(os.path.join(out, "inputs_std.csv"), "w") as f:
        f.write("time,device,row,f0,f1,f2,f3\n")
        for i, row in enumerate(zs):
            f.write(f"2024-01-01T00:00:{i // 100:02d}.{i % 100:02d}0Z,m1,{i}," + ",".join(repr(float(v)) for v in row) + "\n")
    record("onnx_std", {f"prediction_{c}": p[:, c] for c in range(3)})
    np.savetxt(os.path.join(out, "calibration_std.csv"), ((X[:200] - mean) / scale), delimiter=",", fmt="%.9g")
