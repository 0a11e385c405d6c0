"""End-to-end tests of `aidmatch serve` over loopback, with real HTTP
clients: answers equal to `aidmatch precheck --format json`, grants seen by
the next check, malformed JSON, a body over the limit, a slow client, an
access token, concurrent clients, and the snapshot replaced by a nightly
run under load, with no request dropped.  The access log is searched for
the raw ID.  A rate limit refuses a burst past it with 429.

Usage: e2e_serve.py AIDMATCH   (AM_SOURCE_ROOT: the source tree)
"""
import http.client
import json
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

AIDMATCH = sys.argv[1]
ROOT = os.environ["AM_SOURCE_ROOT"]
failures = []


def check(ok, what):
    if not ok:
        failures.append(what)
        print("FAIL: " + what, file=sys.stderr)


class Server:
    def __init__(self, work, snap, key, *extra):
        self.log_path = os.path.join(work, "serve-%d.log" % len(os.listdir(work)))
        self.log = open(self.log_path, "w")
        self.proc = subprocess.Popen(
            [AIDMATCH, "serve", "--snapshot", snap, "--key", key, "--listen", "127.0.0.1:0",
             *extra], stderr=self.log)
        self.port = None
        for _ in range(200):
            with open(self.log_path) as f:
                for line in f:
                    if "listening on 127.0.0.1:" in line:
                        self.port = int(line.rsplit(":", 1)[1])
            if self.port or self.proc.poll() is not None:
                break
            time.sleep(0.05)
        if not self.port:
            raise SystemExit("serve did not start: " + open(self.log_path).read())

    def request(self, method, path, body=None, headers=None, timeout=30):
        c = http.client.HTTPConnection("127.0.0.1", self.port, timeout=timeout)
        try:
            c.request(method, path, body=body, headers=headers or {})
            r = c.getresponse()
            return r.status, r.read()
        finally:
            c.close()

    def stop(self):
        self.proc.terminate()
        rc = self.proc.wait(timeout=30)
        self.log.close()
        return rc, open(self.log_path).read()


def snapshot(work, sample, out):
    subprocess.run([AIDMATCH, "snapshot", os.path.join(sample, "centre.ini"), "--out", out,
                    "--quiet"], check=True)


def main():
    work = tempfile.mkdtemp()
    try:
        run(work)
    finally:
        shutil.rmtree(work)
    if failures:
        print("%d check(s) failed" % len(failures), file=sys.stderr)
        sys.exit(1)


def run(work):
    for d in ("sample", "catalogue", "rules"):
        shutil.copytree(os.path.join(ROOT, "data", d), os.path.join(work, d))
    sample = os.path.join(work, "sample")
    key = os.path.join(sample, "sample.key")
    os.chmod(key, 0o600)
    snap = os.path.join(work, "county.snap")
    snapshot(work, sample, snap)
    # A person paid DIS_NURSING in June 2025 (the first row of mca_allowances).
    with open(os.path.join(sample, "mca_allowances.csv"), encoding="utf-8") as f:
        lines = f.read().splitlines()
    raw_id = lines[1].split(",")[1]
    duplicate = {"person": raw_id, "date": "2025-07-01",
                 "grants": [{"item": "DIS_NURSING", "start": "2025-07-01",
                             "end": "2025-07-31", "amount_fen": 26000}]}
    precheck = subprocess.run(
        [AIDMATCH, "precheck", raw_id, "--item", "DIS_NURSING", "--from", "2025-07-01",
         "--to", "2025-07-31", "--amount", "260", "--date", "2025-07-01", "--snapshot", snap,
         "--key", key, "--format", "json"], capture_output=True)
    check(precheck.returncode == 5, "precheck exits 5 on the duplicate")

    s = Server(work, snap, key, "--max-body", "4096", "--timeout", "2", "--threads", "2")

    # 1. The answer is precheck's, byte for byte.
    status, body = s.request("POST", "/v1/check", json.dumps(duplicate))
    check(status == 200, "a check answers 200, got %d" % status)
    check(body == precheck.stdout, "the served answer equals precheck --format json")
    answer = json.loads(body)
    check(answer["clear"] is False and len(answer["findings"]) == 1,
          "the duplicate is the one finding")
    status, body = s.request("GET", "/v1/health")
    check((status, json.loads(body)) == (200, {"status": "ok"}), "health answers ok")

    # 2. Errors: each clear, with its status.
    status, body = s.request("POST", "/v1/check", '{"person": ')
    check((status, json.loads(body)) == (400, {"error": "request:1: expected a value"}),
          "malformed JSON: 400 and where, got %d %r" % (status, body))
    status, body = s.request("POST", "/v1/check", json.dumps({"person": raw_id, "date": "x"}))
    check((status, json.loads(body)) ==
          (400, {"error": "check date: expected a date YYYY-MM-DD"}), "a bad date: 400")
    status, body = s.request("POST", "/v1/check", "x" * (1 << 20))
    check((status, json.loads(body)) ==
          (413, {"error": "the request body is larger than 4096 bytes"}),
          "a body over the limit: 413, got %d" % status)
    status, _ = s.request("GET", "/v1/check")
    check(status == 405, "GET /v1/check: 405")
    status, _ = s.request("GET", "/v1/" + raw_id)
    check(status == 404, "an unknown path: 404")

    # 3. A slow client is closed after the timeout; others are answered meanwhile.
    slow = socket.create_connection(("127.0.0.1", s.port))
    slow.sendall(b"POST /v1/check HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{")
    t0 = time.monotonic()
    status, _ = s.request("POST", "/v1/check", json.dumps(duplicate))
    slow.setblocking(False)
    try:
        waiting = slow.recv(1) is None
    except BlockingIOError:  # nothing to read yet: still connected, unanswered
        waiting = True
    check(status == 200 and waiting, "a check is answered while a slow client waits")
    slow.setblocking(True)
    slow.settimeout(10)
    try:
        closed = slow.recv(4096) == b""
    except (ConnectionResetError, socket.timeout):
        closed = True
    check(closed and time.monotonic() - t0 < 8, "the slow client is closed after the timeout")
    slow.close()

    # 4. A grant made through the service is seen by the next check.
    grant = {"person": raw_id, "grant": {"item": "ORPHAN", "start": "2025-03-01",
                                         "end": "2025-03-31", "amount_fen": 120000}}
    status, body = s.request("POST", "/v1/grant", json.dumps(grant))
    check((status, json.loads(body)) == (200, {"recorded": True}), "a grant is recorded")
    orphan = {"person": raw_id, "date": "2025-03-15",
              "grants": [{"item": "ORPHAN", "start": "2025-03-10", "end": "2025-03-20",
                          "amount_fen": 40000}]}
    status, body = s.request("POST", "/v1/check", json.dumps(orphan))
    check(status == 200 and json.loads(body)["clear"] is False,
          "the grant just made is seen by the next check")

    # 5. Concurrent clients, while the nightly run replaces the snapshot: the
    # answers stay whole, none is dropped, and the new snapshot is used.
    errors, statuses, answers = [], [], []
    stop = threading.Event()

    def client():
        while not stop.is_set():
            try:
                status, body = s.request("POST", "/v1/check", json.dumps(duplicate))
                statuses.append(status)
                answers.append(json.loads(body)["clear"])
            except Exception as e:  # a dropped request
                errors.append(repr(e))

    threads = [threading.Thread(target=client) for _ in range(8)]
    for t in threads:
        t.start()
    time.sleep(1.0)
    # The nightly run: DIS_NURSING stopped in the feed, the snapshot renamed in.
    allowances = os.path.join(sample, "mca_allowances.csv")
    with open(allowances, "w", encoding="utf-8") as f:
        f.write("\n".join([lines[0]] + [l for l in lines[1:] if raw_id not in l]) + "\n")
    snapshot(work, sample, snap + ".new")
    os.rename(snap + ".new", snap)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline and not (answers and answers[-1] is True):
        time.sleep(0.2)
    time.sleep(0.5)
    stop.set()
    for t in threads:
        t.join()
    check(not errors, "no request dropped during the load: %r" % errors[:3])
    check(statuses and all(x == 200 for x in statuses),
          "every concurrent check answers 200 (%d requests)" % len(statuses))
    check(answers and answers[0] is False and answers[-1] is True,
          "the replaced snapshot is picked up (the payment gone, the grant clear)")

    rc, log = s.stop()
    check(rc == 0, "serve stops on SIGTERM with exit 0, got %d" % rc)
    check(raw_id not in log, "the access log holds no raw ID")
    check("GET (other) 404" in log, "an unknown path is logged as (other)")
    check("the snapshot was replaced" in log, "the replacement is logged")

    # 6. An access token: required when given; the wrong one refused.
    token = os.path.join(work, "token")
    with open(token, "w") as f:
        f.write("0123456789abcdef-window\n")
    s = Server(work, snap, key, "--token-file", token)
    status, _ = s.request("GET", "/v1/health")
    check(status == 401, "no token: 401")
    status, _ = s.request("GET", "/v1/health", headers={"Authorization": "Bearer wrong"})
    check(status == 401, "a wrong token: 401")
    status, _ = s.request("GET", "/v1/health",
                          headers={"Authorization": "Bearer 0123456789abcdef-window"})
    check(status == 200, "the token: 200")
    s.stop()

    # 7. A rate limit: a burst past it is refused 429, health still answers,
    # and once the bucket refills checks are answered again.
    s = Server(work, snap, key, "--rate", "5")
    burst = [s.request("POST", "/v1/check", json.dumps(duplicate)) for _ in range(20)]
    ok = sum(1 for status, _ in burst if status == 200)
    refused = [body for status, body in burst if status == 429]
    check(5 <= ok <= 8 and len(refused) == 20 - ok,
          "a burst of 20 at --rate 5: 5 to 8 answered, the rest 429 (%d answered)" % ok)
    check(refused and json.loads(refused[0]) ==
          {"error": "more than 5 requests a second; try again shortly"},
          "the 429 says the limit: %r" % refused[:1])
    status, _ = s.request("GET", "/v1/health")
    check(status == 200, "health is answered past the rate limit, got %d" % status)
    time.sleep(1.2)
    status, _ = s.request("POST", "/v1/check", json.dumps(duplicate))
    check(status == 200, "a check is answered once the bucket refills, got %d" % status)
    s.stop()

    # 8. Off loopback without a token is refused.
    r = subprocess.run([AIDMATCH, "serve", "--snapshot", snap, "--listen", "0.0.0.0:0"],
                       capture_output=True, text=True)
    check(r.returncode == 2 and "off loopback, give --token-file FILE" in r.stderr,
          "listening off loopback needs a token: %r" % r.stderr)


main()
