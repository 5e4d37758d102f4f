#!/usr/bin/env bash
# `edgeflow nab` end to end on a small generated corpus: run writes one
# result row per data row in order, score and eval agree, bad input gives a
# clear error and a non-zero exit. Usage: nab_test.sh <edgeflow binary>
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"

# A corpus of two files: one with a spike inside a window, one without anomalies.
mkdir -p "$WORK/nab/data/cat" "$WORK/nab/labels" "$WORK/nab/config"
$PY - "$WORK/nab" <<'PY'
import json, math, random, sys
root = sys.argv[1]
random.seed(3)
def write(name, spike):
    rows = []
    for i in range(2000):
        t = 1396310400 + 300 * i  # 2014-04-01, every 5 minutes
        v = 50 + 10 * math.sin(2 * math.pi * i / 288) + random.gauss(0, 1)
        if spike and i == 1500:
            v += 60
        h, m, s = (t // 3600) % 24, (t // 60) % 60, t % 60
        day = 1 + (t - 1396310400) // 86400
        rows.append("2014-04-%02d %02d:%02d:%02d,%.3f" % (day, h, m, s, v))
    with open("%s/data/cat/%s" % (root, name), "w") as f:
        f.write("timestamp,value\n" + "\n".join(rows) + "\n")
    return rows
with_anomaly = write("spike.csv", True)
write("calm.csv", False)
start, end = with_anomaly[1450].split(",")[0], with_anomaly[1550].split(",")[0]
json.dump({"cat/spike.csv": [[start + ".000000", end + ".000000"]], "cat/calm.csv": []},
          open(root + "/labels/combined_windows.json", "w"))
json.dump({"standard": {"CostMatrix": {"tpWeight": 1.0, "fnWeight": 1.0, "fpWeight": 0.11}}},
          open(root + "/config/profiles.json", "w"))
PY

"$EDGEFLOW" nab methods > "$WORK/methods.out"
grep -q '^seasonal (default)' "$WORK/methods.out" || fail "nab methods does not list seasonal as default"

"$EDGEFLOW" nab run --data "$WORK/nab" --method robust_z --out "$WORK/results" > "$WORK/run.out" 2> "$WORK/run.err" \
  || fail "nab run failed"
grep -q 'points/s' "$WORK/run.out" || fail "nab run printed no points/s"
for f in spike calm; do
  [[ "$(head -1 "$WORK/results/cat/$f.csv")" == "timestamp,value,anomaly_score" ]] || fail "$f: bad header"
  [[ "$(wc -l < "$WORK/results/cat/$f.csv")" == 2001 ]] || fail "$f: not one row per data row"
  diff <(cut -d, -f1 "$WORK/nab/data/cat/$f.csv") <(cut -d, -f1 "$WORK/results/cat/$f.csv") > /dev/null \
    || fail "$f: timestamps not in data order"
done

"$EDGEFLOW" nab score --data "$WORK/nab" --results "$WORK/results" > "$WORK/score.out" || fail "nab score failed"
score=$(awk '$1 == "standard" {print $2}' "$WORK/score.out")
# The spike is detected at its start: close to a perfect score.
awk -v s="$score" 'BEGIN { exit !(s > 90) }' || fail "expected a standard score > 90, got '$score'"

"$EDGEFLOW" nab eval --data "$WORK/nab" --method robust_z --brief > "$WORK/eval.out" || fail "nab eval failed"
[[ "$(awk '{print $2}' "$WORK/eval.out")" == "$score" ]] || fail "eval and run+score disagree: $(cat "$WORK/eval.out") vs $score"

# Bad input: clear message, non-zero exit, nothing crashes.
set +e
"$EDGEFLOW" nab eval --data "$WORK/nab" --method robust_z --set window=1 2> "$WORK/bad_param.err"
[[ $? == 2 ]] || fail "a bad parameter must exit 2"
grep -q 'window' "$WORK/bad_param.err" || fail "no message naming the bad parameter"
"$EDGEFLOW" nab eval --data "$WORK/nab" --method nope 2> "$WORK/bad_method.err"
[[ $? == 2 ]] || fail "an unknown method must exit 2"
grep -q "unknown method 'nope'" "$WORK/bad_method.err" || fail "no message naming the unknown method"
head -100 "$WORK/results/cat/calm.csv" > "$WORK/short.csv" && mv "$WORK/short.csv" "$WORK/results/cat/calm.csv"
"$EDGEFLOW" nab score --data "$WORK/nab" --results "$WORK/results" 2> "$WORK/short.err"
[[ $? == 1 ]] || fail "a truncated result file must exit 1"
grep -q 'rows, the data file has 2000' "$WORK/short.err" || fail "no message about the row count"
echo "bad,row" >> "$WORK/nab/data/cat/calm.csv"
"$EDGEFLOW" nab run --data "$WORK/nab" --method ewma --out "$WORK/r2" 2> "$WORK/bad_row.err"
[[ $? == 1 ]] || fail "a malformed data row must exit 1"
grep -q 'calm.csv:2002: bad timestamp' "$WORK/bad_row.err" || fail "no file:line for the bad row"
set -e
echo "nab: ok"
