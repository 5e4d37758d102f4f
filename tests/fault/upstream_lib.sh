# Shared pieces of the store-and-forward fault tests (tests/fault/upstream_*):
# a sending node (sim -> upstream sink with an outbox) and a receiving node
# (upstream source -> file or store sink), both real edgeflow processes,
# through a real mosquitto, and the checks of what the receiver holds.
# shellcheck source=../integration/lib.sh
source "$(dirname "$0")/../integration/lib.sh"

EDGEFLOW="$1"
[[ -x "$EDGEFLOW" ]] || fail "usage: $0 path/to/edgeflow"


# The sending node's id and outbox; a test with several senders changes them.
NODE=node-a
OUTBOX="$WORK/outbox"
# Extra upstream sink lines for the sender and the drainer (e.g. live_ratio).
SENDER_OPTIONS=""

# write_sender FILE URL [RATE] [EXTRA_SINK_LINES]: sim (4 devices at RATE ticks/s) -> upstream.
write_sender() {
  local file="$1" url="$2" rate="${3:-100Hz}" extra="${4:-}"
  cat >"$file" <<YAML
node: $NODE
sources:
  - id: sim
    type: sim
    devices: 4
    device_prefix: dev-
    rate: $rate
    fields:
      v: { base: 10, noise: 1, round: 3 }
sinks:
  - type: upstream
    url: $url
    client_id: fault-sender
    keepalive: 2s
    connect_timeout: 2s
    backoff_max: 500ms
    outbox: { path: $OUTBOX, fsync: never }
    ack_timeout: 2s
    linger: 20ms
    retry_max: 500ms
    batch_records: 200
$SENDER_OPTIONS
$extra
YAML
}

# write_drainer FILE URL [EXTRA_SINK_LINES]: the same node and outbox with no
# new events; it exits once the outbox is empty and acknowledged (or after
# drain_timeout).
write_drainer() {
  local file="$1" url="$2" extra="${3:-}"
  : >"$WORK/empty.jsonl"
  cat >"$file" <<YAML
node: $NODE
sources:
  - { id: nothing, type: replay, path: $WORK/empty.jsonl }
sinks:
  - type: upstream
    url: $url
    client_id: fault-sender
    keepalive: 2s
    outbox: { path: $OUTBOX, fsync: never }
    ack_timeout: 2s
    linger: 20ms
    retry_max: 500ms
    drain_timeout: \${DRAIN_SECONDS}s
$SENDER_OPTIONS
$extra
YAML
}

# write_receiver FILE URL SINK_YAML (the MQTT session options only for mqtt urls)
write_receiver() {
  local file="$1" url="$2" sink="$3" mqtt_options=""
  if [[ "$url" == mqtt* ]]; then
    mqtt_options=$'\n    client_id: fault-receiver\n    clean_start: false\n    keepalive: 2s'
  fi
  cat >"$file" <<YAML
node: receiver
sources:
  - id: up
    type: upstream
    url: $url$mqtt_options
sinks:
$sink
YAML
}

# Starts edgeflow on a pipeline in the background; sets LAST_PID.
start_node() {
  local name="$1" file="$2"
  shift 2
  "$EDGEFLOW" run --stats --log-level info "$@" "$file" >>"$WORK/$name.out" 2>>"$WORK/$name.err" &
  LAST_PID=$!
  track "$LAST_PID"
}

# Waits until the MQTT receiver (stderr in $WORK/$1.err) is connected, and a
# moment for its subscription: the broker keeps nothing for a session it has
# never seen, so a batch published earlier is lost there and resent after
# ack_timeout, behind later batches (out of order at the receiver).
wait_receiver_subscribed() {
  wait_for_text "$WORK/${1:-receiver}.err" "connected to" 15
  sleep 0.3
}

# Stops a node with SIGTERM and waits for it.
stop_node() {
  kill -TERM "$1" 2>/dev/null || true
  wait "$1" 2>/dev/null || true
}

# Drains the outbox to the receiver: runs the drainer, which exits once the
# outbox is empty and acknowledged (up to $2 seconds), and checks its --stats.
# $3: extra sink lines (e.g. tls settings).
# start_receiver_then_sender: starts $WORK/receiver.yaml, waits until it is
# subscribed, starts $WORK/sender.yaml, and waits for the first 200 events
# at the receiver; sets RECEIVER and SENDER to their pids.
start_receiver_then_sender() {
  start_node receiver "$WORK/receiver.yaml"
  wait_receiver_subscribed
  RECEIVER=$LAST_PID
  start_node sender "$WORK/sender.yaml"
  SENDER=$LAST_PID
  wait_for_lines "$WORK/received.jsonl" 200 20
}

drain_outbox() {
  local url="$1" limit="${2:-30}" extra="${3:-}"
  write_drainer "$WORK/drainer.yaml" "$url" "$extra"
  DRAIN_SECONDS="$limit" "$EDGEFLOW" run --stats "$WORK/drainer.yaml" >/dev/null 2>"$WORK/drainer.err" &
  local pid=$!
  track "$pid"
  wait "$pid" || fail "drainer failed"
  grep -Eq 'upstream_backlog_records\{[^}]*\} +0$' "$WORK/drainer.err" ||
    fail "outbox not drained after ${limit}s: $(grep upstream_backlog "$WORK/drainer.err")"
}

# check_received FILE: every seq 1..max exactly once, and each device's
# events in event-time order when sorted by seq (the node kept them in
# order). Arrival order per device is checked only with ARRIVAL_ORDER=1 (a
# sender with live_ratio 0): the live lane lets fresh events overtake a
# backlog. Prints the count.
check_received() {
  ARRIVAL_ORDER="${ARRIVAL_ORDER:-0}" "$PY" - "$1" <<'PYEOF'
import json, os, sys
rows = []  # (device, seq, time) in arrival order
with open(sys.argv[1]) as f:
    for line in f:
        e = json.loads(line)
        rows.append((e["device"], int(e["tags"]["origin_seq"]), e["time"]))
seqs = [s for _, s, _ in rows]
if not seqs:
    sys.exit("received nothing")
dups = len(seqs) - len(set(seqs))
if dups:
    sys.exit(f"{dups} duplicate records")
missing = set(range(1, max(seqs) + 1)) - set(seqs)
if missing:
    sys.exit(f"{len(missing)} seqs missing, e.g. {sorted(missing)[:5]}")
last_time = {}
for d, s, t in sorted(rows, key=lambda r: r[1]):
    if d in last_time and t < last_time[d]:
        sys.exit(f"device {d}: seq {s} has an earlier event time than the one before it")
    last_time[d] = t
if os.environ["ARRIVAL_ORDER"] == "1":
    last = {}
    for d, s, _ in rows:
        if s <= last.get(d, 0):
            sys.exit(f"device {d}: seq {s} arrived after {last[d]}")
        last[d] = s
print(len(seqs))
PYEOF
}
