"""Type hints: the package passes mypy --strict, and a caller's mistakes
are caught through its hints (skipped without Debian's python3-mypy)."""

import importlib.util
import subprocess
import sys
from pathlib import Path

import pytest

pytestmark = pytest.mark.skipif(importlib.util.find_spec("mypy") is None,
                                reason="mypy is not installed")

PACKAGE = Path(__file__).resolve().parents[1] / "aidmatch"

CALLER = '''
import datetime
import aidmatch

def at_stake(centre: str) -> int:
    with aidmatch.Run(centre, threads=2) as run:
        run.ingest(progress=lambda p: None)
        run.reconcile()
        return sum(f.amount_fen for f in run.findings())

def first_day(snapshot: str, finding_id: str) -> datetime.date:
    with aidmatch.Snapshot(snapshot) as snap:
        why = snap.explain(finding_id)
        assert why is not None
        return why.result.finding.period_start
'''

MISTAKES = '''
def wrong(run: aidmatch.Run) -> str:
    return next(run.findings()).amount_fen

def wrong_too(snap: aidmatch.Snapshot) -> None:
    snap.explain("x").rule
'''


def mypy(*args):
    return subprocess.run([sys.executable, "-m", "mypy", "--strict", "--no-incremental",
                           "--cache-dir", "/dev/null", *args], capture_output=True, text=True)


def test_the_package_passes_mypy_strict():
    done = mypy(str(PACKAGE))
    assert done.returncode == 0, done.stdout + done.stderr


def test_a_caller_is_checked_through_the_hints(tmp_path):
    good = tmp_path / "good.py"
    good.write_text(CALLER)
    done = mypy(str(good))
    assert done.returncode == 0, done.stdout + done.stderr
    bad = tmp_path / "bad.py"
    bad.write_text(CALLER + MISTAKES)
    done = mypy(str(bad))
    assert done.returncode == 1
    assert 'Incompatible return value type (got "int", expected "str")' in done.stdout
    assert 'Item "None" of "Optional[Explanation]" has no attribute "rule"' in done.stdout
