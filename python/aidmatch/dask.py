"""A partitioned reconciliation as Dask tasks, on workers that share a
filesystem (docs/dask.md).

    python3 -m aidmatch.dask CENTRE.ini --scheduler tcp://HOST:8786 --out DIR \\
        [--work-dir D] [--partitions N] [--run-date YYYY-MM-DD]

The process that calls reconcile() reads the feeds and distributes their
records to partition files in a fresh directory under the work directory
(am_dist_prepare); one Dask task per partition matches it on a worker
(am_dist_match), which writes that partition's findings beside it; this
process then joins them (am_dist_merge) and writes the outputs exactly as
`aidmatch reconcile` does.  Tasks receive paths and numbers only: each
worker reads the key from the path the centre file names (or key=), never
from the task graph.
"""

from __future__ import annotations

import argparse
import importlib
import os
import sys
import time
from typing import Any, Dict, List, Optional, Tuple, Union

from ._lib import ffi, lib, raise_for, text
from .run import Run

PathLike = Union[str, "os.PathLike[str]"]

TASK_PREFIX = "aidmatch-match"


def match_partition(centre: str, run_dir: str, partition: int, threads: int = 1,
                    key: Optional[str] = None) -> int:
    """A worker's task: matches one partition of the run in run_dir and
    writes its findings file there.  Returns the partition's number.
    Safe to run again (the file is replaced whole)."""
    with Run(centre, threads=threads) as run:
        if key is not None:
            run.load_key_file(key)
        run._call(lib.am_dist_match, os.fsencode(run_dir), partition)
    return partition


def task_graph(centre: str, run_dir: str, count: int, threads: int = 1,
               key: Optional[str] = None) -> Tuple[Dict[Any, Any], List[Any]]:
    """The Dask graph of a run's partitions and its keys: one task per
    partition, whose arguments are paths and numbers (never key material)."""
    graph: Dict[Any, Any] = {}
    keys = []
    for i in range(count):
        name = (TASK_PREFIX, i)
        graph[name] = (match_partition, centre, run_dir, i, threads, key)
        keys.append(name)
    return graph, keys


def _distributed() -> Any:
    """The distributed package, imported only when a run needs it (it has
    no type hints: what it gives is Any here)."""
    return importlib.import_module("distributed")


def _prepare(run: Run, partitions: int) -> Tuple[str, int]:
    with run._lock:
        ctx = run._live()
        run_dir = ffi.new("const char **")
        count = ffi.new("unsigned *")
        raise_for(lib.am_dist_prepare(ctx, partitions, run_dir, count), ctx)
        return text(run_dir[0]), int(count[0])


def _worker_threads(client: Any) -> int:
    return sum(w.get("nthreads", 1) for w in client.scheduler_info()["workers"].values()) or 1


def reconcile(centre: PathLike, out: PathLike, client: Any = None, *,
              work_dir: Optional[PathLike] = None, partitions: Optional[int] = None,
              run_date: Optional[str] = None, previous: Optional[PathLike] = None,
              key: Optional[PathLike] = None, snapshot: Optional[PathLike] = None,
              threads: int = 1, worker_threads: int = 1) -> int:
    """Reconciles the centre's feeds with the partitions matched on client's
    workers (a distributed.Client; None: the current default client) and
    writes the outputs to out, as `aidmatch reconcile` would.  work_dir
    must be a directory every worker sees at the same path (default: out's
    parent).  partitions: at least this many (default: four per worker
    thread).  snapshot: also save the run there, as `aidmatch reconcile
    --snapshot` does, from the partition files.  Returns the number of
    findings."""
    start = time.monotonic()
    if client is None:
        client = _distributed().default_client()
    centre_path = os.path.abspath(os.fspath(centre))
    out_path = os.path.abspath(os.fspath(out))
    shared = os.path.abspath(os.fspath(work_dir)) if work_dir else os.path.dirname(out_path)
    key_path = os.path.abspath(os.fspath(key)) if key else None
    n = partitions if partitions else 4 * _worker_threads(client)
    with Run(centre_path, threads=threads, run_date=run_date, temp_dir=shared,
             partitions=n) as run:
        if key_path:
            run.load_key_file(key_path)
        if previous is not None:
            run.load_previous(previous)
        run.ingest()
        run_dir, count = _prepare(run, n)
        graph, keys = task_graph(centre_path, run_dir, count, worker_threads, key_path)
        client.get(graph, keys, sync=True)
        run._call(lib.am_dist_merge)
        # First, as the command does: a snapshot inside the output
        # directory is then known as the run's own.
        if snapshot is not None:
            run.write_snapshot(os.path.abspath(os.fspath(snapshot)))
        run.write_outputs(out_path, time.monotonic() - start)
        return int(lib.am_finding_count(run._live()))


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m aidmatch.dask",
        description="Reconcile a centre's feeds with the partitions matched on Dask workers "
                    "that share --work-dir (docs/dask.md).")
    parser.add_argument("centre", help="the centre file (it names the key's path)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--scheduler", help="the scheduler's address, e.g. tcp://HOST:8786")
    where.add_argument("--scheduler-file", help="the file `dask scheduler --scheduler-file` wrote")
    parser.add_argument("--out", required=True, help="the output directory")
    parser.add_argument("--work-dir", help="a directory every worker sees at the same path "
                        "(default: the output directory's parent)")
    parser.add_argument("--partitions", type=int, help="at least this many partitions "
                        "(default: four per worker thread)")
    parser.add_argument("--run-date", help="the run's date, YYYY-MM-DD (default: today)")
    parser.add_argument("--previous", help="the previous run's output directory")
    parser.add_argument("--key", help="the key file's path on every machine, over the centre's")
    parser.add_argument("--snapshot", help="also save the run to this file (docs/reference.md "
                        "§12.1), as `aidmatch reconcile --snapshot` does")
    parser.add_argument("--threads", type=int, default=1,
                        help="threads of this process's steps (default 1)")
    args = parser.parse_args(argv)
    distributed = _distributed()
    run_date = args.run_date or time.strftime("%Y-%m-%d")
    if args.scheduler or args.scheduler_file:
        client = distributed.Client(args.scheduler, scheduler_file=args.scheduler_file)
        cluster = None
    else:  # no scheduler named: this machine's cores, as worker processes
        cluster = distributed.LocalCluster(threads_per_worker=1, dashboard_address=":0")
        client = distributed.Client(cluster)
    try:
        found = reconcile(args.centre, args.out, client, work_dir=args.work_dir,
                          partitions=args.partitions, run_date=run_date, previous=args.previous,
                          key=args.key, snapshot=args.snapshot, threads=args.threads)
    except Exception as e:  # the library's message is what the person acts on
        print(f"aidmatch.dask: {e}", file=sys.stderr)
        return 1
    finally:
        client.close()
        if cluster is not None:
            cluster.close()
    print(f"{found} findings in {args.out}")
    return 0


if __name__ == "__main__":
    # Through the imported module, not __main__: workers then import
    # match_partition by name instead of receiving a pickled copy.
    from aidmatch.dask import main as _main
    sys.exit(_main())
