#!/usr/bin/env bash
# Integration tests of the edgeflow binary: exit codes, error positions,
# dead letters, signal handling. Usage: cli_test.sh EDGEFLOW_BINARY
set -uo pipefail
bin="$1"
here="$(cd "$(dirname "$0")" && pwd)"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
failures=0
fail() { echo "FAIL: $*"; failures=$((failures + 1)); }

# 1. check: every error with file:line:column and key path, exit code 2.
"$bin" check "$here/bad_pipeline.yaml" 2>"$tmp/check.err"
rc=$?
[[ $rc -eq 2 ]] || fail "check exit code $rc, want 2"
for want in "bad_pipeline.yaml:4:11: sources[0].rate" "bad_pipeline.yaml:6:13: stages[0].fitler: unknown stage type 'fitler' (hint: did you mean 'filter'?)" \
            "stages[1].window.aggregate.t: unknown aggregate 'medain'" "sinks[0].type: unknown sink type 'stdot'" "4 errors"; do
  grep -qF "$want" "$tmp/check.err" || fail "check output lacks: $want"
done

# 2. run refuses a bad file with exit code 2 and the same messages.
"$bin" run "$here/bad_pipeline.yaml" >/dev/null 2>"$tmp/run.err"
rc=$?
[[ $rc -eq 2 ]] || fail "run of a bad file: exit code $rc, want 2"
grep -qF "unknown sink type 'stdot'" "$tmp/run.err" || fail "run does not explain the error"

# 3. check of a missing file.
"$bin" check "$tmp/nope.yaml" 2>/dev/null
[[ $? -eq 2 ]] || fail "check of a missing file should exit 2"

# 4. bad input: counted per reason, dead-lettered, good lines kept, exit 0.
INPUT="$here/bad_input.jsonl" OUT_DIR="$tmp" "$bin" run "$here/bad_input.yaml" --stats --log-format json \
  >/dev/null 2>"$tmp/bad.err"
rc=$?
[[ $rc -eq 0 ]] || fail "bad input run exit code $rc, want 0"
good=$(wc -l <"$tmp/good.jsonl")
[[ $good -eq 2 ]] || fail "want 2 good events, got $good"
for reason in malformed_json missing_time bad_time missing_device type_mismatch time_out_of_range; do
  grep -q "\"reason\":\"$reason\"" "$tmp/rejected.jsonl" || fail "no dead letter with reason $reason"
  grep -q "reason=\"$reason\"} [1-9]" "$tmp/bad.err" || fail "no counter for reason $reason"
done
rejected=$(wc -l <"$tmp/rejected.jsonl")
[[ $rejected -eq 7 ]] || fail "want 7 rejected lines, got $rejected"
grep -q '"level":"warning","msg":"rejected by' "$tmp/bad.err" || fail "rejections are not logged"

# 5. SIGTERM flushes open windows and exits 0.
"$bin" run "$here/long_window.yaml" --log-format json >"$tmp/flush.out" 2>"$tmp/flush.err" &
pid=$!
for _ in $(seq 1 50); do
  grep -q "running" "$tmp/flush.err" 2>/dev/null && break
  sleep 0.1
done
sleep 0.5
kill -TERM "$pid"
wait "$pid"
rc=$?
[[ $rc -eq 0 ]] || fail "SIGTERM exit code $rc, want 0"
lines=$(grep -c '"temperature_f_count"' "$tmp/flush.out")
[[ $lines -eq 3 ]] || fail "want 3 flushed window results (one per device), got $lines"

# 6. JSON logs are valid JSON lines.
cat "$tmp/flush.err" "$tmp/bad.err" | grep '^{' | python3 -c 'import json,sys; [json.loads(l) for l in sys.stdin]' || fail "JSON logs are not valid JSON"

# 7. On a terminal, a status line once a second (script(1) gives a pty).
script -qec "$bin run $here/long_window.yaml --duration 2.5 --log-format text" /dev/null >"$tmp/tty.out" 2>&1
grep -q '\[status\] [0-9]* events/s  total [0-9]*  lag ' "$tmp/tty.out" || fail "no status line on a terminal"
# ... and none when stderr is not a terminal.
grep -q '\[status\]' "$tmp/flush.err" && fail "status line printed without a terminal"

if [[ $failures -eq 0 ]]; then echo "cli tests: 7 passed, 0 failed"; exit 0; fi
echo "cli tests: $failures failed"; exit 1
