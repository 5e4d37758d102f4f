#!/usr/bin/env bash
# The mqtt sink's `on_full: spill` against Debian's mosquitto: with the
# broker down, a run's messages go to the on-disk spill (nothing blocks,
# nothing is dropped) and stay there when the node stops; the next run,
# with the broker up, sends the spilled backlog first, then its own
# messages: every message exactly once (no broker outage during delivery),
# in per-device order. A spill that is too small evicts its oldest
# messages, counted and logged with what was dropped.
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"

PORT=$(free_port)

# pipeline NAME COUNT_SECONDS START [SPILL_MAX]: 4 devices x 10 Hz, as fast as possible.
pipeline() {
  cat >"$WORK/$1.yaml" <<YAML
sources:
  - type: sim
    devices: 4
    rate: 10Hz
    pace: max
    duration: $2s
    start: "$3"
    seed: 7
sinks:
  - type: mqtt
    url: mqtt://127.0.0.1:$PORT
    client_id: spill-test
    topic: "spill/\${device}"
    qos: 1
    queue: 4KB
    on_full: spill
    spill: { path: $WORK/spill-$1, max_bytes: ${4:-64MB} }
    backoff_max: 200ms
    drain_timeout: 3s
YAML
}

# run NAME: runs to the end of its simulator; stats on NAME.err.
run() {
  "$EDGEFLOW" run "$WORK/$1.yaml" --stats --no-status >"$WORK/$1.out" 2>"$WORK/$1.err" ||
    fail "$1: edgeflow exited with $?"
}

counter() { awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.err" | tail -1; }

# ---------------------------------------------- broker down: all spilled
pipeline down 50 "2024-05-01T00:00:00Z"   # 2,000 messages
run down
spilled=$(counter down 'mqtt_spilled{sink="mqtt"}')
[[ "${spilled:-0}" -ge 1900 ]] || fail "expected ~2000 spilled messages, got '${spilled:-}'"
grep -q "spilled messages not delivered yet; kept in" "$WORK/down.err" || fail "no shutdown report of the kept spill"
[[ -n "$(ls -A "$WORK/spill-down")" ]] || fail "the spill directory is empty"
pass "broker down: $spilled messages spilled to disk, the run ended without blocking"

# ------------------------------------- broker up: backlog first, then new
mv "$WORK/spill-down" "$WORK/spill-up"
start_mosquitto "$PORT" </dev/null
mosquitto_sub -p "$PORT" -q 1 -t 'spill/#' -v >"$WORK/received.txt" 2>"$WORK/sub.err" &
track $!
sleep 0.5
pipeline up 1 "2024-05-01T01:00:00Z"   # 40 new messages
run up
wait_for_lines "$WORK/received.txt" 2040 20 || fail "received $(wc -l <"$WORK/received.txt") of 2040"
sleep 0.5
"$PY" - "$WORK/received.txt" <<'PYEOF' || fail "order/duplicate check failed"
import json, sys
from datetime import datetime
def t(text): return datetime.fromisoformat(text.replace("Z", "+00:00")).timestamp()
seen, last, new_started = set(), {}, False
lines = open(sys.argv[1]).read().splitlines()
assert len(lines) == 2040, f"{len(lines)} messages, expected 2040"
for line in lines:
    topic, payload = line.split(" ", 1)
    e = json.loads(payload)
    key = (e["device"], t(e["time"]))
    assert key not in seen, f"duplicate {key}"
    seen.add(key)
    assert last.get(e["device"], 0) < t(e["time"]), f"out of order for {e['device']}: {e['time']}"
    last[e["device"]] = t(e["time"])
    is_new = e["time"] >= "2024-05-01T01"
    assert not (new_started and not is_new), "a spilled message arrived after a new one"
    new_started = new_started or is_new
print("ok")
PYEOF
grep -q "spilled messages from the previous run will be sent first" "$WORK/up.err" || fail "no start-up report of the spill"
# The sink reads from the spill only about what its queue has room for, so
# a spilled message is read about once (one that does not fit goes back and
# is read again: this was ~10 reads per message with a 4KB queue).
read_back=$(counter up 'outbox.delivered{outbox="mqtt",class="telemetry"}')
((read_back * 4 <= 2040 * 5)) || fail "the spill was read $read_back times for 2040 messages"
pass "broker up: 2000 spilled + 40 new messages, each once, spilled first, per-device order kept"

# ----------------------------------------------- a spill that is too small
kill "$MOSQUITTO_PID"; wait "$MOSQUITTO_PID" || true
pipeline small 500 "2024-05-02T00:00:00Z" 1MB   # 20,000 messages, ~5 MB encoded
run small
evicted=$(counter small 'outbox.evicted{outbox="mqtt",class="telemetry",reason="overflow"}')
[[ "${evicted:-0}" -gt 0 ]] || fail "a 1MB spill of 20000 messages evicted nothing (${evicted:-unset})"
grep -q "evicted" "$WORK/small.err" || fail "evictions were not logged"
pass "a full spill evicts its oldest messages: $evicted counted and logged"
