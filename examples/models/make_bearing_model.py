#!/usr/bin/python3
"""Trains the small example model examples/models/bearing_rf.json.

A random forest that tells a healthy bearing from a worn one by window
features of an accelerometer (rms, kurtosis, crest factor, energy above
100 Hz). The training data is synthetic: worn bearings have more
high-frequency energy, impacts (kurtosis, crest) and overall vibration.
Run from the repository root: /usr/bin/python3 examples/models/make_bearing_model.py
"""
import os
import sys

import numpy as np
from sklearn.ensemble import RandomForestClassifier

sys.path.insert(0, os.path.join(os.path.dirname(__file__), "..", "..", "tools"))
from export_sklearn import export_model  # noqa: E402

rng = np.random.default_rng(7)
n = 400
worn = rng.random(n) < 0.5
rms = np.where(worn, 1.2, 0.75) + rng.normal(scale=0.1, size=n)
kurtosis = np.where(worn, 0.5, -1.4) + rng.normal(scale=0.3, size=n)
crest = np.where(worn, 2.6, 1.5) + rng.normal(scale=0.15, size=n)
high = np.where(worn, 0.3, 0.02) + np.abs(rng.normal(scale=0.05, size=n))
X = np.column_stack([rms, kurtosis, crest, high])
y = np.where(worn, "worn", "healthy")
model = RandomForestClassifier(n_estimators=5, max_depth=3, random_state=0).fit(X, y)
export_model(model, os.path.join(os.path.dirname(__file__), "bearing_rf.json"),
             feature_names=["accel_rms", "accel_kurtosis", "accel_crest", "accel_band_high"],
             model_version="bearing-rf-1")
