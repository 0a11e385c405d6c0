"""Findings and rejects as pandas DataFrames.  pandas is optional (Debian's
python3-pandas): without it these tests are skipped, and the one that
checks the error a caller gets runs instead."""

import importlib.util

import pytest

import aidmatch
from conftest import EXPECTED, RUN_DATE

HAVE_PANDAS = importlib.util.find_spec("pandas") is not None


@pytest.fixture(scope="module")
def run(centre):
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        run.ingest()
        run.reconcile()
        yield run


@pytest.mark.skipif(not HAVE_PANDAS, reason="pandas is not installed")
def test_findings_frame_holds_every_finding(run):
    import pandas
    frame = run.findings_frame()
    expected = pandas.read_csv(EXPECTED / "findings.csv", dtype=str, keep_default_na=False,
                                encoding="utf-8-sig")
    assert list(frame["id"]) == list(expected["finding_id"])
    assert list(frame["kind"]) == list(expected["kind"])
    assert [f"{fen // 100}.{fen % 100:02d}" for fen in frame["amount_fen"]] == \
        list(expected["amount_at_stake"])
    assert list(frame.columns)[:3] == ["id", "kind", "rule_id"]


@pytest.mark.skipif(not HAVE_PANDAS, reason="pandas is not installed")
def test_rejects_frame_holds_every_reject(run):
    import pandas
    frame = run.rejects_frame()
    expected = pandas.read_csv(EXPECTED / "rejects.csv", dtype=str, keep_default_na=False,
                                encoding="utf-8-sig")
    assert list(frame["reason"]) == list(expected["reason"])
    assert [str(line) for line in frame["line"]] == list(expected["line"])


@pytest.mark.skipif(HAVE_PANDAS, reason="pandas is installed")
def test_without_pandas_the_frames_raise_module_not_found(run):
    with pytest.raises(ModuleNotFoundError, match="pandas"):
        run.findings_frame()
    with pytest.raises(ModuleNotFoundError, match="pandas"):
        run.rejects_frame()
