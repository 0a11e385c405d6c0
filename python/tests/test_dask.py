"""aidmatch.dask on a real Dask cluster: a `dask scheduler` and two
`dask worker` processes on 127.0.0.1, and a LocalCluster.  Every output
of the sample county and of a generated county is byte for byte the
single-process `aidmatch reconcile`'s (summary.json less wall_seconds),
also when a worker is killed (SIGKILL) mid-run, be it one matching
partitions or the one running the run's task; a failed run raises the
library's exception in the client; and the key never enters the task
graph or the cluster's logs."""

import os
import pickle
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import List, Tuple

import pytest

from conftest import RUN_DATE, run_cli

distributed = pytest.importorskip(
    "distributed", reason="Dask distributed is not installed (Debian: python3-distributed)")
cloudpickle = pytest.importorskip("cloudpickle")

import aidmatch.dask  # noqa: E402  (after the skip)



def start(args, log: Path) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", *args], stdout=log.open("wb"),
                            stderr=subprocess.STDOUT)


class Cluster:
    """A scheduler and single-thread workers without nannies (so that a
    worker killed is gone), as processes of their own, and a client."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.scheduler_file = root / "scheduler.json"
        self.procs = [start(["distributed.cli.dask_scheduler", "--host", "127.0.0.1",
                             "--port", "0", "--no-dashboard",
                             "--scheduler-file", str(self.scheduler_file)],
                            root / "scheduler.log")]
        self.workers: dict = {}
        deadline = time.monotonic() + 60
        while not self.scheduler_file.exists():
            assert time.monotonic() < deadline, (root / "scheduler.log").read_text()
            time.sleep(0.1)
        self.client = distributed.Client(scheduler_file=str(self.scheduler_file), timeout=60)

    def start_worker(self, name: str) -> None:
        self.workers[name] = start(["distributed.cli.dask_worker", "--scheduler-file",
                                    str(self.scheduler_file), "--nthreads", "1", "--no-nanny",
                                    "--no-dashboard", "--name", name],
                                   self.root / f"{name}.log")
        self.procs.append(self.workers[name])
        live = sum(1 for p in self.workers.values() if p.poll() is None)
        self.client.wait_for_workers(live, timeout=60)

    def kill(self, address: str) -> int:
        """Kills the worker at address outright; returns its exit status."""
        name = self.client.scheduler_info()["workers"][address]["name"]
        self.workers[name].send_signal(signal.SIGKILL)
        return self.workers[name].wait()

    def run_task_worker(self) -> str:
        """The address of the worker running a run's task, or ""."""
        for address, keys in self.client.processing().items():
            if any(str(k).startswith(aidmatch.dask.RUN_PREFIX) for k in keys):
                return address
        return ""

    def close(self) -> None:
        self.client.close()
        for p in reversed(self.procs):
            if p.poll() is None:
                p.terminate()
        for p in self.procs:
            try:
                p.wait(timeout=20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    """A scheduler and two workers, w0 and w1."""
    c = Cluster(tmp_path_factory.mktemp("cluster"))
    try:
        for name in ("w0", "w1"):
            c.start_worker(name)
        yield c
    finally:
        c.close()


@pytest.fixture(scope="module")
def county(tmp_path_factory, data) -> Path:
    out = tmp_path_factory.mktemp("county") / "c"
    subprocess.run([os.environ["GEN_COUNTY"], "--persons", "4000", "--seed", "7", "--bad-rows",
                    "--out", str(out), "--catalogue", str(data / "catalogue"),
                    "--rules", str(data / "rules" / "default.rules")],
                   check=True, capture_output=True)
    return out / "centre.ini"


def single_process(centre: Path, out: Path, *options: str) -> Path:
    run_cli("reconcile", str(centre), "--out", str(out), "--run-date", RUN_DATE, "--quiet",
            *options)
    return out


def assert_same_outputs(expected: Path, actual: Path) -> None:
    names = sorted(p.name for p in expected.iterdir())
    assert names == sorted(p.name for p in actual.iterdir())
    assert (expected / "findings.csv").stat().st_size > 0
    for name in names:
        a, b = (expected / name).read_bytes(), (actual / name).read_bytes()
        if name == "summary.json":
            a, b = (b"\n".join(l for l in x.split(b"\n") if b'"wall_seconds"' not in l)
                    for x in (a, b))
        assert a == b, f"{name} differs from the single-process run's"


def leftovers(work: Path) -> list:
    return [str(p) for p in work.rglob("*")]


@pytest.mark.parametrize("which", ["sample", "generated"])
def test_two_workers_give_the_single_process_outputs(cluster, which, centre, county, tmp_path):
    client = cluster.client
    source = centre if which == "sample" else county
    expected = single_process(source, tmp_path / "expected", "--snapshot",
                              str(tmp_path / "expected.snap"))
    work = tmp_path / "work"
    work.mkdir()
    with distributed.get_task_stream(client) as stream:
        found = aidmatch.dask.reconcile(source, tmp_path / "out", client, work_dir=work,
                                        partitions=7, run_date=RUN_DATE,
                                        snapshot=tmp_path / "out.snap")
    assert found > 0
    assert_same_outputs(expected, tmp_path / "out")
    # The snapshot from the partition files is the single process's.
    assert (tmp_path / "out.snap").read_bytes() == (tmp_path / "expected.snap").read_bytes()
    assert leftovers(work) == []  # the run's directory went with the run
    # Reading and merging were a task on a worker, the partitions seven
    # more, and both workers took part.
    done = [(str(t["key"]), t["worker"]) for t in stream.data]
    assert sum(1 for k, _ in done if k.startswith(aidmatch.dask.RUN_PREFIX)) == 1
    assert sum(1 for k, _ in done if aidmatch.dask.MATCH_PREFIX in k) == 7
    assert {w for _, w in done} == set(client.scheduler_info()["workers"])
    assert len(client.scheduler_info()["workers"]) == 2


def test_two_runs_at_once_keep_to_their_own_partitions(cluster, county, tmp_path):
    """Two runs on the same cluster at the same time, their many partitions
    numbered alike: each run's tasks are its own."""
    from concurrent.futures import ThreadPoolExecutor
    expected = single_process(county, tmp_path / "expected")
    with ThreadPoolExecutor(2) as pool:
        runs = [pool.submit(aidmatch.dask.reconcile, county, tmp_path / f"out{i}", cluster.client,
                            work_dir=tmp_path, partitions=96, run_date=RUN_DATE)
                for i in range(2)]
        for r in runs:
            assert r.result() > 0
    for i in range(2):
        assert_same_outputs(expected, tmp_path / f"out{i}")


def test_local_cluster(centre, tmp_path):
    expected = single_process(centre, tmp_path / "expected")
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=":0") as local, \
            distributed.Client(local) as client:
        aidmatch.dask.reconcile(centre, tmp_path / "out", client, work_dir=tmp_path,
                                partitions=3, run_date=RUN_DATE)
    assert_same_outputs(expected, tmp_path / "out")


def test_a_failed_run_raises_the_librarys_message(cluster, data, tmp_path):
    """A feed missing on the workers: the run's task fails, the client gets
    the library's exception with its message, and no output is written."""
    import shutil
    county = data / "missing-feed"  # beside the catalogue the centre file names
    shutil.copytree(data / "sample", county)
    (county / "sample.key").chmod(0o600)
    missing = sorted(county.glob("*.csv"))[0]
    missing.unlink()
    with pytest.raises(aidmatch.InputOutputError) as e:
        aidmatch.dask.reconcile(county / "centre.ini", tmp_path / "out", cluster.client,
                                work_dir=tmp_path, partitions=3, run_date=RUN_DATE)
    assert str(e.value) == f"{missing}: No such file or directory (feed {missing.stem})"
    assert e.value.status_name == "AM_ERR_IO"
    assert not (tmp_path / "out").exists()


def reconcile_killing(cluster: Cluster, county: Path, tmp_path: Path, which) -> Tuple[str, int]:
    """Reconciles county in 96 partitions, so that the run is still going
    when the first partition's findings appear; then kills outright the
    worker which(cluster) names.  Checks the outputs are the single
    process's, one worker fewer is left and the work directory is empty;
    returns the address killed and how many times the run's task was
    started."""
    expected = single_process(county, tmp_path / "expected")
    work = tmp_path / "work"
    work.mkdir()
    workers = len(cluster.client.scheduler_info()["workers"])
    killed: List[str] = []
    done: List[int] = []

    def watch() -> None:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline and not done:
            if any(work.glob("*/found-*")):
                killed.append(which(cluster))
                if killed[0]:
                    cluster.kill(killed[0])
                return
            time.sleep(0.005)

    watcher = threading.Thread(target=watch)
    watcher.start()
    try:
        with distributed.get_task_stream(cluster.client) as stream:
            aidmatch.dask.reconcile(county, tmp_path / "out", cluster.client, work_dir=work,
                                    partitions=96, run_date=RUN_DATE)
    finally:
        done.append(1)
        watcher.join()
    assert killed, "the run ended before a partition's findings appeared"
    assert killed[0], "no worker to kill was found"
    assert len(cluster.client.scheduler_info()["workers"]) == workers - 1
    assert_same_outputs(expected, tmp_path / "out")
    assert leftovers(work) == []
    runs = [str(t["key"]) for t in stream.data
            if str(t["key"]).startswith(aidmatch.dask.RUN_PREFIX)]
    assert len(runs) == 1
    return killed[0], starts(cluster, runs[0])


def starts(cluster: Cluster, key: str) -> int:
    """How many times the scheduler gave the task key to a worker."""
    story = cluster.client.run_on_scheduler(
        lambda dask_scheduler: [tuple(t)[:3] for t in dask_scheduler.story(key)])
    return sum(1 for _, _, finish in story if finish == "processing")


def test_a_worker_killed_mid_run_changes_nothing(cluster, county, tmp_path):
    """The worker that is not running the run's task is killed while
    partitions are matched: the scheduler gives its partitions to the
    other, and the run's task goes on where it was."""
    def not_the_runs(c: Cluster) -> str:
        runs = c.run_task_worker()
        return next((a for a in c.client.scheduler_info()["workers"] if runs and a != runs), "")

    _, run_starts = reconcile_killing(cluster, county, tmp_path, not_the_runs)
    assert run_starts == 1


def test_the_runs_worker_killed_mid_run_changes_nothing(cluster, county, tmp_path):
    """The worker running the run's task is killed while partitions are
    matched: the scheduler runs the task again, from the start, on the
    other worker; the outputs are the same, and the directory the first
    attempt left is removed by the second."""
    if len(cluster.client.scheduler_info()["workers"]) < 2:
        cluster.start_worker("w2")
    _, run_starts = reconcile_killing(cluster, county, tmp_path, Cluster.run_task_worker)
    assert run_starts == 2


def test_the_key_is_not_in_the_graph_nor_the_logs(cluster, centre, tmp_path):
    """Tasks carry paths and numbers: the key's hex and its bytes appear
    neither in the run's task as the client submits it, nor in the
    partitions' graph, nor in what the scheduler and the workers logged
    (this test runs after the runs above)."""
    hex_key = (centre.parent / "sample.key").read_text().strip()
    assert len(hex_key) == 32

    class Submitted(Exception):
        pass

    class Recorder:
        """A client that keeps what reconcile submits, and runs nothing."""
        def submit(self, *args, **kwargs):
            self.submitted = (args, kwargs)
            raise Submitted

    recorder = Recorder()
    with pytest.raises(Submitted):
        aidmatch.dask.reconcile(centre, tmp_path / "out", recorder, partitions=7,
                                key=centre.parent / "sample.key")
    graph, keys = aidmatch.dask.task_graph(str(centre), "/shared/run", 7,
                                           key=str(centre.parent / "sample.key"))
    assert len(keys) == 7
    for sent in (recorder.submitted, graph):
        for pickled in (cloudpickle.dumps(sent), pickle.dumps(sent)):
            for needle in (hex_key.lower().encode(), hex_key.upper().encode(),
                           bytes.fromhex(hex_key)):
                assert needle not in pickled
    for log in cluster.root.glob("*.log"):
        text = log.read_bytes()
        assert hex_key.lower().encode() not in text and bytes.fromhex(hex_key) not in text


def test_the_command(cluster, centre, tmp_path):
    """python3 -m aidmatch.dask, given the scheduler's file."""
    expected = single_process(centre, tmp_path / "expected", "--snapshot",
                              str(tmp_path / "expected" / "county.snap"))
    scheduler_file = cluster.scheduler_file
    done = subprocess.run([sys.executable, "-m", "aidmatch.dask", str(centre),
                           "--scheduler-file", str(scheduler_file), "--out", str(tmp_path / "out"),
                           "--work-dir", str(tmp_path), "--partitions", "4",
                           "--snapshot", str(tmp_path / "out" / "county.snap"),
                           "--run-date", RUN_DATE], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    assert done.stdout.decode().endswith(f" findings in {tmp_path / 'out'}\n")
    # The snapshot inside the output directory, as the command keeps it:
    # the same bytes, and the outputs beside it written.
    assert_same_outputs(expected, tmp_path / "out")


def test_a_worker_refuses_another_key_and_damaged_files(data, centre, tmp_path):
    """The steps without a cluster: a worker whose centre names another
    key, a run state cut short and a partition out of range are refused
    with the library's message; merging before every partition is matched
    fails; a task run twice gives the same findings file."""
    import shutil
    from aidmatch import FormatError, InputOutputError, InvalidUseError, KeyMaterialError

    other = data / "other-key"
    if not other.exists():
        other.mkdir()
        shutil.copy(centre, other / "centre.ini")
        aidmatch.generate_key_file(other / "sample.key")
    other_centre = other / "centre.ini"
    with aidmatch.Run(centre, run_date=RUN_DATE, temp_dir=tmp_path, partitions=3) as run:
        run.ingest()
        run_dir, count = aidmatch.dask._prepare(run, 3)
        assert count == 3
        fingerprint = run.key_fingerprint
        with aidmatch.Run(other_centre) as stranger:
            theirs = stranger.key_fingerprint
        with pytest.raises(KeyMaterialError) as e:
            aidmatch.dask.match_partition(str(other_centre), run_dir, 0)
        assert str(e.value).endswith(f"{run_dir}: the run was partitioned under key "
                                     f"{fingerprint}, this centre's key is {theirs}")
        with pytest.raises(InvalidUseError) as e:
            aidmatch.dask.match_partition(str(centre), run_dir, 3)
        assert str(e.value).endswith("am_dist_match: partition 3 of a run of 3")
        aidmatch.dask.match_partition(str(centre), run_dir, 0)
        first = (Path(run_dir) / "found-0000").read_bytes()
        aidmatch.dask.match_partition(str(centre), run_dir, 0)
        assert (Path(run_dir) / "found-0000").read_bytes() == first
        with pytest.raises(InputOutputError):  # partitions 1 and 2 not matched yet
            run._call(aidmatch.dask.lib.am_dist_merge)
        state = Path(run_dir) / "run.state"
        whole = state.read_bytes()
        state.write_bytes(whole[:-1])
        with pytest.raises(FormatError) as e:
            aidmatch.dask.match_partition(str(centre), run_dir, 1)
        assert str(e.value).endswith(f"{state}: not a whole run state (cut short or corrupt)")
        state.write_bytes(whole)
        for i in (1, 2):
            aidmatch.dask.match_partition(str(centre), run_dir, i)
        run._call(aidmatch.dask.lib.am_dist_merge)
        assert sum(1 for _ in run.findings()) > 0
