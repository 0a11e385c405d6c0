"""The auditor's questions (person, match, explain, rule) through the
bindings answer as the aidmatch command does from the same snapshot."""

import csv
import json

import pytest

import aidmatch
from conftest import RUN_DATE, run_cli


def yuan(fen):
    sign = "-" if fen < 0 else ""
    return f"{sign}{abs(fen) // 100}.{abs(fen) % 100:02d}"


def iso(day):
    return day.isoformat() if day else ""


def finding_row(result):
    f = result.finding
    return {"finding_id": f.id, "kind": f.kind, "rule_id": f.rule_id, "unit": f.unit,
            "subject": f.subject, "items": ";".join(f.items), "agencies": ";".join(f.agencies),
            "period_start": iso(f.period_start), "period_end": iso(f.period_end),
            "overlap_days": f.overlap_days, "amount_at_stake": yuan(f.amount_fen),
            "evidence": ";".join(f.evidence), "policy_source": f.policy_source,
            "priority": f.priority, "facts": result.facts, "linked": result.linked,
            "possible_id_error": result.possible_id_error, "area": result.area}


def record_row(row, r):
    return {"row": row, "relation": r.relation, "person": r.person, "household": r.household,
            "agency": r.agency, "feed": r.feed, "line": r.line,
            "fact" if r.is_fact else "item": r.code,
            "name": r.code_name, "start": iso(r.start), "end": iso(r.end),
            "amount": yuan(r.amount_fen), "value": r.value, "area": r.area, "linked": r.linked}


def cli_jsonl(*args):
    return [json.loads(line) for line in run_cli(*args, "--format", "jsonl").stdout.splitlines()]


@pytest.fixture(scope="module")
def snapshot_path(cli_run):
    return cli_run.parent / "snapshot.amsnap"


@pytest.fixture(scope="module")
def snapshot(snapshot_path, data):
    with aidmatch.Snapshot(snapshot_path, key_file=data / "sample" / "sample.key") as snap:
        yield snap


@pytest.fixture(scope="module")
def findings(cli_run):
    with open(cli_run / "findings.csv", newline="", encoding="utf-8-sig") as f:
        return list(csv.DictReader(f))


def test_linked_rows_are_marked_as_findings_csv_and_links_csv_mark_them(snapshot, cli_run,
                                                                        findings):
    with open(cli_run / "links.csv", newline="", encoding="utf-8-sig") as f:
        linked = {(r["feed"], int(r["line"])): r for r in csv.DictReader(f)
                  if r["status"] == "linked"}
    resting = [row for row in findings if row["linked"]]
    assert linked and resting, "the sample must link a row some finding rests on"
    for row in resting:
        result = snapshot.explain(row["finding_id"]).result
        assert (result.linked, result.possible_id_error) == (row["linked"],
                                                            row["possible_id_error"])
        marked = {(r.feed, r.line): r.linked for r in result.evidence if r.linked}
        assert marked and all(linked[k]["probability"] == p for k, p in marked.items())
    for (feed, line), link in linked.items():
        person = snapshot.person(link["person"])
        mine = [r for r in person.records if (r.feed, r.line) == (feed, line)]
        assert [r.linked for r in mine] == [link["probability"]]
        assert all(not r.linked for r in person.records if (r.feed, r.line) not in linked)


def test_explain_answers_as_the_cli(snapshot, snapshot_path, findings):
    for row in findings[:: max(1, len(findings) // 8)]:
        explanation = snapshot.explain(row["finding_id"])
        assert explanation is not None
        mine = [dict(finding_row(explanation.result), row="finding"),
                {"row": "rule", "rule_id": explanation.rule.id, "kind": explanation.rule.kind,
                 "origin": explanation.rule.origin, "line": explanation.rule.line,
                 "text": explanation.rule.text, "policy_source": explanation.rule.source}]
        mine += [record_row("evidence", r) for r in explanation.result.evidence]
        assert mine == cli_jsonl("explain", row["finding_id"], "--snapshot", str(snapshot_path))
        assert explanation.result.finding.id == row["finding_id"]
        assert len(explanation.result.evidence) == len(row["evidence"].split(";"))


def test_explain_of_an_unknown_finding_is_none(snapshot):
    assert snapshot.explain("0" * 32) is None
    with pytest.raises(aidmatch.FormatError):
        snapshot.explain("not an id")


def test_person_by_token_answers_as_the_cli(snapshot, snapshot_path, findings):
    for subject in sorted({row["subject"] for row in findings if row["unit"] == "person"})[:6]:
        person = snapshot.person(subject)
        assert person.token == subject
        mine = [record_row("record", r) for r in person.records]
        mine += [dict(finding_row(r), row="finding", concerns=r.concerns) for r in person.findings]
        assert mine == cli_jsonl("person", subject, "--snapshot", str(snapshot_path))
        assert any(r.relation == "self" for r in person.records)
        assert any(r.concerns == "subject" for r in person.findings)


def test_person_by_raw_id_gives_the_same_person_and_keeps_no_id(snapshot, snapshot_path, data):
    with open(data / "sample" / "psb_vehicles.csv", newline="", encoding="utf-8") as f:
        raw_id = next(csv.DictReader(f))["身份证明号码"]
    person = snapshot.person(raw_id)
    assert len(person.token) == 32 and person.records
    assert snapshot.person(person.token) == person
    assert raw_id not in repr(person)
    key = str(data / "sample" / "sample.key")
    cli = cli_jsonl("person", raw_id, "--snapshot", str(snapshot_path), "--key", key)
    assert {row["person"] for row in cli if row["row"] == "record" and
            row["relation"] == "self"} == {person.token}


def test_person_by_raw_id_needs_the_key(snapshot_path, data):
    with open(data / "sample" / "psb_vehicles.csv", newline="", encoding="utf-8") as f:
        raw_id = next(csv.DictReader(f))["身份证明号码"]
    with aidmatch.Snapshot(snapshot_path) as snap:
        with pytest.raises(aidmatch.KeyMaterialError) as e:
            snap.person(raw_id)
        assert raw_id not in e.value.message


def test_match_and_filters_answer_as_the_cli(snapshot, snapshot_path, data, tmp_path):
    rules = ("rule Q1 exclusive DIBAO_URBAN vs TEKUN_HOME\n"
             "  source ad hoc\n"
             "rule Q2 exclusive DIBAO_RURAL|DIBAO_URBAN vs TEKUN_HOME|TEKUN_INST\n"
             "  source ad hoc\n")
    rules_file = tmp_path / "adhoc.rules"
    rules_file.write_text(rules, encoding="utf-8")
    cases = [({}, []),
             ({"with_duplicates": True}, ["--with-duplicates"]),
             ({"with_duplicates": True, "kinds": ["DUPLICATE"]}, ["--with-duplicates",
                                                                  "--kind", "DUPLICATE"]),
             ({"min_amount_fen": 1000000}, ["--min-amount", "10000"]),
             ({"items": ["TEKUN_HOME"], "agencies": ["MCA"]}, ["--item", "TEKUN_HOME",
                                                               "--agency", "MCA"]),
             ({"town": "3202"}, ["--town", "3202"])]
    answers = []
    for kwargs, flags in cases:
        results = snapshot.match(rules, name=str(rules_file), **kwargs)
        cli = cli_jsonl("match", "--snapshot", str(snapshot_path), "--rules", str(rules_file),
                        *flags)
        assert [finding_row(r) for r in results] == cli, flags
        answers.append(len(results))
    assert answers[0] > 0 and answers[1] > answers[0] and 0 < answers[2] < answers[1]
    assert snapshot.rule("Q2").text.startswith("rule Q2 exclusive")


def test_the_short_form_is_the_long_form_numbered_and_ad_hoc(snapshot, snapshot_path):
    short = "exclusive DIBAO_URBAN vs TEKUN_HOME\nexclusive DIBAO_RURAL vs TEKUN_HOME\n"
    long = ("rule Q1 exclusive DIBAO_URBAN vs TEKUN_HOME\n  source ad hoc\n"
            "rule Q2 exclusive DIBAO_RURAL vs TEKUN_HOME\n  source ad hoc\n")
    answer = [finding_row(r) for r in snapshot.match(short)]
    assert answer and answer == [finding_row(r) for r in snapshot.match(long)]
    assert {row["policy_source"] for row in answer} == {"ad hoc"}
    # One parser: the command's --rule gives the library's answer.
    assert answer == cli_jsonl("match", "--snapshot", str(snapshot_path),
                               "--rule", "exclusive DIBAO_URBAN vs TEKUN_HOME",
                               "--rule", "exclusive DIBAO_RURAL vs TEKUN_HOME")


def test_unknown_kind_in_a_filter_is_refused(snapshot):
    with pytest.raises(ValueError, match="unknown finding kind 'DUPE'"):
        snapshot.match("rule Q1 exclusive DIBAO_URBAN vs TEKUN_HOME\n", kinds=["DUPE"])


def test_a_reconciled_run_answers_as_its_snapshot(centre, snapshot, findings, tmp_path):
    with aidmatch.Run(centre, run_date=RUN_DATE) as run:
        run.ingest()
        run.reconcile()
        subject = findings[0]["subject"]
        assert run.person(subject) == snapshot.person(subject)
        assert run.explain(findings[0]["finding_id"]) == \
            snapshot.explain(findings[0]["finding_id"])
        run.write_snapshot(tmp_path / "mine.amsnap")
    with aidmatch.Snapshot(tmp_path / "mine.amsnap") as mine:
        mine.verify()
        assert mine.person(subject) == snapshot.person(subject)


def test_a_corrupt_snapshot_is_a_format_error(snapshot_path, tmp_path):
    damaged = bytearray(snapshot_path.read_bytes())
    damaged[len(damaged) // 2] ^= 0xFF
    (tmp_path / "damaged.amsnap").write_bytes(bytes(damaged))
    with pytest.raises(aidmatch.FormatError):
        with aidmatch.Snapshot(tmp_path / "damaged.amsnap") as snap:
            snap.verify()
