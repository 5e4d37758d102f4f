#!/usr/bin/env bash
# The http source and the webhook sink against real peers on 127.0.0.1:
#   1. `edgeflow run` with an http source -> file sink; curl POSTs every
#      payload format and every kind of bad request; the answers, the events
#      written and the --stats counters are checked.
#   2. sim -> webhook sink into a Python receiver that fails its first
#      requests with 500: every event arrives exactly once.
#   3. the same with the receiver down at start-up, started later: the sink
#      retries and delivers everything.
# Usage: http_test.sh EDGEFLOW_BINARY
source "$(dirname "$0")/lib.sh"
BIN="$1"

# --- 1. http source ----------------------------------------------------------

PORT="$(free_port)"
cat >"$WORK/ingest.yaml" <<EOF
node: http-test
sources:
  - id: ingest
    type: http
    listen: 127.0.0.1:$PORT
    path: [/ingest, /csv]
    max_body: 2KB
    queue: 64KB
    token_env: INGEST_TOKEN
sinks:
  - type: file
    path: $WORK/events.jsonl
EOF
INGEST_TOKEN=s3cret "$BIN" run "$WORK/ingest.yaml" --stats --log-format json \
  >"$WORK/run.out" 2>"$WORK/run.err" &
EDGEFLOW_PID=$!
track "$EDGEFLOW_PID"
wait_for_port "$PORT"
URL="http://127.0.0.1:$PORT"

# post CONTENT_TYPE BODY [PATH] [extra curl args...]: prints the status code;
# the answer's body is in $WORK/answer.
post() {
  local type="$1" body="$2" path="${3:-/ingest}"
  shift 3 || shift $#
  curl -sS -o "$WORK/answer" -w '%{http_code}' -H "Authorization: Bearer s3cret" \
    -H "Content-Type: $type" --data-binary "$body" "$@" "$URL$path"
}
expect_status() {
  local want="$1" got="$2" what="$3"
  [[ "$got" == "$want" ]] || fail "$what: status $got, want $want; answer: $(cat "$WORK/answer")"
  pass "$what: $want"
}
answer_has() { grep -qF -- "$1" "$WORK/answer" || fail "answer lacks '$1': $(cat "$WORK/answer")"; }

T=1700000000
expect_status 200 "$(post application/json "{\"device\":\"obj\",\"time\":$T,\"temp\":21.5}")" "json object"
answer_has '"accepted":1'
expect_status 200 "$(post application/json "[{\"device\":\"arr\",\"time\":$T,\"temp\":1},{\"device\":\"arr\",\"time\":$((T + 1)),\"temp\":2}]")" "json array"
answer_has '"accepted":2'
expect_status 200 "$(post application/x-ndjson "$(printf '{"device":"nd","time":%d,"temp":3}\n{"device":"nd","time":%d,"temp":4}\n' $T $((T + 1)))")" "ndjson"
expect_status 200 "$(post application/senml+json "[{\"bn\":\"senml-\",\"bt\":$T,\"n\":\"temp\",\"v\":5},{\"n\":\"hum\",\"v\":40}]")" "senml"
expect_status 200 "$(post text/csv "$(printf 'time,device,temp\n%d,csv,6\n%d,csv,7\n' $T $((T + 1)))" /csv)" "csv on a second path"
answer_has '"accepted":2'
# curl's default -d type counts as "no type": the configured format (json).
code="$(curl -sS -o "$WORK/answer" -w '%{http_code}' -H "Authorization: Bearer s3cret" \
  -d "{\"device\":\"form\",\"time\":$T,\"temp\":8}" "$URL/ingest")"
expect_status 200 "$code" "curl -d without a Content-Type"

# 1 + 2 + 2 + 1 (SenML: one event with two fields) + 2 + 1
wait_for_lines "$WORK/events.jsonl" 9
"$PY" - "$WORK/events.jsonl" <<'PYEOF' || fail "events written are not the ones posted"
import json, sys
events = [json.loads(line) for line in open(sys.argv[1])]
by_device = {}
for e in events:
    by_device.setdefault(e["device"], []).append(e)
want = {"obj": 1, "arr": 2, "nd": 2, "senml": 1, "csv": 2, "form": 1}
got = {d: len(v) for d, v in by_device.items()}
assert got == want, got
assert by_device["obj"][0]["temp"] == 21.5 and by_device["obj"][0]["time"] == "2023-11-14T22:13:20Z"
assert sorted(e["temp"] for e in by_device["csv"]) == [6, 7]
senml = by_device["senml"][0]
assert senml["temp"] == 5 and senml["hum"] == 40, senml
PYEOF
pass "every format written to the file sink"

# Bad requests: a clear answer each, nothing written, the server keeps going.
expect_status 400 "$(post application/json '{"device":"bad","temp":')" "malformed JSON"
answer_has '"reason":"malformed_json"'
answer_has '"message":"not valid JSON"'
answer_has '"excerpt":"{\"device\":\"bad\"'
expect_status 207 "$(post application/x-ndjson "$(printf '{"device":"mix","time":%d,"t":1}\n{"device":"mix","time":"yesterday"}\n' $T)")" "mixed NDJSON batch"
answer_has '"accepted":1,"rejected":1'
answer_has '"reason":"bad_time"'
answer_has '"line":2'
expect_status 413 "$(post application/json "{\"device\":\"big\",\"pad\":\"$(head -c 3000 /dev/zero | tr '\0' x)\"}")" "oversized body"
answer_has '"error":"too_large"'
answer_has 'max_body (2048 bytes)'
# With Expect: 100-continue the refusal comes before the body is sent.
expect_status 413 "$(post application/json "{\"pad\":\"$(head -c 5000 /dev/zero | tr '\0' x)\"}" /ingest -H 'Expect: 100-continue')" "oversized body, Expect: 100-continue"
expect_status 415 "$(post application/xml '<temp>1</temp>')" "wrong content type"
answer_has 'application/json'
answer_has 'application/senml+json'
code="$(curl -sS -o "$WORK/answer" -w '%{http_code}' -H 'Content-Type: application/json' \
  --data-binary '{"device":"anon","temp":1}' "$URL/ingest")"
expect_status 401 "$code" "no bearer token"
answer_has 'Authorization: Bearer'
code="$(curl -sS -o "$WORK/answer" -w '%{http_code}' -H 'Content-Type: application/json' \
  -H 'Authorization: Bearer wrong' --data-binary '{"device":"x"}' "$URL/ingest")"
expect_status 401 "$code" "wrong bearer token"
expect_status 400 "$(post application/json "$(printf '{"device":"utf","s":"\xff\xfe"}')")" "invalid UTF-8"
answer_has '"reason":"invalid_utf8"'
expect_status 400 "$(post text/csv "$(printf 'time,device,temp\n%d,c2,1,extra\n' $T)")" "malformed CSV"
answer_has '"reason":"malformed_csv"'
expect_status 404 "$(post application/json '{}' /nowhere)" "unknown path"
code="$(curl -sS -o "$WORK/answer" -w '%{http_code}' "$URL/healthz")"
expect_status 200 "$code" "health endpoint"

kill -0 "$EDGEFLOW_PID" 2>/dev/null || fail "edgeflow died on bad input"
# A last good request after all the bad ones.
expect_status 200 "$(post application/json "{\"device\":\"last\",\"time\":$T,\"temp\":9}")" "still ingesting"
wait_for_lines "$WORK/events.jsonl" 11
grep -q '"device":"bad"\|"device":"utf"\|"device":"big"\|"device":"anon"' "$WORK/events.jsonl" &&
  fail "a rejected record was written"
pass "only the accepted records were written"

kill -TERM "$EDGEFLOW_PID"
rc=0
wait "$EDGEFLOW_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "edgeflow exit code $rc after SIGTERM, want 0; $(tail -5 "$WORK/run.err")"
for want in 'dropped{source="ingest",reason="malformed_json"} 1' \
            'dropped{source="ingest",reason="bad_time"} 1' \
            'dropped{source="ingest",reason="invalid_utf8"} 1' \
            'dropped{source="ingest",reason="malformed_csv"} 1' \
            'http_refused{source="ingest",reason="too_large"} 2' \
            'http_requests{source="ingest",status="413"} 2' \
            'http_refused{source="ingest",reason="unsupported_content_type"} 1' \
            'http_refused{source="ingest",reason="unauthorized"} 2' \
            'http_refused{source="ingest",reason="unknown_path"} 1' \
            'http_requests{source="ingest",status="200"} 8' \
            'http_requests{source="ingest",status="207"} 1'; do
  grep -aqF -- "$want" "$WORK/run.err" || fail "--stats lacks: $want"
done
pass "--stats counts rejections and refusals by reason"
grep -aq '"msg":"rejected by' "$WORK/run.err" || fail "rejected records are not logged"

# --- 2. webhook sink: retries until delivered, exactly once --------------------

cat >"$WORK/receiver.py" <<'PYEOF'
# A webhook receiver: appends each accepted body as one line to OUT;
# answers 500 to the first FAIL_FIRST requests.
import http.server, sys, threading
port, out, fail_first = int(sys.argv[1]), sys.argv[2], int(sys.argv[3])
lock = threading.Lock()
seen = 0
class Handler(http.server.BaseHTTPRequestHandler):
    def do_POST(self):
        global seen
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        with lock:
            seen += 1
            failing = seen <= fail_first
            if not failing:
                with open(out, "ab") as f:
                    f.write(body.replace(b"\n", b" ") + b"\n")
        self.send_response(500 if failing else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()
    def log_message(self, *args):
        pass
server = http.server.HTTPServer(("127.0.0.1", port), Handler)
if len(sys.argv) > 4:  # CERT.pem KEY.pem: serve HTTPS
    import ssl
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(sys.argv[4], sys.argv[5])
    server.socket = context.wrap_socket(server.socket, server_side=True)
server.serve_forever()
PYEOF

# check_delivered FILE N: FILE holds N distinct events (device, time), once each.
check_delivered() {
  "$PY" - "$1" "$2" <<'PYEOF'
import json, sys
events = []
for line in open(sys.argv[1]):
    body = json.loads(line)
    events.extend(body if isinstance(body, list) else [body])
keys = [(e["device"], e["time"]) for e in events]
assert len(keys) == int(sys.argv[2]), f"{len(keys)} events, want {sys.argv[2]}"
assert len(set(keys)) == len(keys), "duplicates"
PYEOF
}

webhook_pipeline() {  # FILE PORT DRAIN_TIMEOUT [SCHEME] [EXTRA OPTION LINE]
  cat >"$1" <<EOF
node: webhook-test
sources:
  - type: sim
    devices: 3
    count: 10
    pace: max
    start: "2024-01-01T00:00:00Z"
    fields:
      temp: { constant: 20 }
sinks:
  - type: webhook
    url: ${4:-http}://127.0.0.1:$2/hook
    batch: 7
    ${5:-}
    retries: 20
    backoff_min: 50ms
    backoff_max: 300ms
    drain_timeout: $3
EOF
}

HOOK_PORT="$(free_port)"
"$PY" "$WORK/receiver.py" "$HOOK_PORT" "$WORK/hook1.lines" 3 &
track $!
wait_for_port "$HOOK_PORT"
webhook_pipeline "$WORK/hook1.yaml" "$HOOK_PORT" 20s
"$BIN" run "$WORK/hook1.yaml" --stats --log-format json >/dev/null 2>"$WORK/hook1.err" ||
  fail "webhook pipeline failed: $(tail -5 "$WORK/hook1.err")"
check_delivered "$WORK/hook1.lines" 30 || fail "webhook after 500s: not exactly once"
grep -qF 'webhook_requests{sink="webhook",status="500"} 3' "$WORK/hook1.err" ||
  fail "the three 500 answers are not counted"
grep -q 'webhook_retries{sink="webhook"} [1-9]' "$WORK/hook1.err" || fail "no retries counted"
grep -qF 'webhook_delivered{sink="webhook"} 30' "$WORK/hook1.err" || fail "deliveries not counted"
pass "webhook: 30 events delivered exactly once after three 500 answers"

# --- rule action: a webhook call per alert, retried after a 500 ---------------
HOOK_PORT="$(free_port)"
"$PY" "$WORK/receiver.py" "$HOOK_PORT" "$WORK/action.lines" 1 &
track $!
wait_for_port "$HOOK_PORT"
DEAD_HOOK="$(free_port)"
cat >"$WORK/action.yaml" <<EOF
sources:
  - type: sim
    devices: 2
    count: 3
    pace: max
    start: "2024-01-01T00:00:00Z"
    fields:
      temp: { constant: 95 }
stages:
  - id: hot
    from: input
    rule:
      when: "temp > 90"
      then:
        - webhook: { url: "http://127.0.0.1:$HOOK_PORT/alerts", backoff_min: 50ms,
                     body: '{"device":"\${device}","temp":\${temp}}' }
  - id: unreachable
    from: input
    rule:
      when: "temp > 90"
      then:
        - webhook: { url: "http://127.0.0.1:$DEAD_HOOK/x", retries: 1, backoff_min: 50ms, timeout: 1s }
sinks:
  - type: file
    from: [hot, unreachable]
    path: $WORK/action.jsonl
EOF
"$BIN" run "$WORK/action.yaml" --log-format json >/dev/null 2>"$WORK/action.err" ||
  fail "action pipeline failed: $(tail -5 "$WORK/action.err")"
[[ $(wc -l <"$WORK/action.lines") == 2 ]] || fail "want one call per device: $(cat "$WORK/action.lines")"
grep -q '"device":"device-0000","temp":95' "$WORK/action.lines" || fail "body template"
[[ $(grep -c '"rule":"hot","action":"webhook","status":"ok"' "$WORK/action.jsonl") == 2 ]] ||
  fail "ok outcomes: $(cat "$WORK/action.jsonl")"
[[ $(grep -c '"rule":"unreachable","action":"webhook","status":"failed"' "$WORK/action.jsonl") == 2 ]] ||
  fail "failed outcomes: $(cat "$WORK/action.jsonl")"
pass "rule action: webhook called once per alert (after a 500), failures recorded"

# --- 3. webhook sink: the receiver is down at start-up ---------------------------

HOOK_PORT="$(free_port)"
webhook_pipeline "$WORK/hook2.yaml" "$HOOK_PORT" 30s
"$BIN" run "$WORK/hook2.yaml" --stats --log-format json >/dev/null 2>"$WORK/hook2.err" &
SENDER_PID=$!
track "$SENDER_PID"
wait_for_text "$WORK/hook2.err" 'Connection' 10  # a failed attempt is logged
"$PY" "$WORK/receiver.py" "$HOOK_PORT" "$WORK/hook2.lines" 0 &
track $!
rc=0
wait "$SENDER_PID" || rc=$?
[[ $rc -eq 0 ]] || fail "webhook pipeline with a late receiver: exit code $rc"
check_delivered "$WORK/hook2.lines" 30 || fail "late receiver: not every event delivered once"
grep -q 'webhook_requests{sink="webhook",status="connection_error"} [1-9]' "$WORK/hook2.err" ||
  fail "refused connections are not counted"
grep -qF 'webhook_delivered{sink="webhook"} 30' "$WORK/hook2.err" || fail "late deliveries not counted"
pass "webhook: a receiver down at start-up gets everything once it is up"

# --- 4. webhook sink over HTTPS ---------------------------------------------------

openssl req -x509 -newkey rsa:2048 -nodes -days 1 -subj /CN=127.0.0.1 \
  -addext subjectAltName=IP:127.0.0.1 -keyout "$WORK/key.pem" -out "$WORK/cert.pem" 2>/dev/null ||
  fail "openssl cannot make a test certificate"
HOOK_PORT="$(free_port)"
"$PY" "$WORK/receiver.py" "$HOOK_PORT" "$WORK/hook3.lines" 0 "$WORK/cert.pem" "$WORK/key.pem" &
track $!
wait_for_port "$HOOK_PORT"
webhook_pipeline "$WORK/hook3.yaml" "$HOOK_PORT" 20s https "ca_file: $WORK/cert.pem"
"$BIN" run "$WORK/hook3.yaml" --stats --log-format json >/dev/null 2>"$WORK/hook3.err" ||
  fail "https webhook pipeline failed: $(tail -5 "$WORK/hook3.err")"
check_delivered "$WORK/hook3.lines" 30 || fail "https: not every event delivered once"
pass "webhook over https with ca_file"
# Without ca_file the self-signed certificate cannot be verified: a
# permanent failure, not retried, every event dead-lettered and counted.
webhook_pipeline "$WORK/hook4.yaml" "$HOOK_PORT" 20s https
"$BIN" run "$WORK/hook4.yaml" --stats --log-format json >/dev/null 2>"$WORK/hook4.err" ||
  fail "https webhook pipeline (unverifiable) failed: $(tail -5 "$WORK/hook4.err")"
grep -qF 'dropped{sink="webhook",reason="rejected"} 30' "$WORK/hook4.err" ||
  fail "unverifiable certificate: events not counted as rejected"
grep -q 'failed for good (rejected): SSLServerVerification' "$WORK/hook4.err" ||
  fail "the certificate failure is not logged"
pass "webhook over https: an unverifiable certificate is a counted permanent failure"

echo "http integration tests passed"
