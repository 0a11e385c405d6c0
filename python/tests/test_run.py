"""Run: the sample county reconciled through the bindings gives what the
aidmatch command gives, item by item and file by file."""

import csv
import datetime
import threading
from decimal import Decimal

import pytest

import aidmatch
from conftest import EXPECTED, RUN_DATE, summary_without_clock


def expected_rows(name):
    with open(EXPECTED / name, newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


@pytest.fixture(scope="module")
def run(centre):
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        run.ingest()
        run.reconcile()
        yield run


def test_findings_are_the_expected_findings_field_by_field(run):
    findings = list(run.findings())
    expected = expected_rows("findings.csv")
    assert len(findings) == len(expected) > 0
    for f, row in zip(findings, expected):
        assert f.id == row["finding_id"]
        assert f.kind == row["kind"]
        assert f.rule_id == row["rule_id"]
        assert f.unit == row["unit"]
        assert f.subject == row["subject"]
        assert ";".join(f.items) == row["items"]
        assert ";".join(f.agencies) == row["agencies"]
        assert f.period_start == datetime.date.fromisoformat(row["period_start"])
        assert f.period_end == datetime.date.fromisoformat(row["period_end"])
        assert f.overlap_days == int(row["overlap_days"])
        assert f.amount_yuan == Decimal(row["amount_at_stake"])
        assert f.amount_fen == int(row["amount_at_stake"].replace(".", ""))
        assert ";".join(f.evidence) == row["evidence"]
        assert f.policy_source == row["policy_source"]
        assert f.priority == row["priority"]


def test_rejects_are_the_expected_rejects(run):
    rejects = [(r.feed, str(r.line), r.reason, r.detail) for r in run.rejects()]
    expected = [(r["feed"], r["line"], r["reason"], r["detail"])
                for r in expected_rows("rejects.csv")]
    assert rejects == expected
    assert len(rejects) > 0


def test_feed_stats_match_the_cli_summary_and_add_up(run, cli_run):
    import json
    summary = json.loads((cli_run / "summary.json").read_text())
    stats = run.feed_stats()
    assert [s.name for s in stats] == [f["name"] for f in summary["feeds"]]
    for s, f in zip(stats, summary["feeds"]):
        assert (s.agency, s.file_xxh3, s.encoding, s.bytes_read) == \
            (f["agency"], f["file_xxh3"], f["encoding"], f["bytes"])
        assert (s.rows_read, s.rows_ingested, s.rows_rejected) == \
            (f["rows_read"], f["rows_ingested"], f["rows_rejected"])
        assert s.by_reason == f["rejected_by_reason"]
        assert s.rows_read == s.rows_ingested + s.rows_rejected
        assert sum(s.by_reason.values()) == s.rows_rejected


def test_write_outputs_gives_the_cli_files_byte_for_byte(run, cli_run, tmp_path):
    run.write_outputs(tmp_path / "out")
    written = sorted(p.name for p in (tmp_path / "out").iterdir())
    assert written == sorted(p.name for p in cli_run.iterdir())
    for name in written:
        if name == "summary.json":
            assert summary_without_clock(tmp_path / "out" / name) == \
                summary_without_clock(cli_run / name)
        else:
            assert (tmp_path / "out" / name).read_bytes() == (cli_run / name).read_bytes(), name
    for name in ("findings.csv", "rejects.csv"):
        assert (tmp_path / "out" / name).read_bytes() == (EXPECTED / name).read_bytes()


@pytest.mark.parametrize("partitions", [1, 7])
def test_a_partitioned_run_writes_the_files_of_the_run_in_memory(centre, run, tmp_path,
                                                                 partitions):
    run.write_outputs(tmp_path / "memory")
    spill = tmp_path / "spill"
    spill.mkdir()
    with aidmatch.Run(centre, run_date=RUN_DATE, partitions=partitions,
                      temp_dir=spill) as parted:
        parted.ingest()
        parted.reconcile()
        assert [f.id for f in parted.findings()] == [f.id for f in run.findings()]
        parted.write_outputs(tmp_path / "parted")
        with pytest.raises(aidmatch.InvalidUseError, match="keeps no records to answer"):
            parted.person(next(parted.findings()).subject)
    for p in (tmp_path / "memory").iterdir():
        if p.name == "summary.json":
            assert summary_without_clock(p) == summary_without_clock(tmp_path / "parted" / p.name)
        else:
            assert p.read_bytes() == (tmp_path / "parted" / p.name).read_bytes(), p.name
    # Its partition files went with it.
    assert list(spill.iterdir()) == []


def test_a_memory_limit_below_the_least_is_refused_with_its_reason(centre):
    with aidmatch.Run(centre) as run:
        with pytest.raises(aidmatch.InvalidUseError) as e:
            run.set_memory_limit(1 << 20)
        assert e.value.status_name == "AM_ERR_INVALID"
        assert e.value.message == "memory limit: expected at least 128M, got 1048576 bytes"


def test_reviews_without_a_previous_run_are_all_new(run):
    reviews = list(run.reviews())
    assert [r.finding_id for r in reviews] == [f.id for f in run.findings()]
    assert {r.change for r in reviews} == {"new"}
    assert list(run.delta()) == []


def test_a_second_run_against_the_first_persists_every_finding(centre, cli_run, tmp_path):
    with aidmatch.Run(centre, run_date="2026-01-06") as run:
        run.load_previous(cli_run)
        run.ingest()
        run.reconcile()
        run.review()
        delta = list(run.delta())
        assert len(delta) == run.reconcile() > 0
        run.review()
        assert {d.change for d in run.delta()} == {"persisting"}
        assert {d.first_seen for d in run.delta()} == {datetime.date.fromisoformat(RUN_DATE)}
        assert {d.last_seen for d in run.delta()} == {datetime.date(2026, 1, 6)}


def test_iterating_while_the_run_changes_fails_instead_of_mixing_runs(run):
    findings = run.findings()
    next(findings)
    run.reconcile()
    with pytest.raises(RuntimeError, match="changed during iteration"):
        next(findings)


def test_closed_run_refuses_calls_and_values_outlive_it(centre):
    with aidmatch.Run(centre) as run:
        run.ingest()
        run.reconcile()
        first = next(run.findings())
    assert run.closed
    assert first.kind in {"DUPLICATE", "HOUSEHOLD_DUPLICATE", "CONFLICT", "MISSING",
                          "AFTER_DEATH", "DISQUALIFIED"}
    with pytest.raises(ValueError, match="closed Run"):
        run.reconcile()
    run.close()  # twice is harmless


def test_progress_reports_every_feed_and_its_exception_stops_ingestion(centre):
    seen = []
    with aidmatch.Run(centre) as run:
        run.ingest(progress=seen.append)
        rows_at_end = {p.feed: p.rows for p in seen if p.done}
        assert rows_at_end == {s.name: s.rows_read for s in run.feed_stats()}
        assert {p.feed_count for p in seen} == {len(rows_at_end)}

    class Stop(Exception):
        pass

    def stop_at_second_feed(p):
        if p.feed_index == 1:
            raise Stop(p.feed)

    with aidmatch.Run(centre) as run:
        with pytest.raises(Stop):
            run.ingest(progress=stop_at_second_feed)


def test_feeds_declared_in_code_and_ingested_from_bytes(data, run):
    sample = data / "sample"
    with aidmatch.Run() as mine:
        mine.load_catalogue(data / "catalogue")
        mine.load_key_file(sample / "sample.key")
        feed = mine.add_feed("psb_vehicles", agency="PSB", kind="registry",
                             person_id="身份证明号码", name="所有人", fact="VEHICLE",
                             start="初次登记日期", end="注销日期")
        feed.ingest_bytes((sample / "psb_vehicles.csv").read_bytes())
        [stats] = mine.feed_stats()
        [as_centre] = [s for s in run.feed_stats() if s.name == "psb_vehicles"]
        assert (stats.rows_read, stats.rows_ingested, stats.by_reason) == \
            (as_centre.rows_read, as_centre.rows_ingested, as_centre.by_reason)
        assert stats.rows_read > 0
        assert mine.feed("psb_vehicles").name == "psb_vehicles"
        with pytest.raises(KeyError):
            mine.feed("no such feed")


def test_a_run_shared_between_threads_takes_turns(centre):
    with aidmatch.Run(centre) as run:
        run.ingest()
        counts, errors = [], []

        def reconcile():
            try:
                for _ in range(5):
                    counts.append(run.reconcile())
            except BaseException as e:
                errors.append(e)

        threads = [threading.Thread(target=reconcile) for _ in range(3)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len(counts) == 15 and len(set(counts)) == 1


def test_library_version_is_the_project_version():
    import re
    meson = (EXPECTED.parents[2] / "meson.build").read_text()
    assert aidmatch.library_version() == re.search(r"version: '([^']+)'", meson).group(1)


@pytest.mark.parametrize("keep_name", [False, True])
def test_tokenise_writes_what_aidmatch_hash_writes(centre, tmp_path, keep_name):
    from conftest import run_cli
    cli_out = tmp_path / "cli.csv"
    run_cli("hash", str(centre), "--feed", "psb_vehicles", "--out", str(cli_out),
            *(["--keep-name"] if keep_name else []))
    with aidmatch.Run(centre) as run:
        run.feed("psb_vehicles").tokenise(tmp_path / "mine.csv", keep_name=keep_name)
        [stats] = [s for s in run.feed_stats() if s.name == "psb_vehicles"]
    assert (tmp_path / "mine.csv").read_bytes() == cli_out.read_bytes()
    assert stats.rows_read > 0
    raw = (centre.parent / "psb_vehicles.csv").read_text(encoding="utf-8").splitlines()[1]
    raw_id = raw.split(",")[3]
    assert len(raw_id) == 18 and raw_id not in (tmp_path / "mine.csv").read_text(encoding="utf-8")


def test_csv_bom_can_be_left_out(centre, tmp_path):
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        run.set_csv_bom(False)
        run.ingest()
        run.reconcile()
        run.write_outputs(tmp_path / "out")
    expected = (EXPECTED / "findings.csv").read_bytes()
    assert expected.startswith("\ufeff".encode())
    assert (tmp_path / "out" / "findings.csv").read_bytes() == expected[3:]


def test_a_previous_run_not_there_yet_is_the_first_night(centre, tmp_path):
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        assert run.previous_missing is None
        run.load_previous(tmp_path / "not yet")
        assert run.previous_missing == str(tmp_path / "not yet")


def test_outcomes_rows_that_cannot_be_read_are_listed_and_the_rest_apply(centre, tmp_path):
    first = expected_rows("findings.csv")[0]["finding_id"]
    outcomes = tmp_path / "outcomes.csv"
    outcomes.write_text("finding_id,outcome,date\n"
                        f"{first},confirmed,2026-01-02\n"
                        f"{first},perhaps,2026-01-03\n", encoding="utf-8")
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        run.load_outcomes(outcomes)
        [skipped] = list(run.skipped_outcomes())
        run.ingest()
        run.reconcile()
        run.review()
        review = next(r for r in run.reviews() if r.finding_id == first)
    assert (skipped.file, skipped.line) == (str(outcomes), 3)
    assert skipped.reason == \
        "outcome: expected confirmed, error_corrected or no_issue (属实, 已纠正 or 无问题)"
    assert (review.outcome, review.outcome_date) == ("confirmed", datetime.date(2026, 1, 2))
