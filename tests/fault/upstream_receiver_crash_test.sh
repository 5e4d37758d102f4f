#!/usr/bin/env bash
# (f) The receiver dies between committing a batch and acknowledging it
# (EDGEFLOW_TEST_CRASH_AFTER_COMMIT), again and again. The node resends what
# was not acknowledged; the receiver's store must hold every record exactly
# once (its file sink, without durable dedup, shows the resends).
source "$(dirname "$0")/upstream_lib.sh"

start_mosquitto </dev/null
URL="mqtt://127.0.0.1:$MQTT_PORT"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: store, path: $WORK/received.db }
  - { type: file, path: $WORK/received.jsonl }"
write_sender "$WORK/sender.yaml" "$URL" 100Hz
start_node sender "$WORK/sender.yaml"
SENDER=$LAST_PID

crashes=0
for k in 3 7 2 11 5 4; do
  EDGEFLOW_TEST_CRASH_AFTER_COMMIT=$k start_node receiver "$WORK/receiver.yaml"
  pid=$LAST_PID
  for ((i = 0; i < 200; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.05; done
  status=0
  wait "$pid" 2>/dev/null || status=$?
  ((status == 86)) || fail "receiver round $k ended with status $status, not the crash hook's 86"
  crashes=$((crashes + 1))
done
start_node receiver "$WORK/receiver.yaml"
RECEIVER=$LAST_PID
sleep 2
stop_node "$SENDER"
drain_outbox "$URL" 30
sleep 1
stop_node "$RECEIVER"

"$PY" - "$WORK/received.db" "$WORK/received.jsonl" <<'PYEOF' || fail "store is wrong"
import json, sqlite3, sys
con = sqlite3.connect(sys.argv[1])
seqs = [s for (s,) in con.execute("SELECT seq FROM received WHERE node = 'node-a' ORDER BY seq")]
assert seqs, "store received nothing"
assert seqs == list(range(1, seqs[-1] + 1)), "store's received seqs are not exactly 1..max"
rows = con.execute("SELECT count(*) FROM raw JOIN series ON raw.series = series.id "
                   "WHERE series.field = 'v'").fetchone()[0]
assert rows == len(seqs), f"{rows} stored values for {len(seqs)} records"
file_seqs = [int(json.loads(l)["tags"]["origin_seq"]) for l in open(sys.argv[2])]
assert set(file_seqs) == set(seqs), "file and store disagree on what arrived"
print(f"{len(seqs)} records once in the store; the file saw {len(file_seqs) - len(set(file_seqs))} resends")
PYEOF
pass "receiver crashed $crashes times between commit and ack: no duplicate in its store"
