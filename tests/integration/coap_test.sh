#!/usr/bin/env bash
# The `coap` source end to end: `edgeflow run` with a CoAP server on a free
# UDP port (and a DTLS one), fed by Debian's coap-client (libcoap3-bin) and
# by hand-made datagrams (retransmissions); events land in a file, rejects in
# a dead-letter file, and the --stats table at SIGTERM counts them by reason.
# Usage: coap_test.sh EDGEFLOW_BINARY
source "$(dirname "$0")/lib.sh"
bin="$1"

# Debian installs coap-client per TLS library; the plain name is an alternative.
CLIENT=""
for c in coap-client coap-client-openssl coap-client-gnutls; do
  if command -v "$c" >/dev/null; then CLIENT="$c"; break; fi
done
[[ -n "$CLIENT" ]] || fail "no coap-client (install libcoap3-bin)"

PORT="$(free_port udp)"
DTLS_PORT="$(free_port udp)"
cat >"$WORK/pipeline.yaml" <<YAML
sources:
  - id: devices
    type: coap
    listen: 127.0.0.1:$PORT
    resources: [telemetry, sensors/+]
    device: path[1]
    max_body: 256B
  - id: secure
    type: coap
    listen: 127.0.0.1:$DTLS_PORT
    psk_identity: gateway-7
    psk_key: s3cret-key
sinks:
  - { type: file, path: "$WORK/out.jsonl" }
  - { type: file, path: "$WORK/rejected.jsonl", from: dead_letter }
YAML

"$bin" run "$WORK/pipeline.yaml" --stats --no-status --log-format json >"$WORK/run.out" 2>"$WORK/run.err" &
EF_PID=$!
track "$EF_PID"
wait_for_text "$WORK/run.err" "listening on coap://127.0.0.1:$PORT"
wait_for_text "$WORK/run.err" "listening on coaps://127.0.0.1:$DTLS_PORT"

URL="coap://127.0.0.1:$PORT"
# coap-client prints an error answer ("4.00 diagnostic") on stderr and always
# exits 0; -B bounds how long it waits.
send() { "$CLIENT" -B 5 "$@" >"$WORK/client.out" 2>"$WORK/client.err" || true; }
answer() { cat "$WORK/client.out" "$WORK/client.err"; }
events() { grep -c "$1" "$WORK/out.jsonl" 2>/dev/null || true; }

# 1. Confirmable JSON POST.
send -m post -t 50 -e '{"device":"d1","temp":21.5}' "$URL/telemetry"
[[ -z "$(answer)" ]] || fail "a good POST was answered with: $(answer)"
wait_for_text "$WORK/out.jsonl" '"device":"d1","temp":21.5'
pass "confirmable JSON POST"

# 2. Non-confirmable (the answer is a NON 2.04, shown at -v 6).
send -N -v 6 -m post -t 50 -e '{"device":"d2","temp":19}' "$URL/telemetry"
grep -q "t:NON c:2.04" "$WORK/client.out" || fail "NON POST answer: $(answer)"
wait_for_text "$WORK/out.jsonl" '"device":"d2","temp":19'
pass "non-confirmable POST answered 2.04"

# 3. SenML by Content-Format 110.
send -m post -t 110 -e '[{"bn":"s1/","n":"temp","v":20.25},{"n":"hum","v":41}]' "$URL/telemetry"
wait_for_text "$WORK/out.jsonl" '"device":"s1"'
grep '"device":"s1"' "$WORK/out.jsonl" | grep -q '20.25' || fail "SenML temp missing"
pass "SenML JSON (Content-Format 110)"

# 4. PUT to sensors/+: the device is the path segment, whatever the payload says.
send -m put -t 50 -e '{"device":"ignored","pressure":1.5}' "$URL/sensors/press-7"
wait_for_text "$WORK/out.jsonl" '"device":"press-7","pressure":1.5'
pass "PUT, device from the path"

# 5. Block-wise (Block1) POST of 16-byte blocks, assembled into one body.
send -b 16 -m post -t 50 -e '{"device":"blk","a":1,"b":2,"c":3,"d":4,"e":5}' "$URL/telemetry"
wait_for_text "$WORK/out.jsonl" '"device":"blk","a":1,"b":2,"c":3,"d":4,"e":5'
pass "Block1 transfer"

# 6. Bad requests: answered with the right code, counted, the server keeps running.
send -m post -t 50 -e '{"device":"d1","temp":' "$URL/telemetry"
answer | grep -q "^4.00 malformed_json" || fail "malformed JSON answer: $(answer)"
send -m post -t 112 -e 'xx' "$URL/telemetry"
answer | grep -q "^4.15" || fail "senml+cbor answer: $(answer)"
send -m post -t 50 -e '{"device":"d1","temp":1}' "$URL/nowhere"
answer | grep -q "^4.04" || fail "unknown path answer: $(answer)"
send -m get "$URL/telemetry"
answer | grep -q "^4.05" || fail "GET answer: $(answer)"
big="{\"device\":\"d1\",\"pad\":\"$(printf 'x%.0s' $(seq 1 300))\"}"
send -m post -t 50 -e "$big" "$URL/telemetry"
answer | grep -q "^4.13" || fail "oversize answer: $(answer)"
pass "4.00, 4.15, 4.04, 4.05 and 4.13 answered"

# 7. A retransmitted confirmable message (same message id) is answered twice
# and ingested once.
"$PY" - "$PORT" <<'PYEOF' || fail "retransmission exchange failed"
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(5)
s.connect(("127.0.0.1", int(sys.argv[1])))
payload = b'{"device":"dup","n":1}'
# CON POST, token 0x2a, mid 0x4242, Uri-Path "telemetry", Content-Format 50.
msg = bytes([0x41, 0x02, 0x42, 0x42, 0x2a, 0xB9]) + b"telemetry" + bytes([0x11, 50, 0xFF]) + payload
for _ in range(2):
    s.send(msg)
    answer = s.recv(1500)
    assert answer[1] == 0x44, answer  # 2.04
    assert answer[2:4] == b"\x42\x42", answer
PYEOF
wait_for_text "$WORK/out.jsonl" '"device":"dup"'
pass "retransmission answered again"

# 8. DTLS with the pre-shared key; a wrong key or identity gets nothing in
# (only the unknown identity is visible to the server, and counted).
send -u gateway-7 -k s3cret-key -m post -t 50 -e '{"device":"sec1","temp":5}' "coaps://127.0.0.1:$DTLS_PORT/telemetry"
wait_for_text "$WORK/out.jsonl" '"device":"sec1"'
send -B 2 -u gateway-7 -k wrong-key -m post -t 50 -e '{"device":"sec2","temp":5}' "coaps://127.0.0.1:$DTLS_PORT/telemetry"
send -B 2 -u intruder -k s3cret-key -m post -t 50 -e '{"device":"sec3","temp":5}' "coaps://127.0.0.1:$DTLS_PORT/telemetry"
pass "DTLS PSK"

# 9. Still running; SIGTERM stops it cleanly with the counters.
kill -0 "$EF_PID" 2>/dev/null || fail "edgeflow died"
kill -TERM "$EF_PID"
rc=0
wait "$EF_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "exit code $rc after SIGTERM"

[[ "$(events '"device":"dup"')" -eq 1 ]] || fail "the retransmission was ingested twice"
[[ "$(events '"device":"sec2"')" -eq 0 ]] || fail "a wrong PSK got data in"
[[ "$(events '"device":"sec3"')" -eq 0 ]] || fail "an unknown PSK identity got data in"
[[ "$(events '"device":"blk"')" -eq 1 ]] || fail "the block-wise body was ingested $(events '"device":"blk"') times"
stat() { grep -F "$1" "$WORK/run.err" | awk '{print $2}'; }
for reason in malformed_json unsupported_content_format unknown_path method_not_allowed too_large; do
  [[ "$(stat "dropped{source=\"devices\",reason=\"$reason\"}")" == 1 ]] ||
    fail "stats: no dropped{reason=$reason} 1 in: $(grep dropped "$WORK/run.err")"
done
for reason in malformed_json unsupported_content_format unknown_path too_large; do
  grep -q "\"reason\":\"$reason\"" "$WORK/rejected.jsonl" || fail "no dead letter with reason $reason"
done
[[ "$(stat 'coap_duplicates{source="devices"}')" == 1 ]] || fail "stats: coap_duplicates is not 1"
[[ "$(stat 'coap_requests{source="devices",code="2.04"}')" -ge 6 ]] || fail "stats: too few 2.04 answers"
[[ "$(stat 'coap_requests{source="devices",code="2.31"}')" -ge 1 ]] || fail "stats: no 2.31 (Block1) answers"
[[ "$(stat 'coap_requests{source="devices",code="4.00"}')" == 1 ]] || fail "stats: 4.00 count"
[[ "$(stat 'coap_requests{source="secure",code="2.04"}')" == 1 ]] || fail "stats: DTLS 2.04 count"
[[ -n "$(stat 'coap_bytes_in{source="devices"}')" ]] || fail "stats: no coap_bytes_in"
[[ "$(stat 'coap_dtls_failures{source="secure"}')" -ge 1 ]] || fail "stats: the unknown PSK identity is not counted"
pass "stats count answers and rejects by reason; clean exit"
