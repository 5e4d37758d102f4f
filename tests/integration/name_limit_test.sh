#!/usr/bin/env bash
# settings.max_names bounds the names taken from input data: a feed that
# invents a new JSON key per record (a timestamp used as a key) fills the
# table, then its records are rejected as name_limit (counted and sent to
# the dead-letter stream), while records with known names keep flowing.
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"
cd "$WORK"

"$PY" - <<'PYEOF'
with open("feed.jsonl", "w") as f:
    for i in range(3000):   # each record brings a key nobody saw before
        f.write('{"time": %d, "device": "meter-1", "reading_%d": %d}\n' % (1700000000 + i, 1700000000 + i, i))
    for i in range(50):     # then ordinary records
        f.write('{"time": %d, "device": "meter-1", "kwh": %d}\n' % (1700010000 + i, i))
PYEOF
# "kwh" is known from the filter below (configuration names are always kept).
cat > pipeline.yaml <<YAML
settings: { max_names: 1000 }
sources:
  - { id: feed, type: replay, path: feed.jsonl }
stages:
  - filter: "kwh >= 0"
sinks:
  - { type: file, path: out.jsonl }
  - { type: file, path: rejected.jsonl, from: dead_letter }
YAML
"$EDGEFLOW" run pipeline.yaml --stats --no-status > run.out 2> run.err || fail "edgeflow exited with $?"
rejected=$(awk '$1 == "dropped{source=\"feed\",reason=\"name_limit\"}" { print $2 }' run.err)
[[ "${rejected:-0}" -gt 1000 ]] || fail "expected most of the 3000 new-key records rejected as name_limit, got '${rejected:-}'"
[[ $(wc -l < out.jsonl) -eq 50 ]] || fail "the 50 records with known names did not all pass: $(wc -l < out.jsonl)"
grep -q '"reason":"name_limit"' rejected.jsonl || fail "name_limit rejections are not in the dead-letter stream"
pass "max_names: $rejected records with new names rejected as name_limit, the 50 known-name records kept"
