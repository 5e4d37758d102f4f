#!/usr/bin/python3
"""The reference: what a user would write with Python's sqlite3 module.

One row per reading, executemany per batch of 1000 events plus a naive
execute-per-row loop, commit per batch, WAL mode; same data shape as
store_bench (devices x fields x 86400 s at 1 Hz). Prints rows/s and the
raw range-query time of one series for one day.
    store_naive.py DIR [devices=10] [fields=3]
"""
import math
import os
import sqlite3
import sys
import time

d = sys.argv[1]
devices = int(sys.argv[2]) if len(sys.argv) > 2 else 10
fields = int(sys.argv[3]) if len(sys.argv) > 3 else 3
t0 = 1704067200 * 1000000
seconds = 86400


def rows_of_batch(first_event, n):
    out = []
    for k in range(first_event, first_event + n):
        s, dev = divmod(k, devices)
        for f in range(fields):
            out.append((f"press-{dev}", f"f{f}", t0 + s * 1000000,
                        20 + 5 * math.sin(s / 600.0 + dev + f) + (s % 7) * 0.01))
    return out


def run(name, many):
    path = os.path.join(d, f"naive_{name}.db")
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(path + suffix):
            os.remove(path + suffix)
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=NORMAL")
    db.execute("CREATE TABLE readings(device TEXT, field TEXT, t INTEGER, v REAL)")
    db.execute("CREATE INDEX readings_by_series ON readings(device, field, t)")
    total_events = seconds * devices
    batches = [rows_of_batch(i, min(1000, total_events - i)) for i in range(0, total_events, 1000)]
    n = sum(len(b) for b in batches)
    start = time.perf_counter()
    cpu_start = time.thread_time()
    for b in batches:
        if many:
            db.executemany("INSERT INTO readings VALUES (?, ?, ?, ?)", b)
        else:
            for row in b:
                db.execute("INSERT INTO readings VALUES (?, ?, ?, ?)", row)
        db.commit()
    insert_s = time.perf_counter() - start
    insert_cpu_s = time.thread_time() - cpu_start
    times = []
    cpu_times = []
    for _ in range(7):
        start = time.perf_counter()
        cpu_start = time.thread_time()
        got = db.execute("SELECT t, v FROM readings WHERE device = ? AND field = ? AND t >= ? AND t < ? ORDER BY t",
                         ("press-0", "f0", t0, t0 + seconds * 1000000)).fetchall()
        times.append((time.perf_counter() - start) * 1000)
        cpu_times.append((time.thread_time() - cpu_start) * 1000)
    times.sort()
    cpu_times.sort()
    db.close()
    size = os.path.getsize(path) + (os.path.getsize(path + "-wal") if os.path.exists(path + "-wal") else 0)
    print(f"python sqlite3 {name:11s} insert {n / insert_s:8.0f} rows/s wall, {n / insert_cpu_s:8.0f} rows/s cpu;"
          f" 1-day query {times[3]:7.2f} ms wall, {cpu_times[3]:7.2f} ms cpu ({len(got)} rows);"
          f" {size / 1e6 / (n / 1e6):5.1f} MB per million rows")


run("executemany", True)
run("execute", False)
