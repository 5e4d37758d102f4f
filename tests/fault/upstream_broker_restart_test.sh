#!/usr/bin/env bash
# (b) The broker stops for a while and comes back: the node keeps accepting
# events into its outbox, and once the broker is back the backlog drains to
# the receiver with nothing lost and nothing twice.
source "$(dirname "$0")/upstream_lib.sh"

start_mosquitto </dev/null
URL="mqtt://127.0.0.1:$MQTT_PORT"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: file, path: $WORK/received.jsonl }"
write_sender "$WORK/sender.yaml" "$URL" 100Hz
start_receiver_then_sender

kill -TERM "$MOSQUITTO_PID"
wait "$MOSQUITTO_PID" 2>/dev/null || true
before=$(wc -l <"$WORK/received.jsonl")
sleep 4  # ~1,600 events go to the outbox only
start_mosquitto "$MQTT_PORT" </dev/null
sleep 1
stop_node "$SENDER"
drain_outbox "$URL" 30
sleep 1
stop_node "$RECEIVER"
after=$(wc -l <"$WORK/received.jsonl")
((after > before + 1000)) || fail "backlog not delivered: $before before the outage, $after after"
count=$(check_received "$WORK/received.jsonl") || fail "receiver's file is wrong"
pass "broker restart: $count events, each exactly once, per-device event-time order"
