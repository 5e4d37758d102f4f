#!/usr/bin/python3
"""Prints the expected values used by signal_features_test.cc.

The test signal is a deterministic formula both sides evaluate; numpy (and
scipy.stats for skew/kurtosis) computes the features independently of the
C++ code. Run: /usr/bin/python3 src/analytics/features/testdata/expected_features.py
"""
import numpy as np
from scipy import stats

n = 1000
rate = 1000.0
i = np.arange(n)
x = (1.5 * np.sin(2 * np.pi * 50 * i / rate) + 0.4 * np.sin(2 * np.pi * 180 * i / rate + 0.3)
     + 0.2 * (((i * 7919) % 101) / 50.0 - 1) + 0.1)

rms = np.sqrt(np.mean(x ** 2))
peak = np.max(np.abs(x))
feats = {
    "rms": rms,
    "peak": peak,
    "peak_to_peak": np.ptp(x),
    "crest": peak / rms,
    "skewness": stats.skew(x),
    "kurtosis": stats.kurtosis(x),
    "zcr": np.count_nonzero((x[1:] < 0) != (x[:-1] < 0)) / (n - 1),
}
spec = np.fft.rfft(x)
power = np.abs(spec) ** 2 / n ** 2
power[1:(n + 1) // 2] *= 2  # mirrored bins (not DC, not Nyquist)
freqs = np.fft.rfftfreq(n, 1 / rate)
bands = [(0, 40), (40, 60), (150, 200), (200, 500)]
for lo, hi in bands:
    mask = (freqs >= lo) & ((freqs < hi) | ((hi >= rate / 2) & (freqs <= rate / 2)))
    feats[f"band_{lo}_{hi}"] = power[mask].sum()
for k, v in feats.items():
    print(f"  {{\"{k}\", {v:.17g}}},")
