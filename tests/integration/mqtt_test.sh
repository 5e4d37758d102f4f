#!/usr/bin/env bash
# The mqtt source and sink against Debian's mosquitto broker, with
# mosquitto_pub / mosquitto_sub and paho-mqtt as independent clients:
# topic mapping and payload formats, bad input counted per reason, a
# persistent session across an edgeflow restart, a broker restart in the
# middle of a QoS 1 stream (no loss), a broker that is down at start-up,
# TLS with server and client certificates (an untrusted client and a wrong
# host name are refused).
source "$(dirname "$0")/lib.sh"
EDGEFLOW="$1"
HERE="$(cd "$(dirname "$0")" && pwd)"

# Runs edgeflow in the background: run_edgeflow NAME PIPELINE. Sets EF_PID.
run_edgeflow() {
  "$EDGEFLOW" run "$2" --stats --log-format json >"$WORK/$1.out" 2>"$WORK/$1.err" &
  EF_PID=$!
  track "$EF_PID"
}

# Stops edgeflow with SIGTERM and waits for its stats.
stop_edgeflow() {
  kill -TERM "$EF_PID"
  wait "$EF_PID" || fail "edgeflow exited with $? ($(tail -5 "$WORK/$1.err"))"
}

# The value of a counter line in NAME's stats: counter NAME 'dropped{source="in",reason="x"}'
counter() {
  awk -v k="$2" '$1 == k { print $2 }' "$WORK/$1.err" | tail -1
}

wait_connected() {
  wait_for_text "$WORK/$1.err" "connected to" 10
}

start_mosquitto </dev/null

# ---------------------------------------------------------------- formats
cat >"$WORK/formats.yaml" <<YAML
sources:
  - id: telemetry
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["factory/+/telemetry"]
    device: topic[1]
    max_message: 1KB
  - id: numbers
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["sensors/+/+"]
    format: number
    device: topic[1]
    value_field: topic[2]
  - id: senml
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["senml/#"]
    format: senml
sinks:
  - type: file
    path: $WORK/formats.jsonl
  - type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topic: "out/\${device}"
    qos: 1
YAML
run_edgeflow formats "$WORK/formats.yaml"
for name in telemetry numbers senml mqtt; do wait_for_text "$WORK/formats.err" "$name" 10; done
wait_for_text "$WORK/formats.err" "mqtt sink 'mqtt1': connected" 10
sleep 0.3
mosquitto_sub -p "$MQTT_PORT" -t 'out/#' -v -W 20 -C 7 >"$WORK/out.txt" &
SUB_PID=$!
track "$SUB_PID"
sleep 0.5
pub() { mosquitto_pub -p "$MQTT_PORT" -q 1 "$@"; }
pub -t factory/press-1/telemetry -m '{"temperature_f": 150.5, "rpm": 1200}'
pub -t factory/press-2/telemetry -m '[{"temperature_f": 1}, {"temperature_f": 2}]'
pub -t sensors/probe-7/humidity -m '41.5'
pub -t senml/x -m '[{"bn":"urn:dev:mac:0024befffe804ff1:","n":"temp","v":21.5},{"n":"hum","v":40}]'
"$PY" -c "
import paho.mqtt.publish as p
p.single('factory/press-3/telemetry', '{\"temperature_f\": 99}', qos=1, hostname='127.0.0.1', port=$MQTT_PORT)"
# Bad input: malformed JSON, invalid UTF-8, not a number, oversized, broken SenML.
pub -t factory/press-1/telemetry -m '{"temperature_f": '
printf '{"name": "\xff\xfe"}' | pub -t factory/press-1/telemetry -s
pub -t sensors/probe-7/humidity -m 'forty'
head -c 4000 /dev/zero | tr '\0' 'x' | pub -t factory/press-1/telemetry -s
pub -t senml/x -m '[{"n":"temp"}]'
pub -t factory/press-4/telemetry -m '{"temperature_f": 77}'
wait_for_lines "$WORK/formats.jsonl" 7 10
wait "$SUB_PID" || fail "mosquitto_sub did not receive the 7 published events"
stop_edgeflow formats
grep -q '"device":"press-1".*"temperature_f":150.5,"rpm":1200' "$WORK/formats.jsonl" || fail "object payload"
[[ $(grep -c '"device":"press-2"' "$WORK/formats.jsonl") == 2 ]] || fail "array payload"
grep -q '"device":"probe-7".*"humidity":41.5' "$WORK/formats.jsonl" || fail "number payload with field from topic"
grep -q '"device":"urn:dev:mac:0024befffe804ff1".*"temp":21.5,"hum":40' "$WORK/formats.jsonl" || fail "senml payload"
grep -q '"device":"press-3"' "$WORK/formats.jsonl" || fail "paho message"
grep -q '"device":"press-4"' "$WORK/formats.jsonl" || fail "good message after bad ones"
[[ $(wc -l <"$WORK/formats.jsonl") == 7 ]] || fail "expected exactly 7 events: $(cat "$WORK/formats.jsonl")"
[[ $(grep -c '^out/' "$WORK/out.txt") == 7 ]] || fail "sink published $(grep -c '^out/' "$WORK/out.txt") of 7"
grep -q '^out/press-1 {"time":.*"temperature_f":150.5' "$WORK/out.txt" || fail "sink topic template"
[[ $(counter formats 'dropped{source="telemetry",reason="malformed_json"}') == 2 ]] || fail "malformed_json and invalid UTF-8 counted"
[[ $(counter formats 'dropped{source="numbers",reason="malformed_number"}') == 1 ]] || fail "malformed_number counted"
[[ $(counter formats 'dropped{source="senml",reason="malformed_senml"}') == 1 ]] || fail "malformed_senml counted"
[[ $(counter formats 'mqtt_messages_too_large{source="telemetry"}') == 1 ]] || fail "oversized message counted"
pass "formats, topic mapping, sink topics, bad input counted per reason"

# ------------------------------------------------------ QoS 2, credentials
AUTH_PORT=$(free_port)
printf 'node-1:s3cret\n' >"$WORK/passwd"
mosquitto_passwd -U "$WORK/passwd" >/dev/null 2>&1 || fail "mosquitto_passwd"
OLD_PID=$MOSQUITTO_PID
OLD_PORT=$MQTT_PORT
start_mosquitto "$AUTH_PORT" <<CONF
allow_anonymous false
password_file $WORK/passwd
CONF
printf 's3cret\n' >"$WORK/password"
auth_pipeline() {  # NAME PASSWORD_LINE
  cat >"$WORK/$1.yaml" <<YAML
sources:
  - id: in
    type: mqtt
    url: mqtt://127.0.0.1:$AUTH_PORT
    topics: ["secure/#"]
    qos: 2
    default_device: d
    username: node-1
    $2
    backoff_min: 200ms
    backoff_max: 500ms
sinks:
  - type: file
    path: $WORK/$1.jsonl
YAML
}
auth_pipeline auth_ok "password_file: $WORK/password"
run_edgeflow auth_ok "$WORK/auth_ok.yaml"
wait_connected auth_ok
sleep 0.3
for n in 1 2 3; do
  mosquitto_pub -p "$AUTH_PORT" -u node-1 -P s3cret -q 2 -t secure/a -m "{\"n\": $n}"
done
wait_for_lines "$WORK/auth_ok.jsonl" 3 10
sleep 0.5
stop_edgeflow auth_ok
[[ $(wc -l <"$WORK/auth_ok.jsonl") == 3 ]] || fail "QoS 2: want each message exactly once"
MQTT_PASSWORD_IT=wrong auth_pipeline auth_bad "password_env: MQTT_PASSWORD_IT"
MQTT_PASSWORD_IT=wrong run_edgeflow auth_bad "$WORK/auth_bad.yaml"
wait_for_text "$WORK/auth_bad.err" "refused the connection: not authorized" 10
stop_edgeflow auth_bad
kill "$MOSQUITTO_PID"; wait "$MOSQUITTO_PID" 2>/dev/null || true
MOSQUITTO_PID=$OLD_PID
MQTT_PORT=$OLD_PORT
pass "QoS 2 exactly once; password from a file accepted, a wrong one refused with the reason"

# --------------------------------------------- persistent session, restart
cat >"$WORK/session.yaml" <<YAML
sources:
  - id: in
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["plant/+/telemetry"]
    device: topic[1]
    client_id: it-session
    clean_start: false
    qos: 1
sinks:
  - type: file
    path: $WORK/session.jsonl
YAML
run_edgeflow session1 "$WORK/session.yaml"
wait_connected session1
stop_edgeflow session1
# Published while the node is down: kept by the broker for the session.
"$PY" "$HERE/mqtt/publisher.py" "$MQTT_PORT" plant 50 1000 it-pub-offline || fail "publisher"
run_edgeflow session2 "$WORK/session.yaml"
wait_for_lines "$WORK/session.jsonl" 50 15
stop_edgeflow session2
for n in $(seq 0 49); do grep -q "\"seq\":$n," "$WORK/session.jsonl" || fail "message $n published while down was lost"; done
pass "QoS 1 messages published while the node was down arrive after restart"

# Unknown topic: the kept session still holds the old subscription.
sed -e 's|plant/+/telemetry|other/#|' "$WORK/session.yaml" >"$WORK/session3.yaml"
run_edgeflow session3 "$WORK/session3.yaml"
wait_connected session3
sleep 0.3
pub -t plant/dev1/telemetry -m '{"seq": 1000}'
pub -t other/x -m '{"device": "d", "seq": 1001}'
wait_for_text "$WORK/session.jsonl" '"seq":1001' 10
stop_edgeflow session3
[[ $(counter session3 'dropped{source="in",reason="unknown_topic"}') == 1 ]] || fail "unknown_topic counted"
pass "messages on topics outside the subscriptions counted as unknown_topic"

# ------------------------------------------------ broker restart mid-stream
cat >"$WORK/restart.yaml" <<YAML
sources:
  - id: in
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["line/+/telemetry"]
    device: topic[1]
    client_id: it-restart
    clean_start: false
    backoff_max: 500ms
sinks:
  - type: file
    path: $WORK/restart.jsonl
YAML
run_edgeflow restart "$WORK/restart.yaml"
RESTART_PID=$EF_PID
wait_connected restart
"$PY" "$HERE/mqtt/publisher.py" "$MQTT_PORT" line 3000 1000 it-pub-restart &
PUB_PID=$!
track "$PUB_PID"
sleep 1
kill -TERM "$MOSQUITTO_PID"
wait "$MOSQUITTO_PID" || true
sleep 0.5
start_mosquitto "$MQTT_PORT" </dev/null
wait "$PUB_PID" || fail "publisher could not deliver everything after the broker restart"
EF_PID=$RESTART_PID
for i in $(seq 1 100); do
  [[ $(grep -o '"seq":[0-9]*' "$WORK/restart.jsonl" | sort -u | wc -l) -ge 3000 ]] && break
  sleep 0.1
done
stop_edgeflow restart
missing=$("$PY" - "$WORK/restart.jsonl" <<'PYEOF'
import json, sys
seen = {json.loads(l)["seq"] for l in open(sys.argv[1])}
print(len([n for n in range(3000) if n not in seen]))
PYEOF
)
[[ "$missing" == 0 ]] || fail "$missing of 3000 QoS 1 messages lost across the broker restart"
[[ $(counter restart 'mqtt_connects{source="in"}') -ge 2 ]] || fail "edgeflow did not reconnect"
pass "broker restart in the middle of a QoS 1 stream: no loss ($(wc -l <"$WORK/restart.jsonl") delivered for 3000)"

# ----------------------------------------------------- broker down at start
DOWN_PORT=$(free_port)
cat >"$WORK/down.yaml" <<YAML
sources:
  - id: in
    type: mqtt
    url: mqtt://127.0.0.1:$DOWN_PORT
    topics: ["late/#"]
    default_device: d
    backoff_max: 300ms
sinks:
  - type: file
    path: $WORK/down.jsonl
YAML
run_edgeflow down "$WORK/down.yaml"
wait_for_text "$WORK/down.err" "cannot connect to 127.0.0.1:$DOWN_PORT" 10
kill -0 "$EF_PID" || fail "edgeflow exited because the broker was down"
OLD_PID=$MOSQUITTO_PID
OLD_PORT=$MQTT_PORT
start_mosquitto "$DOWN_PORT" </dev/null
wait_for_text "$WORK/down.err" "connected to 127.0.0.1:$DOWN_PORT" 10
sleep 0.3
mosquitto_pub -p "$DOWN_PORT" -t late/x -m '{"v": 1}'
wait_for_lines "$WORK/down.jsonl" 1 10
stop_edgeflow down
kill "$MOSQUITTO_PID"; wait "$MOSQUITTO_PID" || true
MOSQUITTO_PID=$OLD_PID
MQTT_PORT=$OLD_PORT
pass "a broker that is down at start-up is retried until it is up"

# ------------------------------------------------------------ rule actions
DEAD_PORT=$(free_port)
cat >"$WORK/action.yaml" <<YAML
sources:
  - id: telemetry
    type: mqtt
    url: mqtt://127.0.0.1:$MQTT_PORT
    topics: ["factory/+/telemetry"]
    device: topic[1]
stages:
  - id: hot
    from: input
    rule:
      when: "temperature_f > 200"
      then:
        - alert
        - mqtt: { url: "mqtt://127.0.0.1:$MQTT_PORT", topic: "factory/\${device}/cmd",
                  payload: "slow_down \${temperature_f}", min_interval: 1h }
  - id: unreachable
    from: input
    rule:
      when: "temperature_f > 200"
      then:
        - mqtt: { url: "mqtt://127.0.0.1:$DEAD_PORT", topic: "x/\${device}", expiry: 1s }
sinks:
  - type: file
    from: [hot, unreachable]
    path: $WORK/action.jsonl
YAML
run_edgeflow action "$WORK/action.yaml"
wait_for_text "$WORK/action.err" "mqtt action of 'hot': connected" 10
wait_connected action
mosquitto_sub -p "$MQTT_PORT" -t 'factory/+/cmd' -v -C 1 -W 10 >"$WORK/cmd.txt" &
SUB_PID=$!
track "$SUB_PID"
sleep 0.5
pub -t factory/press-9/telemetry -m '{"temperature_f": 250}'
pub -t factory/press-9/telemetry -m '{"temperature_f": 150}'
pub -t factory/press-9/telemetry -m '{"temperature_f": 260}'
wait "$SUB_PID" || fail "no command published by the rule action"
grep -qx 'factory/press-9/cmd slow_down 250' "$WORK/cmd.txt" || fail "command text: $(cat "$WORK/cmd.txt")"
wait_for_text "$WORK/action.jsonl" '"status":"rate_limited"' 10
# Which side notices first is a race: the action's expiry ("no
# acknowledgement within the expiry") or the client's queue ("expired before
# it could be sent"); both end in this.
wait_for_text "$WORK/action.jsonl" '(broker unreachable?)' 10
stop_edgeflow action
[[ $(grep -c '"rule":"hot","state":"firing"' "$WORK/action.jsonl") == 2 ]] || fail "two alerts expected"
grep -q '"action":"mqtt","status":"ok","target":"factory/press-9/cmd"' "$WORK/action.jsonl" || fail "ok outcome recorded"
grep -q '"rule":"unreachable","action":"mqtt","status":"failed"' "$WORK/action.jsonl" || fail "failure recorded"
grep -q '"rule":"unreachable","state":"firing"' "$WORK/action.jsonl" && fail "then: without alert must not emit the alert"
[[ $(grep -c '^factory/' "$WORK/cmd.txt") == 1 ]] || fail "min_interval must hold back the second command"
pass "rule actions: MQTT command published, rate limited, failures recorded as events"

# -------------------------------------------------------------------- TLS
TLS="$WORK/tls"
mkdir -p "$TLS"
(
  cd "$TLS"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=edgeflow test CA" \
    -keyout ca.key -out ca.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=localhost" -keyout server.key -out server.csr 2>/dev/null
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=node-1" -keyout client.key -out client.csr 2>/dev/null
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null
  # A client certificate from a CA the broker does not trust.
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=intruder" -keyout rogue.key -out rogue.crt 2>/dev/null
)
TLS_PORT=$(free_port)
start_mosquitto "$TLS_PORT" <<CONF
cafile $TLS/ca.crt
certfile $TLS/server.crt
keyfile $TLS/server.key
require_certificate true
CONF
tls_pipeline() {  # tls_pipeline NAME HOST CERT [extra tls lines]
  cat >"$WORK/$1.yaml" <<YAML
sources:
  - id: in
    type: mqtt
    url: mqtts://$2:$TLS_PORT
    topics: ["secure/#"]
    default_device: d
    backoff_min: 200ms
    backoff_max: 500ms
    tls:
      ca_file: $TLS/ca.crt
      cert_file: $TLS/$3.crt
      key_file: $TLS/$3.key
${4:-}
sinks:
  - type: file
    path: $WORK/$1.jsonl
YAML
}
tls_pipeline tls_ok localhost client
run_edgeflow tls_ok "$WORK/tls_ok.yaml"
wait_connected tls_ok
sleep 0.3
mosquitto_pub -p "$TLS_PORT" --cafile "$TLS/ca.crt" --cert "$TLS/client.crt" --key "$TLS/client.key" \
  -h localhost -t secure/a -m '{"v": 42}' || fail "mosquitto_pub over TLS"
wait_for_lines "$WORK/tls_ok.jsonl" 1 10
stop_edgeflow tls_ok
pass "mutual TLS: events received"

tls_pipeline tls_rogue localhost rogue
run_edgeflow tls_rogue "$WORK/tls_rogue.yaml"
sleep 2
kill -0 "$EF_PID" || fail "edgeflow exited on a TLS failure"
stop_edgeflow tls_rogue
grep -q "connected to" "$WORK/tls_rogue.err" && fail "a client with an untrusted certificate was accepted"
[[ $(counter tls_rogue 'mqtt_connect_failures{source="in"}') -ge 2 ]] || fail "TLS refusal not counted/retried"
pass "a client without a valid certificate is refused (and retried, counted)"

tls_pipeline tls_name 127.0.0.1 client "      server_name: broker.example.com"
run_edgeflow tls_name "$WORK/tls_name.yaml"
wait_for_text "$WORK/tls_name.err" "certificate verification failed" 10
stop_edgeflow tls_name
pass "host name verification refuses a certificate for another name"
