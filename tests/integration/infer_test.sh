#!/usr/bin/env bash
# infer: models trained in Python INSIDE this test (scikit-learn, XGBoost,
# an ONNX MLP built with onnx.helper; small synthetic data, fixed seeds)
# are exported, edgeflow's `infer` stage runs them over the same inputs
# (replay of a CSV -> infer -> file sink) and every prediction must equal
# Python's within relative error 1e-5. Bad model files must fail
# `edgeflow check` with a clear message.
#
# Usage: infer_test.sh EDGEFLOW_BINARY
source "$(dirname "$0")/lib.sh"
BIN="$(cd "$(dirname "$1")" && pwd)/$(basename "$1")"
HERE="$(cd "$(dirname "$0")" && pwd)"
cd "$WORK"

# Does this build run ONNX models (EDGEFLOW_ONNX)?
printf '\x08\x08' > probe.onnx
cat > probe.yaml <<YAML
sources: [ { id: data, type: replay, path: inputs.csv } ]
stages: [ { infer: { model: probe.onnx, inputs: [f0] } } ]
sinks: [ { type: stdout } ]
YAML
ONNX=1
if "$BIN" check probe.yaml 2>&1 | grep -q "built without ONNX support"; then ONNX=0; fi

ARGS=()
[[ $ONNX == 1 ]] && ARGS+=(--onnx)
$PY "$HERE/infer/train_models.py" "$WORK" "${ARGS[@]}" > train.log 2> train.err || fail "training failed: $(tail -5 train.err)"

# run_model KIND MODEL_FILE INPUT_CSV [extra infer options]
run_model() {
  local kind="$1" model="$2" input="$3" extra="${4:-}"
  cat > "$kind.yaml" <<YAML
sources:
  - { id: data, type: replay, path: $input }
stages:
  - infer: { model: $model, inputs: [f0, f1, f2, f3], missing: nan$extra }
sinks:
  - { type: file, path: $kind.jsonl }
YAML
  "$BIN" run "$kind.yaml" > "$kind.out" 2> "$kind.err" || fail "$kind: edgeflow run exited with $?"
}

check_model() {
  local kind="$1" model="$2" input="$3" extra="${4:-}"
  run_model "$kind" "$model" "$input" "$extra"
  $PY "$HERE/infer/compare.py" "$kind.jsonl" "expected/$kind.json" > "$kind.cmp" || fail "$kind: $(cat "$kind.cmp")"
  pass "$kind: $(head -1 "$kind.cmp")"
}

check_model xgb_reg xgb_reg.json inputs.csv
check_model xgb_bin xgb_bin.json inputs.csv
check_model xgb_multi xgb_multi.json inputs.csv
check_model sk_linear sk_linear.json inputs_complete.csv
check_model sk_logistic sk_logistic.json inputs_complete.csv
check_model sk_logistic_bin sk_logistic_bin.json inputs_complete.csv
check_model sk_rf_clf sk_rf_clf.json inputs_complete.csv
check_model sk_rf_reg sk_rf_reg.json inputs_complete.csv
check_model sk_iforest sk_iforest.json inputs_complete.csv

# Versions: declared in the file, else a hash of it.
grep -q '"model_version":"xgb-bin-1"' xgb_bin.jsonl || fail "xgb_bin: declared version missing"
grep -q '"model_version":"lin-1"' sk_linear.jsonl || fail "sk_linear: declared version missing"
grep -q '"model_version":"sha256:[0-9a-f]\{16\}"' xgb_reg.jsonl || fail "xgb_reg: hash version missing"
pass "model versions attached"

if [[ $ONNX == 1 ]]; then
  check_model onnx_mlp mlp.onnx inputs_complete.csv
  # int8 (on the MLP whose inputs are standardised upstream: one input
  # scale suits them): close to float, not equal; bench/run_infer_bench
  # reports the loss.
  check_model onnx_std mlp_std.onnx inputs_std.csv
  cp expected/onnx_std.json expected/onnx_int8.json
  run_model onnx_int8 mlp_std.onnx inputs_std.csv ", quantize: int8, calibration: calibration_std.csv"
  $PY "$HERE/infer/compare.py" onnx_int8.jsonl expected/onnx_int8.json 1e-5 > int8_exact.cmp && fail "int8 output is bit-identical to float: not quantised?"
  grep -q '"model_version":"sha256:[0-9a-f]\{16\}+int8"' onnx_int8.jsonl || fail "int8: version lacks +int8"
  python_abs_check='
import json, sys
want = json.load(open("expected/onnx_std.json"))
worst = 0
for line in open("onnx_int8.jsonl"):
    e = json.loads(line)
    for k, v in want[str(int(e["row"]))].items():
        worst = max(worst, abs(e[k] - v))
print(f"worst absolute probability error {worst:.4f}")
sys.exit(0 if worst < 0.1 else 1)'
  $PY -c "$python_abs_check" > int8.cmp || fail "int8: $(cat int8.cmp)"
  pass "onnx int8: $(cat int8.cmp)"
  # The ONNX runtime is a plugin (edgeflow-onnx.so): without it, a clear
  # error at check time and nothing else changes.
  mkdir -p no-plugins
  cat > onnx_noplugin.yaml <<YAML
sources: [ { id: data, type: replay, path: inputs_complete.csv } ]
stages: [ { infer: { model: mlp.onnx, inputs: [f0, f1, f2, f3] } } ]
sinks: [ { type: stdout } ]
YAML
  if EDGEFLOW_PLUGIN_DIR="$WORK/no-plugins" "$BIN" check onnx_noplugin.yaml > noplugin.out 2>&1; then
    fail "onnx without its plugin: check passed"
  fi
  grep -q "edgeflow-onnx.so is not installed" noplugin.out || fail "onnx without plugin: unclear error: $(cat noplugin.out)"
  pass "onnx without its plugin: $(head -1 noplugin.out | cut -c1-120)"
else
  echo "skip - ONNX (built without EDGEFLOW_ONNX)"
fi

# Bad model files: a clear error at load (edgeflow check exits non-zero).
bad_model() {
  local name="$1" file="$2" inputs="$3" message="$4"
  cat > "bad_$name.yaml" <<YAML
sources: [ { id: data, type: replay, path: inputs.csv } ]
stages: [ { infer: { model: $file, inputs: [$inputs] } } ]
sinks: [ { type: stdout } ]
YAML
  if "$BIN" check "bad_$name.yaml" > "bad_$name.out" 2>&1; then fail "bad model $name: check passed"; fi
  grep -q -- "$message" "bad_$name.out" || fail "bad model $name: expected '$message' in: $(cat "bad_$name.out")"
  pass "bad model $name: $message"
}
head -c 2000 xgb_reg.json > truncated.json
bad_model truncated truncated.json "f0, f1, f2, f3" "not a valid XGBoost JSON model"
sed 's/"format_version":1/"format_version":99/' sk_linear.json > future.json
bad_model unknown_version future.json "f0, f1, f2, f3" "unsupported format_version 99"
bad_model feature_count sk_rf_reg.json "f0, f1, f2" "takes 4 features but 3 input fields"
sed 's/"name":"reg:squarederror"/"name":"rank:pairwise"/' xgb_reg.json > ranker.json
bad_model objective ranker.json "f0, f1, f2, f3" "unsupported objective 'rank:pairwise'"
bad_model absent no_such_model.json "f0, f1, f2, f3" "cannot open model file"
