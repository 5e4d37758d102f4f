#!/usr/bin/env bash
# The modbus source and sink against a real Modbus TCP server (libmodbus,
# tests/integration/modbus_server.cc, built next to edgeflow) on 127.0.0.1.
# Checks decoded values (types, word orders, scale, offset), that coalescing
# issues the planned requests, that an illegal address and a silent unit are
# counted per reason while the other groups go on, that a server restart is
# survived, and that the sink's writes land in the server's registers.
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"
SERVER="$(dirname "$EDGEFLOW")/modbus_test_server"
[[ -x "$SERVER" ]] || fail "no test server at $SERVER (build the modbus_test_server target)"

PORT=$(free_port)
# hr0 int16 -123 | hr1-2 uint32 123456 big | hr3-4 uint32 654321 little |
# hr5 uint16 250 | hr20 uint16 7 | ir0-1 float32 21.5 | ir2-3 float32 NaN
# (a device's "no reading") | coils 1,0,1
start_server() {
  local hr0="$1"
  "$SERVER" serve "$PORT" --hr "0=$hr0,1,57920,64497,9,250" --hr 20=7 --ir 0=16812,0,32704,0 \
    --coil 0=1,0,1 --silent-unit 9 --log "$WORK/requests.log" 2>>"$WORK/server.err" &
  SERVER_PID=$!
  track "$SERVER_PID"
  wait_for_port "$PORT"
}
start_server 0xFF85

cat >"$WORK/poll.yaml" <<YAML
sources:
  - id: plc
    type: modbus
    url: tcp://127.0.0.1:$PORT
    unit_id: 1
    device: plc-{unit_id}
    timeout: 300ms
    backoff: 100ms
    backoff_max: 400ms
    max_gap: 2
    groups:
      - interval: 200ms
        registers:
          - { name: temperature, address: 0, type: int16, scale: 0.1, unit: degC }
          - { name: total_big, address: 1, type: uint32 }
          - { name: total_little, address: 3, type: uint32, word_order: little }
          - { name: level, address: 5, scale: 0.5, offset: -40 }
          - { name: far, address: 20 }
          - { name: flow, address: 0, table: input, type: float32, offset: -1.5 }
          - { name: humidity, address: 2, table: input, type: float32 }
          - { name: running, address: 0, table: coil }
          - { name: fault, address: 1, table: coil }
          - { name: door, address: 2, table: coil }
      - interval: 200ms
        device: bogus
        registers:
          - { name: nothing_here, address: 500 }
      - interval: 1s
        unit_id: 9
        device: silent
        registers:
          - { name: never, address: 0 }
sinks:
  - { type: file, path: $WORK/out.jsonl }
YAML
"$EDGEFLOW" check "$WORK/poll.yaml" >/dev/null || fail "check failed"
"$EDGEFLOW" run "$WORK/poll.yaml" --stats --log-format json --no-status \
  >"$WORK/run.out" 2>"$WORK/run.err" &
EF_PID=$!
track "$EF_PID"
wait_for_lines "$WORK/out.jsonl" 5

line=$(head -1 "$WORK/out.jsonl")
expect() { grep -qF -- "$1" <<<"$line" || fail "want $1 in $line"; }
expect '"device":"plc-1"'
expect '"temperature":-12.3'
expect '"total_big":123456'
expect '"total_little":654321'
expect '"level":85'
expect '"far":7'
expect '"flow":20'
expect '"running":true'
expect '"fault":false'
expect '"door":true'
expect '"unit.temperature":"degC"'
grep -qF '"humidity"' <<<"$line" && fail "the NaN register became a field: $line"
grep -q '"device":"bogus"\|"device":"silent"' "$WORK/out.jsonl" && fail "failed groups produced events"
pass "registers decoded (int16, uint32 both word orders, float32, coils, scale, offset)"

# Coalescing: holding 0..5 and 20 (gap 14 > max_gap 2), input 0..3 and
# coils 0..2 are four requests per poll of unit 1, no others.
plan=$(grep '^1 ' "$WORK/requests.log" | grep -v ' 500 ' | sort -u)
want=$'1 1 0 3\n1 3 0 6\n1 3 20 1\n1 4 0 4'
[[ "$plan" == "$want" ]] || fail "requests of unit 1 were: $plan"
# Count events first: the server logs a request before it replies, so every
# event counted here already has its request in the log (read second). A
# poll or two may still be on its way to the output file.
events=$(grep -c '"device":"plc-1"' "$WORK/out.jsonl")
polls=$(grep -c '^1 3 0 6$' "$WORK/requests.log")
((polls >= events && polls <= events + 2)) || fail "$polls polls for $events events"
pass "coalesced into 4 requests per poll ($polls polls)"

# The server goes away and comes back with a new temperature (-100 = -10.0).
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
wait_for_text "$WORK/run.err" "lost the connection"
sleep 1  # a few failed reconnects
start_server 0xFF9C
wait_for_text "$WORK/run.err" "reconnected"
wait_for_text "$WORK/out.jsonl" '"temperature":-10,'
pass "reconnected after a server restart and resumed"

kill -TERM "$EF_PID"
wait "$EF_PID" || fail "edgeflow exited with $?"
stat() { grep -F "$1" "$WORK/run.err" | grep -oE '[0-9]+$' | tail -1; }
(($(stat 'errors{source="plc",reason="illegal_data_address"}') >= 1)) || fail "illegal address not counted"
(($(stat 'errors{source="plc",reason="timeout"}') >= 1)) || fail "silent unit timeout not counted"
(($(stat 'errors{source="plc",reason="connection_refused"}') >= 1)) || fail "refused reconnects not counted"
(($(stat 'reconnects{source="plc"}') >= 1)) || fail "reconnect not counted"
(($(stat 'errors{source="plc",reason="non_finite"}') >= 1)) || fail "the NaN register not counted"
grep -q "holds a non-finite value" "$WORK/run.err" || fail "the NaN register not logged"
pass "failures counted per reason: $(grep -F 'errors{source="plc",reason=' "$WORK/run.err" | tr '\n' ' ')"

# The sink: a replayed command file writes a holding register (int16,
# scale 0.1), a uint32 pair (little word order) and a coil.
cat >"$WORK/commands.jsonl" <<'JSONL'
{"device":"hmi","time":1700000000000,"setpoint":21.7,"pump":true,"total":654321}
{"device":"hmi","time":1700000001000,"setpoint":99999}
JSONL
cat >"$WORK/write.yaml" <<YAML
sources:
  - { type: replay, path: $WORK/commands.jsonl }
sinks:
  - type: modbus
    url: tcp://127.0.0.1:$PORT
    unit_id: 1
    writes:
      - { field: setpoint, address: 10, type: int16, scale: 0.1 }
      - { field: total, address: 12, type: uint32, word_order: little }
      - { field: pump, address: 5, table: coil }
YAML
"$EDGEFLOW" run "$WORK/write.yaml" --stats --log-format json --no-status >/dev/null 2>"$WORK/write.err" \
  || fail "write pipeline failed: $(tail -5 "$WORK/write.err")"
[[ "$("$SERVER" read "$PORT" hr 10 1)" == 217 ]] || fail "setpoint register: $("$SERVER" read "$PORT" hr 10 1)"
[[ "$("$SERVER" read "$PORT" hr 12 2 | tr '\n' ' ')" == "64497 9 " ]] || fail "uint32 little registers"
[[ "$("$SERVER" read "$PORT" coil 5 1)" == 1 ]] || fail "pump coil not set"
grep -qF 'modbus_writes{sink="modbus",result="ok"} 3' "$WORK/write.err" \
  || fail "writes not counted: $(grep modbus_writes "$WORK/write.err")"
grep -qF 'dropped{sink="modbus",reason="bad_value"} 1' "$WORK/write.err" || fail "out-of-range value not counted"
pass "sink wrote a register, a 32-bit pair and a coil; an out-of-range value was refused"

# A rule action: an over-temperature reading stops the pump (coil 7) and
# writes the temperature to holding register 30; outcomes become events.
cat >"$WORK/hot.jsonl" <<'JSONL'
{"device":"boiler","time":1700000000000,"temperature":95}
{"device":"boiler","time":1700000001000,"temperature":60}
JSONL
cat >"$WORK/action.yaml" <<YAML
sources:
  - { type: replay, path: $WORK/hot.jsonl }
stages:
  - rule:
      when: "temperature > 90"
      then:
        - modbus: { url: "tcp://127.0.0.1:$PORT", unit_id: 1, table: coil, address: 7, value: 1 }
        - modbus: { url: "tcp://127.0.0.1:$PORT", unit_id: 1, address: 30, value: "\${temperature}" }
sinks:
  - { type: file, path: $WORK/action.jsonl }
YAML
"$EDGEFLOW" run "$WORK/action.yaml" --log-format json --no-status >/dev/null 2>"$WORK/action.err" \
  || fail "action pipeline failed"
[[ "$("$SERVER" read "$PORT" coil 7 1)" == 1 ]] || fail "the action did not set coil 7"
[[ "$("$SERVER" read "$PORT" hr 30 1)" == 95 ]] || fail "the action did not write register 30"
[[ $(grep -c '"action":"modbus","status":"ok"' "$WORK/action.jsonl") == 2 ]] \
  || fail "action outcomes: $(cat "$WORK/action.jsonl")"
pass "rule actions wrote a coil and a register and recorded their outcome"

# The sink against a dead server: counted, and shutdown does not hang.
kill "$SERVER_PID"
wait "$SERVER_PID" 2>/dev/null || true
sed -i "s/unit_id: 1/unit_id: 1\n    timeout: 200ms\n    retries: 1\n    backoff: 50ms\n    drain_timeout: 1s/" "$WORK/write.yaml"
"$EDGEFLOW" run "$WORK/write.yaml" --stats --log-format json --no-status >/dev/null 2>"$WORK/dead.err" \
  || fail "write pipeline with a dead server failed"
grep -qF 'errors{sink="modbus",reason="connection_refused"}' "$WORK/dead.err" || fail "refused not counted"
grep -qF 'dropped{sink="modbus",reason="write_failed"}' "$WORK/dead.err" || fail "failed writes not counted"
pass "sink with a dead server: failures counted, clean exit"

# Modbus RTU over a socat pseudo-terminal pair (libmodbus accepts a pty: no
# RS-485 ioctls are used unless asked for).
command -v socat >/dev/null || fail "socat is not installed"
socat -d -d "pty,raw,echo=0,link=$WORK/rtuA" "pty,raw,echo=0,link=$WORK/rtuB" 2>>"$WORK/socat.log" &
track $!
for ((i = 0; i < 200; i++)); do [[ -e "$WORK/rtuA" && -e "$WORK/rtuB" ]] && break; sleep 0.05; done
"$SERVER" serve-rtu "$WORK/rtuB" 5 --hr 0=0xFF85,0x41AC,0 2>>"$WORK/rtu-server.err" &
track $!
cat >"$WORK/rtu.yaml" <<YAML
sources:
  - type: modbus
    url: rtu://$WORK/rtuA?baud=19200&parity=N
    unit_id: 5
    timeout: 500ms
    groups:
      - interval: 200ms
        registers:
          - { name: temperature, address: 0, type: int16, scale: 0.1 }
          - { name: pressure, address: 1, type: float32 }
sinks:
  - { type: file, path: $WORK/rtu.jsonl }
YAML
"$EDGEFLOW" run "$WORK/rtu.yaml" --log-format json --no-status >/dev/null 2>"$WORK/rtu.err" &
RTU_PID=$!
track "$RTU_PID"
wait_for_lines "$WORK/rtu.jsonl" 2
kill -TERM "$RTU_PID"
wait "$RTU_PID" || fail "rtu run exited with $?"
grep -qF '"device":"modbus-5","temperature":-12.3,"pressure":21.5' "$WORK/rtu.jsonl" \
  || fail "rtu values: $(head -2 "$WORK/rtu.jsonl")"
pass "Modbus RTU over a pty pair"
