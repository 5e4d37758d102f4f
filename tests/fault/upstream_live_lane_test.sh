#!/usr/bin/env bash
# (g) Live lane: the broker is down for a while and a backlog builds in the
# node's outbox. Once the broker is back, events produced after the link
# returned must reach the receiver before the backlog has fully drained
# (they are not stuck behind it), and at the end the receiver's store holds
# every event exactly once, each device's values in event-time order.
source "$(dirname "$0")/upstream_lib.sh"

start_mosquitto </dev/null
URL="mqtt://127.0.0.1:$MQTT_PORT"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: store, path: $WORK/received.db }
  - { type: file, path: $WORK/received.jsonl }"
# One batch of 100 in flight: live traffic (400 events/s) keeps up, the
# backlog takes a couple of dozen round trips to drain.
write_sender "$WORK/sender.yaml" "$URL" 100Hz "    max_inflight: 1
    live_ratio: 0.5"
sed -i 's/batch_records: 200/batch_records: 100/' "$WORK/sender.yaml"
start_receiver_then_sender

kill -TERM "$MOSQUITTO_PID"
wait "$MOSQUITTO_PID" 2>/dev/null || true
sleep 5  # ~2,000 events go to the outbox only
logged=$(wc -l <"$WORK/sender.err")
start_mosquitto "$MQTT_PORT" </dev/null
# The first batch after the reconnect opens the live lane at the outbox's tail.
opened() { tail -n +"$((logged + 1))" "$WORK/sender.err" | grep -o 'event backlog of [0-9]* records: live lane opened at seq [0-9]*' | head -1; }
for ((i = 0; i < 400; i++)); do [[ -n "$(opened)" ]] && break; sleep 0.05; done
mark=$(opened | awk '{print $NF}')
[[ -n "$mark" ]] || fail "no live lane opened after the reconnect: $(grep 'live lane' "$WORK/sender.err")"
sleep 2
stop_node "$SENDER"
drain_outbox "$URL" 30
sleep 1
stop_node "$RECEIVER"

"$PY" - "$WORK/received.db" "$WORK/received.jsonl" "$mark" <<'PYEOF' || fail "receiver's data is wrong"
import json, sqlite3, sys
db, jsonl, mark = sys.argv[1], sys.argv[2], int(sys.argv[3])
# Arrival order, from the file sink (resends included).
arrived = [int(json.loads(line)["tags"]["origin_seq"]) for line in open(jsonl)]
fresh = [i for i, s in enumerate(arrived) if s >= mark]
assert fresh, f"no event with seq >= {mark} arrived"
first_fresh = fresh[0]
last_backlog = max(i for i, s in enumerate(arrived) if s < mark)
backlog_left = sum(1 for s in arrived[first_fresh:] if s < mark)
assert first_fresh < last_backlog, (
    f"the first fresh event (seq >= {mark}) arrived at #{first_fresh}, after the backlog's end at #{last_backlog}")
# The store: every seq once, every value once, each device in event-time order.
con = sqlite3.connect(db)
seqs = [s for (s,) in con.execute("SELECT seq FROM received WHERE node = 'node-a' ORDER BY seq")]
assert seqs == list(range(1, seqs[-1] + 1)), "store's received seqs are not exactly 1..max"
assert seqs[-1] > mark + 100, f"too few fresh events: max seq {seqs[-1]}, mark {mark}"
values = con.execute("SELECT series.device, raw.t, raw.v FROM raw JOIN series ON raw.series = series.id "
                     "WHERE series.field = 'v' ORDER BY series.device, raw.t").fetchall()
assert len(values) == len(seqs), f"{len(values)} stored values for {len(seqs)} records"
times = {}
for line in open(jsonl):
    e = json.loads(line)
    times[int(e["tags"]["origin_seq"])] = (e["device"], e["time"])
by_device = {}
for seq in sorted(times):
    by_device.setdefault(times[seq][0], []).append(times[seq][1])
for device, ts in by_device.items():
    assert ts == sorted(ts), f"{device}: the node's event times are not in seq order"
print(f"{len(seqs)} events once in the store; fresh events (seq >= {mark}) arrived from #{first_fresh}, "
      f"{backlog_left} backlog events after them")
PYEOF
pass "live lane: fresh events overtook the backlog; every event exactly once in the store"
