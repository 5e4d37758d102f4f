#!/usr/bin/env bash
# The serial source against socat pseudo-terminal pairs: edgeflow reads one
# end (ttyXA), the test writes lines to the other (ttyXB). Checks decoding of
# kv / json / csv lines, the per-reason drop counters (too large, invalid
# UTF-8, malformed), and that a device that vanishes (socat killed) and comes
# back (socat restarted under the same link) is reopened and read again.
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"
command -v socat >/dev/null || fail "socat is not installed"

# Starts a socat pty pair with links $WORK/${1}A and $WORK/${1}B; sets
# SOCAT_PID_$1.
start_pair() {
  local name="$1" i
  rm -f "$WORK/${name}A" "$WORK/${name}B"
  socat -d -d "pty,raw,echo=0,link=$WORK/${name}A" "pty,raw,echo=0,link=$WORK/${name}B" \
    2>>"$WORK/socat-$name.log" &
  local pid=$!
  track "$pid"
  printf -v "SOCAT_PID_$name" '%s' "$pid"
  for ((i = 0; i < 200; i++)); do
    [[ -e "$WORK/${name}A" && -e "$WORK/${name}B" ]] && return 0
    sleep 0.05
  done
  fail "socat did not create $WORK/${name}A"
}

# Writes bytes (printf format) to the test's end of pair $1.
send() {
  local name="$1"
  shift
  # shellcheck disable=SC2059
  printf "$@" >"$WORK/${name}B"
}

start_pair kv
start_pair json
start_pair csv

cat >"$WORK/pipeline.yaml" <<YAML
sources:
  - id: kv_port
    type: serial
    device: $WORK/kvA
    baud: 115200
    format: kv
    line_ending: crlf
    max_line: 64B
    default_device: station-kv
    reopen_interval: 100ms
    reopen_max: 500ms
  - id: json_port
    type: serial
    device: $WORK/jsonA
    format: json
    default_device: station-json
  - id: csv_port
    type: serial
    device: $WORK/csvA
    format: csv
    columns: [temp, hum]
    default_device: station-csv
sinks:
  - { type: file, path: $WORK/out.jsonl, from: input }
  - { type: file, path: $WORK/rejected.jsonl, from: dead_letter }
YAML

"$EDGEFLOW" check "$WORK/pipeline.yaml" >/dev/null || fail "check failed"
"$EDGEFLOW" run "$WORK/pipeline.yaml" --stats --log-format json --no-status \
  >"$WORK/run.out" 2>"$WORK/run.err" &
EF_PID=$!
track "$EF_PID"
for port in kv_port json_port csv_port; do wait_for_text "$WORK/run.err" "serial $port: opened"; done

# Good lines, a line split over two writes, and the bad ones.
send kv 'temp=21.5 hum=40 state=ok\r\n'
send kv 'temp=22.'
sleep 0.2
send kv '5 hum=41\r\n'
send kv 'no equals sign here\r\n'
send kv 'name=\xff\xfe\r\n'
send kv 'x=%s\r\n' "$(printf '%080d' 0)"
send kv 'temp=23 hum=42\r\n'
send json '{"temp": 18.25, "hum": 55}\n{"temp": 18.5, "time": 1700000000}\n{"temp": \n'
send csv '19.5,60\n20,61,extra\n20.5,62\n'
wait_for_lines "$WORK/out.jsonl" 7

count() { grep -c -- "$1" "$WORK/out.jsonl" || true; }
[[ $(count '"device":"station-kv"') -eq 3 ]] || fail "want 3 kv events: $(cat "$WORK/out.jsonl")"
grep -q '"device":"station-kv".*"temp":22.5,"hum":41' "$WORK/out.jsonl" || fail "split kv line not joined"
grep -q '"state":"ok"' "$WORK/out.jsonl" || fail "kv string field missing"
[[ $(count '"device":"station-json"') -eq 2 ]] || fail "want 2 json events"
grep -q '"time":"2023-11-14T22:13:20' "$WORK/out.jsonl" || fail "json line time not used"
[[ $(count '"device":"station-csv"') -eq 2 ]] || fail "want 2 csv events"
grep -q '"device":"station-csv".*"temp":20.5,"hum":62' "$WORK/out.jsonl" || fail "csv values"
pass "kv, json and csv lines decoded"

# The device vanishes: socat is killed, its links disappear.
kill "$SOCAT_PID_kv"
wait "$SOCAT_PID_kv" 2>/dev/null || true
wait_for_text "$WORK/run.err" "serial kv_port: lost"
[[ ! -e "$WORK/kvA" ]] || fail "socat left its link behind"
sleep 0.5  # some reopen attempts fail while the device is absent
start_pair kv
wait_for_text "$WORK/run.err" "serial kv_port: reopened"
grep -q "serial kv_port: reopened .* after [1-9][0-9]* failed attempts" "$WORK/run.err" \
  || fail "no failed reopen attempts while the device was absent"
send kv 'temp=30 after=1\r\n'
wait_for_text "$WORK/out.jsonl" '"after":1'
pass "device removed and recreated: reopened and read again"

kill -TERM "$EF_PID"
wait "$EF_PID" || fail "edgeflow exited with $?"
stat() { grep -F "$1" "$WORK/run.err" | grep -oE '[0-9]+$' | tail -1; }
[[ "$(stat 'dropped{source="kv_port",reason="malformed_kv"}')" == 1 ]] || fail "malformed_kv count"
[[ "$(stat 'dropped{source="kv_port",reason="invalid_utf8"}')" == 1 ]] || fail "invalid_utf8 count"
[[ "$(stat 'dropped{source="kv_port",reason="too_large"}')" == 1 ]] || fail "too_large count"
[[ "$(stat 'dropped{source="json_port",reason="malformed_json"}')" == 1 ]] || fail "malformed_json count"
[[ "$(stat 'dropped{source="csv_port",reason="malformed_csv"}')" == 1 ]] || fail "malformed_csv count"
[[ "$(stat 'reopens{source="kv_port"}')" == 1 ]] || fail "reopens count: $(grep reopens "$WORK/run.err")"
grep -q '"reason":"invalid_utf8"' "$WORK/rejected.jsonl" || fail "invalid_utf8 not dead-lettered"
pass "bad lines counted per reason and dead-lettered"
