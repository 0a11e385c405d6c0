"""A bounded load test of `aidmatch serve` (not part of the unit tests):
CLIENTS threads, each on its own keep-alive connection, send REQUESTS
checks in all to a running server, one resident ID per check from IDS,
each proposing DIBAO_URBAN for June 2025 judged on 2025-06-15 (as
window_bench does).  Prints requests per second and p50/p99/max latency as
the clients saw them, and any status other than 200.

Usage: serve_load.py PORT IDS [CLIENTS] [REQUESTS]
"""
import http.client
import json
import sys
import threading
import time

port, ids_path = int(sys.argv[1]), sys.argv[2]
clients = int(sys.argv[3]) if len(sys.argv) > 3 else 8
total = int(sys.argv[4]) if len(sys.argv) > 4 else 20000
with open(ids_path) as f:
    ids = [line.strip() for line in f if line.strip()]
latencies, statuses, lock = [], {}, threading.Lock()


def client(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    mine = []
    for n in range(k, total, clients):
        body = json.dumps({"person": ids[n * 7919 % len(ids)], "date": "2025-06-15",
                           "grants": [{"item": "DIBAO_URBAN", "start": "2025-06-01",
                                       "end": "2025-06-30", "amount_fen": 80000}]})
        t0 = time.perf_counter()
        c.request("POST", "/v1/check", body, {"Content-Type": "application/json"})
        r = c.getresponse()
        r.read()
        mine.append((time.perf_counter() - t0) * 1000.0)
        with lock:
            statuses[r.status] = statuses.get(r.status, 0) + 1
    c.close()
    with lock:
        latencies.extend(mine)


threads = [threading.Thread(target=client, args=(k,)) for k in range(clients)]
t0 = time.perf_counter()
for t in threads:
    t.start()
for t in threads:
    t.join()
wall = time.perf_counter() - t0
latencies.sort()
n = len(latencies)
print("%d clients, %d requests, %.0f requests/s, p50 %.2f ms, p99 %.2f ms, max %.2f ms, "
      "statuses %s" % (clients, n, n / wall, latencies[n // 2], latencies[int(n * 0.99)],
                       latencies[-1], dict(sorted(statuses.items()))))
