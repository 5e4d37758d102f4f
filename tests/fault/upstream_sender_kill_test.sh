#!/usr/bin/env bash
# (a) The sending node is killed with SIGKILL at random moments, 20 times,
# and restarted each time on the same outbox. The receiver must end with
# every record exactly once, each device's records in the order the node
# produced them (the sender drains strictly oldest first, live_ratio 0, so
# arrival order is checked too).
source "$(dirname "$0")/upstream_lib.sh"
SENDER_OPTIONS="    live_ratio: 0"

start_mosquitto </dev/null
URL="mqtt://127.0.0.1:$MQTT_PORT"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: file, path: $WORK/received.jsonl }"
write_sender "$WORK/sender.yaml" "$URL" 200Hz
start_node receiver "$WORK/receiver.yaml"
wait_receiver_subscribed
RECEIVER=$LAST_PID

RANDOM=42  # reproducible kill moments
for round in $(seq 1 20); do
  start_node sender "$WORK/sender.yaml"
  # 0.2 .. 1.2 s: before, during and after connecting and sending.
  sleep "$(printf '0.%03d' $((RANDOM % 1000)))"
  sleep 0.2
  kill -KILL "$LAST_PID" 2>/dev/null || true
  wait "$LAST_PID" 2>/dev/null || true
done
drain_outbox "$URL" 45
sleep 1
stop_node "$RECEIVER"
count=$(ARRIVAL_ORDER=1 check_received "$WORK/received.jsonl") || fail "receiver's file is wrong"
((count > 1000)) || fail "only $count events arrived"
pass "20 SIGKILLs of the sender: $count events, each exactly once and in per-device order"
