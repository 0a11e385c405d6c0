"""The GIL is released during long calls: another Python thread makes
progress while a generated county is ingested and reconciled.

A ticker thread records the time of every turn of a pure-Python loop,
which it can only run while holding the GIL.  Ticks stamped in the middle
half of a call prove the GIL was free during it (the edges are left out:
the interpreter may hand the GIL over just before or after the C call).
The control, a C call that holds the GIL (ctypes.PyDLL), shows the
measure sees the difference."""

import ctypes
import os
import subprocess
import sys
import threading
import time

import pytest

import aidmatch

PERSONS = 150000


class Ticker:
    def __init__(self):
        self.ticks = []
        self.stop = False
        self.thread = threading.Thread(target=self.run)

    def run(self):
        while not self.stop:
            self.ticks.append(time.perf_counter())

    def __enter__(self):
        self.thread.start()
        while not self.ticks:  # running before the call starts
            time.sleep(0.001)
        return self

    def __exit__(self, *exc):
        self.stop = True
        self.thread.join()

    def during(self, call):
        """Runs call(); returns its duration and the ticks in its middle half."""
        start = time.perf_counter()
        call()
        end = time.perf_counter()
        quarter = (end - start) / 4
        return end - start, sum(1 for t in self.ticks if start + quarter < t < end - quarter)


@pytest.fixture(autouse=True)
def short_switch_interval():
    before = sys.getswitchinterval()
    sys.setswitchinterval(0.001)
    yield
    sys.setswitchinterval(before)


@pytest.fixture(scope="module")
def county(tmp_path_factory, data):
    out = tmp_path_factory.mktemp("county") / "c"
    subprocess.run([os.environ["GEN_COUNTY"], "--persons", str(PERSONS), "--seed", "5",
                    "--out", str(out), "--catalogue", str(data / "catalogue"),
                    "--rules", str(data / "rules" / "default.rules")],
                   check=True, capture_output=True)
    return out / "centre.ini"


def test_other_threads_run_during_ingest_and_reconcile(county):
    with aidmatch.Run(county, threads=1) as run, Ticker() as ticker:
        ingest_seconds, ingest_ticks = ticker.during(run.ingest)
        reconcile_seconds, reconcile_ticks = ticker.during(run.reconcile)
        findings = sum(1 for _ in run.findings())
    assert findings > 0
    # A call must outlast the switch interval many times over, or a held GIL
    # could still let a tick through at its edges.  Twenty intervals suffice:
    # with the GIL free the ticker stamps thousands of ticks a millisecond.
    # (A fast machine reconciles this county in under 0.1 s.)
    shortest = 20 * sys.getswitchinterval()
    assert ingest_seconds > shortest and reconcile_seconds > shortest, \
        f"calls too short to show anything ({ingest_seconds:.3f} s, {reconcile_seconds:.3f} s)"
    assert ingest_ticks >= 10, (ingest_seconds, ingest_ticks)
    assert reconcile_ticks >= 10, (reconcile_seconds, reconcile_ticks)


def test_control_a_call_holding_the_gil_stops_the_ticker():
    libc = ctypes.PyDLL(None)  # PyDLL: the GIL stays held during calls
    with Ticker() as ticker:
        seconds, ticks = ticker.during(lambda: libc.usleep(200000))
    assert seconds >= 0.2
    assert ticks == 0, ticks
