#!/usr/bin/env bash
# TLS for the store-and-forward transports: a node sends to a receiver over
# mqtts:// (mosquitto with a TLS listener that requires client certificates)
# and over https:// (the receiver's upstream source serves TLS and requires
# client certificates). Every event arrives exactly once, in order. A node
# that does not trust the receiver's CA is refused with a clear error, keeps
# everything in its outbox, and drains it once its CA is fixed.
# shellcheck source=../fault/upstream_lib.sh
source "$(dirname "$0")/../fault/upstream_lib.sh"

# ------------------------------------------------------------ certificates
TLS="$WORK/tls"
mkdir -p "$TLS"
(
  cd "$TLS"
  key() { openssl genpkey -algorithm EC -pkeyopt ec_paramgen_curve:P-256 -out "$1" 2>/dev/null; }
  key ca.key && key server.key && key client.key && key rogue.key
  openssl req -x509 -new -key ca.key -days 2 -subj "/CN=edgeflow test CA" -out ca.crt
  openssl req -new -key server.key -subj "/CN=localhost" -out server.csr
  printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >server.ext
  openssl x509 -req -in server.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 \
    -extfile server.ext -out server.crt 2>/dev/null
  openssl req -new -key client.key -subj "/CN=node" -out client.csr
  openssl x509 -req -in client.csr -CA ca.crt -CAkey ca.key -CAcreateserial -days 2 -out client.crt 2>/dev/null
  # A CA that signed nothing here: a node trusting only it must refuse the receiver.
  openssl req -x509 -new -key rogue.key -days 2 -subj "/CN=rogue CA" -out rogue.crt
) || fail "openssl cannot make the test certificates"

client_tls() {  # client_tls CA_FILE: the sink's tls lines
  echo "    tls: { ca_file: $TLS/$1, cert_file: $TLS/client.crt, key_file: $TLS/client.key }"
}

backlog_of() {  # backlog_of STDERR_FILE: the last upstream_backlog_records figure
  grep -E 'upstream_backlog_records\{' "$1" | tail -n 1 | awk '{print $NF}'
}

# run_transport NAME URL RECEIVER_YAML_SOURCE_LINES READY_TEXT ERROR_TEXT
# A good sender, then one with the wrong CA, then the drain with the right CA.
run_transport() {
  local name="$1" url="$2" source_lines="$3" ready_text="$4" error_text="$5"
  local received="$WORK/received-$name.jsonl"
  NODE="node-$name"
  OUTBOX="$WORK/outbox-$name"
  cat >"$WORK/receiver-$name.yaml" <<YAML
node: receiver
sources:
$source_lines
sinks:
  - { type: file, path: $received }
YAML
  start_node "receiver-$name" "$WORK/receiver-$name.yaml"
  local receiver=$LAST_PID
  # Subscribed before the first batch (the broker keeps nothing for a
  # receiver it has not seen yet; a resend would then arrive out of order).
  wait_for_text "$WORK/receiver-$name.err" "$ready_text" 15
  sleep 0.3

  write_sender "$WORK/sender-$name.yaml" "$url" 100Hz "$(client_tls ca.crt)"
  start_node "sender-$name" "$WORK/sender-$name.yaml"
  local sender=$LAST_PID
  wait_for_lines "$received" 200 20
  stop_node "$sender"
  drain_outbox "$url" 40 "$(client_tls ca.crt)"
  local count
  count=$(check_received "$received") || fail "$name: the receiver's file is wrong"
  pass "$name: $count events exactly once and in order"

  # The wrong CA: the receiver is refused, nothing is lost.
  write_sender "$WORK/rogue-$name.yaml" "$url" 100Hz "$(client_tls rogue.crt)"
  start_node "rogue-$name" "$WORK/rogue-$name.yaml"
  local rogue=$LAST_PID
  wait_for_text "$WORK/rogue-$name.err" "$error_text" 15
  sleep 1
  stop_node "$rogue"
  local before kept
  before=$(wc -l <"$received")
  ((before == count)) || fail "$name: a sender that does not trust the receiver delivered events"
  kept=$(backlog_of "$WORK/rogue-$name.err")
  ((kept > 0)) || fail "$name: the refused sender's outbox is empty (backlog '$kept')"
  pass "$name: a sender with the wrong CA is refused ('$error_text'); its outbox keeps $kept events"

  # CA fixed: the backlog drains, still exactly once.
  drain_outbox "$url" 40 "$(client_tls ca.crt)"
  count=$(check_received "$received") || fail "$name: the receiver's file is wrong after the drain"
  ((count == before + kept)) || fail "$name: $count events after the drain, expected $before + $kept"
  pass "$name: after fixing the CA the $kept kept events arrive; $count exactly once and in order"
  stop_node "$receiver"
}

# ------------------------------------------------------------------- mqtts
start_mosquitto <<CONF
cafile $TLS/ca.crt
certfile $TLS/server.crt
keyfile $TLS/server.key
require_certificate true
CONF
run_transport mqtts "mqtts://localhost:$MQTT_PORT" "  - id: up
    type: upstream
    url: mqtts://localhost:$MQTT_PORT
    client_id: tls-receiver
    clean_start: false
    keepalive: 2s
    tls: { ca_file: $TLS/ca.crt, cert_file: $TLS/client.crt, key_file: $TLS/client.key }" \
  "connected to localhost" "certificate verification failed"

# ------------------------------------------------------------------- https
HTTPS_PORT=$(free_port)
run_transport https "https://127.0.0.1:$HTTPS_PORT/upstream" "  - id: up
    type: upstream
    url: https://127.0.0.1:$HTTPS_PORT/upstream
    tls: { cert_file: $TLS/server.crt, key_file: $TLS/server.key, ca_file: $TLS/ca.crt }" \
  "listening on https://" "the receiver's certificate is not trusted"

# A node without a client certificate is refused by the https receiver too.
NODE=node-anon OUTBOX="$WORK/outbox-anon"
write_sender "$WORK/anon.yaml" "https://127.0.0.1:$HTTPS_PORT/upstream" 100Hz \
  "    tls: { ca_file: $TLS/ca.crt }"
start_node receiver-https "$WORK/receiver-https.yaml"
RECEIVER=$LAST_PID
wait_for_port "$HTTPS_PORT"
start_node anon "$WORK/anon.yaml"
ANON=$LAST_PID
wait_for_text "$WORK/anon.err" "a refused client certificate shows this way" 15
stop_node "$ANON"
stop_node "$RECEIVER"
(($(backlog_of "$WORK/anon.err") > 0)) || fail "https: the anonymous sender's outbox is empty"
pass "https: a node without a client certificate is refused; its outbox keeps its events"
