"""Publishes numbered JSON messages with paho-mqtt (an independent client).

usage: publisher.py PORT TOPIC_PREFIX COUNT RATE [CLIENT_ID]
Each message goes to <prefix>/dev<N % 10>/telemetry as {"seq": N, "temp": ...}
with QoS 1 and a persistent session, so messages published while the broker
restarts are resent by paho after it reconnects. Exits 0 once every message
was acknowledged by the broker.
"""
import json
import sys
import time

import paho.mqtt.client as mqtt

port, prefix, count, rate = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
client_id = sys.argv[5] if len(sys.argv) > 5 else "it-publisher"
acked = set()
client = mqtt.Client(client_id=client_id, clean_session=False)
client.on_publish = lambda c, userdata, mid: acked.add(mid)
client.max_queued_messages_set(0)
client.max_inflight_messages_set(100)
client.reconnect_delay_set(min_delay=0.1, max_delay=1)
client.connect("127.0.0.1", port, keepalive=5)
client.loop_start()
mids = []
start = time.time()
for n in range(count):
    payload = json.dumps({"seq": n, "temp": 20 + n % 7})
    # While the broker is away paho keeps QoS 1 messages and sends them after
    # it reconnects; on_publish reports each acknowledgement.
    mids.append(client.publish(f"{prefix}/dev{n % 10}/telemetry", payload, qos=1).mid)
    delay = start + (n + 1) / rate - time.time()
    if delay > 0:
        time.sleep(delay)
deadline = time.time() + 60
while not all(m in acked for m in mids):
    if time.time() > deadline:
        print(f"{sum(m in acked for m in mids)} of {count} messages acknowledged", file=sys.stderr)
        sys.exit(1)
    time.sleep(0.01)
client.loop_stop()
client.disconnect()
