"""The window over a snapshot (Snapshot.window): checks and grants through
the bindings answer as aidmatch precheck and grant do, and share the
journal with them."""

import datetime
import json
import shutil
import subprocess

import pytest

import aidmatch
from aidmatch import Grant
from conftest import EXPECTED, cli_path


def holding_row(r):
    return {"relation": r.relation, "person": r.person, "household": r.household,
            "feed": r.feed, "line": r.line, "agency": r.agency, "code": r.code,
            "name": r.code_name, "type": "fact" if r.is_fact else "item",
            "start": r.start.isoformat() if r.start else "",
            "end": r.end.isoformat() if r.end else "", "amount_fen": r.amount_fen,
            "value": r.value}


def finding_row(f):
    return {"finding_id": f.id, "kind": f.kind, "rule_id": f.rule_id, "unit": f.unit,
            "subject": f.subject, "items": ";".join(f.items), "agencies": ";".join(f.agencies),
            "period_start": f.period_start.isoformat(), "period_end": f.period_end.isoformat(),
            "overlap_days": f.overlap_days, "amount_fen": f.amount_fen,
            "evidence": ";".join(f.evidence), "policy_source": f.policy_source,
            "priority": f.priority}


def check_json(c):
    return {"person": c.person, "clear": c.clear, "journal_ignored": c.journal_ignored,
            "holdings": [holding_row(r) for r in c.holdings],
            "findings": [finding_row(f) for f in c.findings],
            "menu": [{"item": m.item, "name_zh": m.name_zh, "name_en": m.name_en,
                      "agency": m.agency, "unit": m.unit, "rule_id": m.rule_id,
                      "policy_source": m.policy_source} for m in c.menu]}


def precheck(snapshot, person, item, start, *extra):
    done = subprocess.run([cli_path(), "precheck", person, "--item", item, "--from", start,
                           "--snapshot", str(snapshot), "--format", "json", *extra],
                          capture_output=True, text=True)
    assert done.returncode in (0, 5), done.stderr
    return json.loads(done.stdout)


@pytest.fixture
def snapshot_file(cli_run, tmp_path):
    path = tmp_path / "window.amsnap"
    shutil.copy(cli_run.parent / "snapshot.amsnap", path)
    return path


def subjects():
    lines = (EXPECTED / "findings.csv").read_text(encoding="utf-8-sig").splitlines()[1:]
    return sorted({line.split(",")[4] for line in lines})


def test_checks_answer_as_precheck(snapshot_file):
    people = subjects()[:12] + ["196b7227126a9a7f8a50d0784096e5e0"]
    seen_findings = seen_menu = 0
    with aidmatch.Snapshot(snapshot_file) as snap, snap.window() as window:
        for person in people:
            mine = window.check(person, "2025-06-01",
                                [Grant("TEKUN_HOME", datetime.date(2025, 6, 1))])
            assert check_json(mine) == precheck(snapshot_file, person, "TEKUN_HOME",
                                                "2025-06-01")
            seen_findings += len(mine.findings)
            seen_menu += len(mine.menu)
    assert seen_findings > 0 and seen_menu > 0


def test_grants_are_shared_with_the_command_through_the_journal(snapshot_file, data):
    person = subjects()[0]
    grant = Grant("VAGRANT", datetime.date(2025, 7, 3), agency="MCA", amount_fen=150000)
    with aidmatch.Snapshot(snapshot_file) as snap:
        with snap.window() as window:
            before = window.check(person, "2025-07-03")
            window.grant(person, grant)
            after = window.check(person, "2025-07-03")
        assert len(after.holdings) == len(before.holdings) + 1
        [granted] = [h for h in after.holdings if h.feed == "journal/MCA"]
        assert (granted.code, granted.start, granted.amount_fen) == \
            ("VAGRANT", datetime.date(2025, 7, 3), 150000)
        cli = precheck(snapshot_file, person, "VAGRANT", "2025-07-03", "--date", "2025-07-03")
        assert [h for h in cli["holdings"] if h["feed"] == "journal/MCA"] == \
            [holding_row(granted)]
        subprocess.run([cli_path(), "grant", person, "--item", "VAGRANT", "--from",
                        "2025-07-04", "--amount", "20", "--snapshot", str(snapshot_file)],
                       check=True, capture_output=True)
        with snap.window() as window:
            again = window.check(person, "2025-07-04")
        assert [h.amount_fen for h in again.holdings if h.feed.startswith("journal/")] == \
            [150000, 2000]


def test_the_snapshot_is_lent_while_a_window_is_open(snapshot_file):
    person = subjects()[0]
    with aidmatch.Snapshot(snapshot_file) as snap:
        window = snap.window()
        with pytest.raises(ValueError, match="lent to an open Window"):
            snap.person(person)
        window.close()
        window.close()
        assert snap.person(person).token == person
        with pytest.raises(ValueError, match="closed Window"):
            window.check(person, "2025-06-01")
        snap.window()  # left open: closing the snapshot closes it


def test_a_bad_grant_fails_with_the_library_message(snapshot_file):
    person = subjects()[0]
    with aidmatch.Snapshot(snapshot_file) as snap, snap.window() as window:
        with pytest.raises(aidmatch.FormatError) as e:
            window.check(person, "2025-06-01", [Grant("NO_SUCH_ITEM", datetime.date(2025, 6, 1))])
        assert e.value.message == "grant 1: 'NO_SUCH_ITEM' is not an item of the catalogue"
        with pytest.raises(aidmatch.FormatError):
            window.grant(person, Grant("DIBAO_URBAN", datetime.date(2025, 6, 1),
                                       amount_fen=-1))
