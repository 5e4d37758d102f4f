# Shared helpers for the integration tests (sourced by tests/integration/*.sh).
#
# Every test runs its real peers (broker, server, pseudo-terminal) on
# 127.0.0.1 and free ports, in a private temporary directory, and stops them
# on exit whatever happens. Debian's python3 is /usr/bin/python3 (the one
# that sees python3-paho-mqtt).
set -euo pipefail

PY=/usr/bin/python3
WORK="$(mktemp -d "${TMPDIR:-/tmp}/edgeflow-it.XXXXXX")"
_PIDS=()

cleanup() {
  local pid
  for pid in "${_PIDS[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${_PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  if [[ "${KEEP_WORK:-0}" != 1 ]]; then rm -rf "$WORK"; fi
}
trap cleanup EXIT

# Remembers a background process so cleanup stops it.
track() { _PIDS+=("$1"); }

fail() {
  echo "FAIL: $*" >&2
  # The logs of what ran, for the CI output.
  local log
  for log in "$WORK"/*.err; do
    [[ -f "$log" ]] || continue
    echo "--- tail of $log" >&2
    tail -n 15 "$log" >&2
  done
  exit 1
}

pass() { echo "ok - $*"; }

# A TCP (default) or UDP port that is free on 127.0.0.1 now.
free_port() {
  "$PY" - "${1:-tcp}" <<'PYEOF'
import socket, sys
kind = socket.SOCK_DGRAM if sys.argv[1] == "udp" else socket.SOCK_STREAM
s = socket.socket(socket.AF_INET, kind)
s.bind(("127.0.0.1", 0))
print(s.getsockname()[1])
PYEOF
}

# Waits until something listens on 127.0.0.1:$1 (TCP), up to $2 seconds.
wait_for_port() {
  local port="$1" limit="${2:-10}" i
  for ((i = 0; i < limit * 20; i++)); do
    if "$PY" -c "import socket,sys; socket.create_connection(('127.0.0.1', int(sys.argv[1])), 0.2)" \
      "$port" 2>/dev/null; then
      return 0
    fi
    sleep 0.05
  done
  fail "nothing listens on port $port after ${limit}s"
}

# Waits until file $1 has at least $2 lines, up to $3 seconds.
wait_for_lines() {
  local file="$1" want="$2" limit="${3:-10}" i
  for ((i = 0; i < limit * 20; i++)); do
    if [[ -f "$file" ]] && (($(wc -l <"$file") >= want)); then return 0; fi
    sleep 0.05
  done
  fail "$file has $( [[ -f $file ]] && wc -l <"$file" || echo 0) lines after ${limit}s, wanted $want"
}

# Waits until file $1 contains the fixed string $2, up to $3 seconds.
wait_for_text() {
  local file="$1" text="$2" limit="${3:-10}" i
  for ((i = 0; i < limit * 20; i++)); do
    if [[ -f "$file" ]] && grep -qF -- "$text" "$file"; then return 0; fi
    sleep 0.05
  done
  fail "'$text' not in $file after ${limit}s"
}

# Starts Debian's mosquitto on a free port (or $1) with extra config lines
# from stdin (give </dev/null for none); sets MQTT_PORT and MOSQUITTO_PID. Persistence lives in $WORK/mosquitto-$MQTT_PORT.
start_mosquitto() {
  MQTT_PORT="${1:-$(free_port)}"
  local dir="$WORK/mosquitto-$MQTT_PORT" extra
  mkdir -p "$dir"
  extra="$(cat)"
  {
    echo "listener $MQTT_PORT 127.0.0.1"
    # Anonymous unless the extra lines decide.
    grep -q '^allow_anonymous' <<<"$extra" || echo "allow_anonymous true"
    echo "user $(id -un)"  # as root mosquitto would switch to user mosquitto
    echo "persistence true"
    echo "persistence_location $dir/"
    # Keep every queued QoS 1/2 message for an offline client (the default,
    # 1000, makes the broker drop the rest: not what these tests measure).
    echo "max_queued_messages 0"
    echo "log_dest file $dir/mosquitto.log"
    echo "$extra"
  } >"$dir/mosquitto.conf"
  /usr/sbin/mosquitto -c "$dir/mosquitto.conf" >"$dir/stderr.log" 2>&1 &
  MOSQUITTO_PID=$!
  track "$MOSQUITTO_PID"
  wait_for_port "$MQTT_PORT"
}
