#!/usr/bin/env bash
# (c) The link is black-holed: a TCP proxy between the node and the broker
# stops forwarding without closing anything. The node must notice (MQTT
# keepalive), keep accepting events into its outbox, reconnect once the
# link is back and drain the backlog with nothing lost.
source "$(dirname "$0")/upstream_lib.sh"

start_mosquitto </dev/null
PROXY_PORT=$(free_port)
# SIGUSR1 toggles the black hole: bytes are neither forwarded nor refused,
# connections stay open; new connections are accepted and left hanging.
"$PY" - "$PROXY_PORT" "$MQTT_PORT" >"$WORK/proxy.out" 2>"$WORK/proxy.err" <<'PYEOF' &
import selectors, signal, socket, sys
listen_port, target_port = int(sys.argv[1]), int(sys.argv[2])
holed = False
def toggle(*_):
    global holed
    holed = not holed
    print("holed" if holed else "open", flush=True)
signal.signal(signal.SIGUSR1, toggle)
sel = selectors.DefaultSelector()
srv = socket.socket()
srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
srv.bind(("127.0.0.1", listen_port))
srv.listen(16)
sel.register(srv, selectors.EVENT_READ)
peer = {}
while True:
    for key, _ in sel.select(timeout=0.05):
        s = key.fileobj
        if s is srv:
            c, _ = srv.accept()
            if holed:
                peer[c] = None  # hangs: never connected upstream
                continue
            u = socket.create_connection(("127.0.0.1", target_port))
            peer[c], peer[u] = u, c
            sel.register(c, selectors.EVENT_READ)
            sel.register(u, selectors.EVENT_READ)
            continue
        if holed:
            continue  # leave the bytes in the kernel buffers
        try:
            data = s.recv(65536)
        except OSError:
            data = b""
        other = peer.get(s)
        if not data or other is None:
            for x in (s, other):
                if x is not None:
                    try: sel.unregister(x)
                    except Exception: pass
                    x.close()
                    peer.pop(x, None)
            continue
        other.sendall(data)
PYEOF
PROXY=$!
track "$PROXY"
wait_for_port "$PROXY_PORT"

URL="mqtt://127.0.0.1:$MQTT_PORT"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: file, path: $WORK/received.jsonl }"
write_sender "$WORK/sender.yaml" "mqtt://127.0.0.1:$PROXY_PORT" 100Hz
start_receiver_then_sender

kill -USR1 "$PROXY"
sleep 7  # keepalive 2s: the node gives the link up after ~3.5s
during=$(wc -l <"$WORK/received.jsonl")
sleep 1
(($(wc -l <"$WORK/received.jsonl") == during)) || fail "data still flowing through a black hole?"
kill -USR1 "$PROXY"
sleep 3
stop_node "$SENDER"
grep -Eq 'mqtt_disconnects\{[^}]*\} +[1-9]' "$WORK/sender.err" || fail "the node never noticed the dead link"
drain_outbox "$URL" 30
sleep 1
stop_node "$RECEIVER"
after=$(wc -l <"$WORK/received.jsonl")
((after > during + 500)) || fail "backlog not delivered: $during during the black hole, $after after"
count=$(check_received "$WORK/received.jsonl") || fail "receiver's file is wrong"
pass "black-holed link: detected, buffered, drained: $count events exactly once"
