#!/usr/bin/env bash
# (e) Bytes of an outbox segment are damaged on disk while the node is down.
# The node builds a backlog while its receiver is down and is stopped; the
# test overwrites bytes in the middle of the segment file; the node starts
# again with the receiver up. The damaged records are reported (error log
# with their seq range, counter outbox.evicted{reason="corrupt"}) and
# skipped; every other record arrives exactly once in the receiver's store.
source "$(dirname "$0")/upstream_lib.sh"

HTTP_PORT=$(free_port)
URL="http://127.0.0.1:$HTTP_PORT/upstream"
write_receiver "$WORK/receiver.yaml" "$URL" "  - { type: store, path: $WORK/received.db }"

# 1. A backlog while nobody listens.
write_sender "$WORK/sender.yaml" "$URL" 200Hz "    drain_timeout: 0s"
start_node sender "$WORK/sender.yaml"
SENDER=$LAST_PID
# Until the event segment holds ~800 records (~60 KB; 2 s at full speed).
for ((i = 0; i < 600; i++)); do
  [[ -n "$(find "$OUTBOX/event" -name '*.seg' -size +60k 2>/dev/null)" ]] && break
  sleep 0.05
done
stop_node "$SENDER"
grep -Eq 'upstream_send_failures\{[^}]*\} +[1-9]' "$WORK/sender.err" || fail "the sender never tried to send?"
appended=$(grep -E 'upstream_accepted\{' "$WORK/sender.err" | tail -n 1 | awk '{print $NF}')
((appended > 500)) || fail "backlog too small: $appended events"

# 2. Damage 120 bytes (two or three records) in the middle of the (only) event segment.
mapfile -t segments < <(find "$OUTBOX/event" -name '*.seg' -size +1k)
((${#segments[@]} == 1)) || fail "expected one event segment, found ${#segments[@]}"
segment="${segments[0]}"
size=$(stat -c %s "$segment")
head -c 120 /dev/urandom | dd of="$segment" bs=1 seek=$((size / 2)) conv=notrunc status=none
[[ $(stat -c %s "$segment") == "$size" ]] || fail "dd changed the segment's size"

# 3. The node again, with the receiver up: it drains what is intact.
start_node receiver "$WORK/receiver.yaml"
RECEIVER=$LAST_PID
wait_for_port "$HTTP_PORT"
drain_outbox "$URL" 30
stop_node "$RECEIVER"

report=$(grep -E 'corrupt bytes at offset [0-9]+ \(checksum mismatch\) skipped: about [0-9]+ record\(s\) with seq in [0-9]+\.\.[0-9]+ lost' \
  "$WORK/drainer.err") || fail "no error log names the damaged records"
first=$(sed -E 's/.*with seq in ([0-9]+)\.\.([0-9]+) lost.*/\1/' <<<"$report")
last=$(sed -E 's/.*with seq in ([0-9]+)\.\.([0-9]+) lost.*/\2/' <<<"$report")
counted=$(grep -E 'outbox\.evicted\{[^}]*reason="corrupt"[^}]*\}' "$WORK/drainer.err" | tail -n 1 | awk '{print $NF}')
# Counted: the estimate (see EstimateLostRecords) lies between 1 and the
# number of records in the reported range (one class here: seqs are contiguous).
((counted >= 1 && counted <= last - first + 1)) ||
  fail "outbox.evicted{reason=corrupt} is '$counted' for the lost records $first..$last"

"$PY" - "$WORK/received.db" "$appended" "$first" "$last" <<'PYEOF' || fail "store is wrong"
import sqlite3, sys
db, appended, first, last = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
con = sqlite3.connect(db)
seqs = [s for (s,) in con.execute("SELECT seq FROM received WHERE node = 'node-a' ORDER BY seq")]
rows = con.execute("SELECT count(*) FROM raw JOIN series ON raw.series = series.id "
                   "WHERE series.field = 'v'").fetchone()[0]
assert rows == len(seqs), f"{rows} stored values for {len(seqs)} records: duplicates"
assert 1 <= first <= last < appended, f"reported range {first}..{last} of {appended}"
missing = sorted(set(range(1, appended + 1)) - set(seqs))
extra = sorted(set(seqs) - set(range(1, appended + 1)))
assert not extra, f"seqs never appended arrived: {extra[:5]}"
assert missing == list(range(first, last + 1)), \
    f"missing {missing[:10]} (of {len(missing)}), but the log reported {first}..{last}"
print(f"{len(seqs)} of {appended} records once in the store; {len(missing)} damaged ones skipped")
PYEOF
pass "damaged segment: records $first..$last reported (counter $counted) and skipped; the rest exactly once"
