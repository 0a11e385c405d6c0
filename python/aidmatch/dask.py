"""A partitioned reconciliation as Dask tasks, on workers that share a
filesystem (docs/dask.md).

    python3 -m aidmatch.dask CENTRE.ini --scheduler tcp://HOST:8786 --out DIR \\
        [--work-dir D] [--partitions N] [--run-date YYYY-MM-DD]

The client submits one task, the run's: on a worker, it reads the feeds
and distributes their records to partition files in a fresh directory
under the work directory (am_dist_prepare), then, from inside the task,
gives one Dask task per partition to the cluster (am_dist_match on any
worker, which writes that partition's findings beside it), joins them
(am_dist_merge) and writes the outputs exactly as `aidmatch reconcile`
does.  Reading and merging stay in one task because linking damaged IDs
compares keyed name evidence, which never leaves the process that read
it (docs/linking.md).  Tasks receive paths and numbers only: each worker
reads the key from the path the centre file names (or key=), never from
the task graph.
"""

from __future__ import annotations

import argparse
import hashlib
import importlib
import os
import sys
import time
import uuid
from typing import Any, Dict, List, Optional, Tuple, Union

from ._lib import ffi, lib, raise_for, text
from .run import Run

PathLike = Union[str, "os.PathLike[str]"]

RUN_PREFIX = "aidmatch-run"
MATCH_PREFIX = "aidmatch-match"


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
    partition, whose arguments are paths and numbers (never key material).
    The keys name the run's directory by a hash of its whole path, which
    no live run shares: a run started again after its worker died (its
    directory is a new one), or another run on the same cluster, never
    finds this run's tasks done."""
    graph: Dict[Any, Any] = {}
    keys = []
    name = f"{MATCH_PREFIX}-{hashlib.sha256(os.fsencode(run_dir)).hexdigest()[:32]}"
    for i in range(count):
        graph[(name, i)] = (match_partition, centre, run_dir, i, threads, key)
        keys.append((name, i))
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


def run_task(centre: str, out: str, work_dir: str, partitions: int, run_date: Optional[str],
             previous: Optional[str], key: Optional[str], snapshot: Optional[str],
             threads: int, worker_threads: int) -> int:
    """The run's task, on a worker: reads the feeds, partitions them under
    work_dir, has the cluster match the partitions, merges their findings
    and writes the outputs to out.  Returns the number of findings.  Run
    again from the start when its worker dies: the run's directory is
    new each time, and the one left behind is removed by the next run
    under work_dir (docs/partitions.md)."""
    start = time.monotonic()
    with Run(centre, threads=threads, run_date=run_date, temp_dir=work_dir,
             partitions=partitions) as run:
        if key:
            run.load_key_file(key)
        if previous is not None:
            run.load_previous(previous)
        run.ingest()
        run_dir, count = _prepare(run, partitions)
        graph, keys = task_graph(centre, run_dir, count, worker_threads, key)
        # Leaves the worker's thread to the partitions' tasks while it waits.
        with _distributed().worker_client() as cluster:
            cluster.get(graph, keys, sync=True)
        run._call(lib.am_dist_merge)
        # First, as the command does: a snapshot inside the output
        # directory is then known as the run's own.
        if snapshot is not None:
            run.write_snapshot(snapshot)
        run.write_outputs(out, time.monotonic() - start)
        return int(lib.am_finding_count(run._live()))


def reconcile(centre: PathLike, out: PathLike, client: Any = None, *,
              work_dir: Optional[PathLike] = None, partitions: Optional[int] = None,
              run_date: Optional[str] = None, previous: Optional[PathLike] = None,
              key: Optional[PathLike] = None, snapshot: Optional[PathLike] = None,
              threads: int = 1, worker_threads: int = 1) -> int:
    """Reconciles the centre's feeds on client's cluster (a
    distributed.Client; None: the current default client) and writes the
    outputs to out, as `aidmatch reconcile` would.  Every path is a
    worker's: the centre file, the feeds, previous, key, snapshot, out and
    work_dir must be at the same paths on every worker.  work_dir: where
    the partition files go (default: out's parent).  partitions: at least
    this many (default: four per worker thread).  run_date: YYYY-MM-DD
    (default: today by this process's clock, so that a run's task started
    again after midnight keeps the date).  threads: of the run's reading
    and merging; worker_threads: of each partition's matching.  Relative
    paths are made absolute against this process's working directory.
    Returns the number of findings; a run that fails raises the library's
    exception, with its message, here."""
    if client is None:
        client = _distributed().default_client()

    def absolute(p: Optional[PathLike]) -> Optional[str]:
        return os.path.abspath(os.fspath(p)) if p is not None else None

    out_path = os.path.abspath(os.fspath(out))
    run_date = run_date or time.strftime("%Y-%m-%d")
    n = partitions if partitions else 4 * _worker_threads(client)
    future = client.submit(run_task, absolute(centre), out_path,
                           absolute(work_dir) or os.path.dirname(out_path), n, run_date,
                           absolute(previous), absolute(key), absolute(snapshot), threads,
                           worker_threads, key=f"{RUN_PREFIX}-{uuid.uuid4().hex}", pure=False)
    try:
        return int(future.result())
    finally:
        future.release()


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python3 -m aidmatch.dask",
        description="Reconcile a centre's feeds as tasks on Dask workers that share "
                    "--work-dir, the feeds and the output directory (docs/dask.md).")
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
                        help="threads of the run's reading and merging on its worker (default 1)")
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
