#!/usr/bin/env bash
# The HTTP transport: the node POSTs batches straight to the receiver's
# upstream source (no broker). The receiver is stopped for a while (the node
# keeps its backlog and retries with backoff) and comes back; everything
# arrives exactly once (fresh events may overtake the backlog: live lane).
source "$(dirname "$0")/upstream_lib.sh"

start_mosquitto </dev/null  # only the drainer's helpers need MQTT_PORT
HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT/upstream"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: file, path: $WORK/received.jsonl }"
write_sender "$WORK/sender.yaml" "$URL" 100Hz
start_node receiver "$WORK/receiver.yaml"
RECEIVER=$LAST_PID
wait_for_port "$HTTP_PORT"
start_node sender "$WORK/sender.yaml"
SENDER=$LAST_PID
wait_for_lines "$WORK/received.jsonl" 200 20
stop_node "$RECEIVER"
before=$(wc -l <"$WORK/received.jsonl")
sleep 3
start_node receiver "$WORK/receiver.yaml"
RECEIVER=$LAST_PID
wait_for_port "$HTTP_PORT"
sleep 2
stop_node "$SENDER"
grep -Eq 'upstream_send_failures\{[^}]*\} +[1-9]' "$WORK/sender.err" || fail "no failed send while the receiver was down?"
drain_outbox "$URL" 30
stop_node "$RECEIVER"
after=$(wc -l <"$WORK/received.jsonl")
((after > before + 1000)) || fail "backlog not delivered: $before before, $after after"
count=$(check_received "$WORK/received.jsonl") || fail "receiver's file is wrong"
pass "http transport with a receiver outage: $count events exactly once, per-device event-time order"
