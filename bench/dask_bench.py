#!/usr/bin/python3
"""bench/dask_bench.py — one county reconciled by aidmatch.dask on 1 and on 2
Dask workers of this machine, against `aidmatch reconcile` in one process
(not part of the tests; docs/dask.md quotes its figures).

    bench/dask_bench.py [PERSONS] [PARTITIONS]      (default 300000 and 16)

Generates the county (seed 1) under bench/cache/dask-nN, starts a
`dask scheduler` on 127.0.0.1 and one or two `dask worker --nthreads 1`
processes, and prints the wall time of each run (from the client's call
to its return: the run's task reading and distributing on a worker, the
partitions' tasks matching, the run's task merging and writing), after
checking that every output but summary.json's wall_seconds is byte for
byte the single-process run's.  Run from the source tree after `meson
compile -C build`, or name another build directory in AIDMATCH_BUILD.
"""

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = Path(os.environ.get("AIDMATCH_BUILD", ROOT / "build")).resolve()
os.environ.setdefault("AIDMATCH_LIBRARY", str(BUILD / "libaidmatch.so.0"))
sys.path.insert(0, str(ROOT / "python"))
os.environ["PYTHONPATH"] = str(ROOT / "python") + os.pathsep + os.environ.get("PYTHONPATH", "")

import distributed  # noqa: E402

import aidmatch.dask  # noqa: E402

RUN_DATE = "2026-01-05"


def same_outputs(a: Path, b: Path) -> bool:
    for f in a.iterdir():
        x, y = f.read_bytes(), (b / f.name).read_bytes()
        if f.name == "summary.json":
            x, y = (b"\n".join(l for l in z.split(b"\n") if b'"wall_seconds"' not in l)
                    for z in (x, y))
        if x != y:
            print(f"{f.name} differs", file=sys.stderr)
            return False
    return True


def cluster(workers: int, root: Path):
    sched = root / "scheduler.json"
    sched.unlink(missing_ok=True)
    procs = [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_scheduler", "--host",
                               "127.0.0.1", "--port", "0", "--no-dashboard",
                               "--scheduler-file", str(sched)], stderr=subprocess.DEVNULL)]
    while not sched.exists():
        time.sleep(0.1)
    procs += [subprocess.Popen([sys.executable, "-m", "distributed.cli.dask_worker",
                                "--scheduler-file", str(sched), "--nthreads", "1", "--no-nanny",
                                "--no-dashboard"], stderr=subprocess.DEVNULL)
              for _ in range(workers)]
    client = distributed.Client(scheduler_file=str(sched))
    client.wait_for_workers(workers)
    return client, procs


def main() -> int:
    persons = int(sys.argv[1]) if len(sys.argv) > 1 else 300000
    partitions = int(sys.argv[2]) if len(sys.argv) > 2 else 16
    cache = ROOT / "bench" / "cache" / f"dask-n{persons}"
    centre = cache / "county" / "centre.ini"
    if not centre.exists():
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
        subprocess.run([str(BUILD / "bench" / "gen_county"), "--persons", str(persons), "--seed",
                        "1", "--out", str(cache / "county"),
                        "--catalogue", str(ROOT / "data" / "catalogue"),
                        "--rules", str(ROOT / "data" / "rules" / "default.rules")],
                       check=True, stdout=subprocess.DEVNULL)
    rows = sum(max(0, sum(1 for _ in p.open("rb")) - 1)
               for p in (cache / "county").glob("*.csv"))
    out = cache / "out"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir()
    t = time.monotonic()
    subprocess.run([str(BUILD / "aidmatch"), "reconcile", str(centre), "--out",
                    str(out / "single"), "--run-date", RUN_DATE, "--threads", "1", "--quiet"],
                   check=True)
    single = time.monotonic() - t
    print(f"county: {persons} persons, {rows} rows in its .csv feeds; {partitions} partitions")
    print(f"aidmatch reconcile, 1 thread, one process: {single:.2f} s")
    for workers in (1, 2):
        client, procs = cluster(workers, cache)
        try:
            target = out / f"dask{workers}"
            t = time.monotonic()
            aidmatch.dask.reconcile(centre, target, client, work_dir=cache,
                                    partitions=partitions, run_date=RUN_DATE)
            wall = time.monotonic() - t
            ok = same_outputs(out / "single", target)
            print(f"aidmatch.dask, {workers} worker{'s' if workers > 1 else ''} "
                  f"(--nthreads 1): {wall:.2f} s, outputs {'identical' if ok else 'DIFFER'}")
        finally:
            client.close()
            for p in procs:
                p.terminate()
                p.wait()
        if not ok:
            return 3
    return 0


if __name__ == "__main__":
    sys.exit(main())
