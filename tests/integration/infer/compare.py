#!/usr/bin/python3
"""Compares edgeflow's infer output (JSON lines) with Python's predictions.

Usage: compare.py OUTPUT.jsonl EXPECTED.json [TOLERANCE]
Every expected row must be present with every expected field, each within
relative error TOLERANCE (default 1e-5; values below 1e-6 in magnitude are
compared against 1e-6). Prints the worst relative error; exits 1 on failure.
"""
import json
import sys

out_path, expected_path = sys.argv[1], sys.argv[2]
tol = float(sys.argv[3]) if len(sys.argv) > 3 else 1e-5
expected = json.load(open(expected_path))
got = {}
for line in open(out_path):
    e = json.loads(line)
    got[str(int(e["row"]))] = e
worst = 0.0
errors = []
for row, fields in expected.items():
    if row not in got:
        errors.append(f"row {row}: missing from the output")
        continue
    for name, want in fields.items():
        have = got[row].get(name)
        if not isinstance(have, (int, float)):
            errors.append(f"row {row}: field {name} is {have!r}, expected {want}")
            continue
        rel = abs(have - want) / max(abs(want), 1e-6)
        worst = max(worst, rel)
        if rel > tol:
            errors.append(f"row {row}: {name} = {have!r}, Python {want!r} (relative error {rel:.3g})")
print(f"{len(expected)} rows, worst relative error {worst:.3g}")
for e in errors[:10]:
    print("  " + e)
sys.exit(1 if errors else 0)
