"""Fixtures of the aidmatch Python tests, which meson test runs with:
AIDMATCH_LIBRARY (the build tree's shared library), AIDMATCH_CLI (the
aidmatch command), AM_SOURCE_ROOT and AM_BUILD_ROOT."""

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(os.environ.get("AM_SOURCE_ROOT", Path(__file__).resolve().parents[2]))
EXPECTED = SOURCE / "tests" / "expected" / "sample"
RUN_DATE = "2026-01-05"


def cli_path() -> str:
    cli = os.environ.get("AIDMATCH_CLI")
    if not cli:
        pytest.fail("AIDMATCH_CLI is not set: run the tests through meson test")
    return cli


def run_cli(*args: str) -> subprocess.CompletedProcess:
    """Runs the aidmatch command; fails the test if it fails."""
    done = subprocess.run([cli_path(), *args], capture_output=True)
    assert done.returncode == 0, done.stderr.decode()
    return done


@pytest.fixture(scope="session")
def data(tmp_path_factory) -> Path:
    """A private copy of data/ (sample county, catalogue, rules), its key
    made private as the library demands."""
    root = tmp_path_factory.mktemp("data")
    for part in ("sample", "catalogue", "rules"):
        shutil.copytree(SOURCE / "data" / part, root / part)
    (root / "sample" / "sample.key").chmod(0o600)
    return root


@pytest.fixture(scope="session")
def centre(data) -> Path:
    return data / "sample" / "centre.ini"


@pytest.fixture(scope="session")
def cli_run(centre, tmp_path_factory) -> Path:
    """The aidmatch command's run of the sample: its output directory, with
    a snapshot beside it (snapshot.amsnap)."""
    out = tmp_path_factory.mktemp("cli") / "out"
    run_cli("reconcile", str(centre), "--out", str(out), "--run-date", RUN_DATE,
            "--snapshot", str(out.parent / "snapshot.amsnap"), "--quiet")
    return out


def summary_without_clock(path: Path) -> dict:
    """summary.json less what depends on the clock or on who ran it."""
    summary = json.loads(path.read_text())
    summary.pop("wall_seconds", None)
    return summary
