#!/usr/bin/env bash
# The store sink and `edgeflow query` end to end:
#   1. a sim pipeline writes 3 minutes of 1 Hz data of 2 devices into a
#      store; `edgeflow query` prints the expected raw CSV and the 1-minute
#      counts and means (from the roll-up tier), also found through --pipeline;
#   2. running the pipeline again stores nothing twice (same series, times);
#   3. errors: a missing db, a bad time, an unknown series, a corrupt file,
#      a store in a missing directory.
# Usage: store_query_test.sh EDGEFLOW_BINARY
source "$(dirname "$0")/lib.sh"
BIN="$1"

cat >"$WORK/store.yaml" <<YAML
settings:
  batch_size: 50
sources:
  - type: sim
    devices: 2
    device_prefix: press-
    rate: 1Hz
    pace: max
    count: 180
    start: "2024-01-01T00:00:00Z"
    seed: 3
    fields:
      temperature_c: { base: 70, sine: { amplitude: 6, period: 1m }, round: 2 }
      running: { base: 1, integer: true }
sinks:
  - type: store
    path: $WORK/store.db
YAML

"$BIN" run "$WORK/store.yaml" --no-status --stats --log-format json >"$WORK/run1.out" 2>"$WORK/run1.err" \
  || fail "first run exited $?"
grep -q 'store_rows{sink="store"} 720' "$WORK/run1.err" || fail "expected 720 rows stored"

# --- 1. raw rows and roll-up aggregates ---------------------------------------
"$BIN" query --db "$WORK/store.db" --device press-0000 --field temperature_c \
  --from 2024-01-01T00:00:00Z --to 2024-01-01T00:00:04Z --format csv >"$WORK/raw.csv" 2>"$WORK/q.err" \
  || fail "query raw exited $?"
diff -u - "$WORK/raw.csv" <<'CSV' || fail "raw CSV differs"
time,device,field,value
2024-01-01T00:00:00Z,press-0000,temperature_c,70
2024-01-01T00:00:01Z,press-0000,temperature_c,70.63
2024-01-01T00:00:02Z,press-0000,temperature_c,71.25
2024-01-01T00:00:03Z,press-0000,temperature_c,71.85
CSV
pass "raw rows as CSV"

"$BIN" query --db "$WORK/store.db" --field running --agg count --step 1m --format csv >"$WORK/count.csv" \
  2>"$WORK/q.err" || fail "query count exited $?"
grep -q 'reading rollup_60s' "$WORK/q.err" || fail "the 1m count did not use the roll-up tier"
diff -u - "$WORK/count.csv" <<'CSV' || fail "count CSV differs"
time,device,field,count
2024-01-01T00:00:00Z,press-0000,running,60
2024-01-01T00:01:00Z,press-0000,running,60
2024-01-01T00:02:00Z,press-0000,running,60
2024-01-01T00:00:00Z,press-0001,running,60
2024-01-01T00:01:00Z,press-0001,running,60
2024-01-01T00:02:00Z,press-0001,running,60
CSV
pass "1-minute counts from the roll-up"

# A full sine period per minute: each minute's mean is the base, 70.
"$BIN" query --pipeline "$WORK/store.yaml" --device press-0001 --field temperature_c --agg mean --step 1m \
  --format json >"$WORK/mean.jsonl" 2>"$WORK/q.err" || fail "query mean exited $?"
[[ $(wc -l <"$WORK/mean.jsonl") == 3 ]] || fail "expected 3 means: $(cat "$WORK/mean.jsonl")"
"$PY" - "$WORK/mean.jsonl" <<'PYEOF' || fail "means are not 70"
import json, sys
for line in open(sys.argv[1]):
    row = json.loads(line)
    assert abs(row["mean"] - 70) < 0.01, row
PYEOF
pass "1-minute means through --pipeline, as JSON lines"

# --- 2. a second run stores nothing twice ------------------------------------
"$BIN" run "$WORK/store.yaml" --no-status --stats --log-format json >/dev/null 2>"$WORK/run2.err" \
  || fail "second run exited $?"
grep -q 'store_values_dropped{sink="store",reason="duplicate_time"} 720' "$WORK/run2.err" \
  || fail "the second run should drop 720 duplicate values"
"$BIN" query --db "$WORK/store.db" --field running --agg count --format csv 2>/dev/null >"$WORK/total.csv"
[[ $(grep -c ',running,180$' "$WORK/total.csv") == 2 ]] || fail "counts changed: $(cat "$WORK/total.csv")"
pass "re-running the pipeline stores nothing twice"

# --- 3. errors ----------------------------------------------------------------
set +e
"$BIN" query --db "$WORK/missing.db" 2>"$WORK/e1.err"
rc=$?
[[ $rc == 1 ]] && grep -q "no store at $WORK/missing.db" "$WORK/e1.err" || fail "missing db: rc $rc $(cat "$WORK/e1.err")"
"$BIN" query --db "$WORK/store.db" --from yesterday 2>"$WORK/e2.err"
rc=$?
[[ $rc == 2 ]] && grep -q "bad time 'yesterday'" "$WORK/e2.err" || fail "bad time: rc $rc $(cat "$WORK/e2.err")"
"$BIN" query --db "$WORK/store.db" --device nope 2>"$WORK/e3.err"
rc=$?
[[ $rc == 1 ]] && grep -q "no series of device 'nope'" "$WORK/e3.err" || fail "unknown series: rc $rc"
head -c 5000 /dev/urandom >"$WORK/corrupt.db"
"$BIN" query --db "$WORK/corrupt.db" 2>"$WORK/e4.err"
rc=$?
[[ $rc == 1 ]] && grep -q "not a database" "$WORK/e4.err" || fail "corrupt db: rc $rc $(cat "$WORK/e4.err")"
sed "s#path: $WORK/store.db#path: $WORK/no/such/dir/store.db#" "$WORK/store.yaml" >"$WORK/bad_dir.yaml"
"$BIN" run "$WORK/bad_dir.yaml" --no-status 2>"$WORK/e5.err"
rc=$?
[[ $rc == 1 ]] && grep -q "unable to open database file" "$WORK/e5.err" || fail "missing dir: rc $rc $(cat "$WORK/e5.err")"
set -e
pass "clear errors for a missing db, a bad time, an unknown series, a corrupt file, a missing directory"
