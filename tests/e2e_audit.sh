#!/bin/sh
# End-to-end tests of the auditor's commands on the bundled sample county:
# snapshot (and reconcile --snapshot), match, person and explain, their
# formats and filters, and the errors a corrupt, truncated or missing
# snapshot gives; and, on a county with damaged IDs, the rows linking
# joined or left for review, as every answer shows them.
# Usage: e2e_audit.sh AIDMATCH GEN_COUNTY
set -eu
aidmatch=$1
gen=$2
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

# Runs a command that must fail with the given exit code.
expect_exit() { # CODE COMMAND...
    want=$1
    shift
    set +e
    "$@" >"$work/out" 2>"$work/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || fail "exit $got, expected $want: $*: $(head -c 300 "$work/err")"
}

# A private copy: the key's mode is tightened there, never loosened.
cp -r "$root/data/sample" "$work/sample"
cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
centre=$work/sample/centre.ini
snap=$work/sample.snap
date=2026-01-01

# 1. reconcile --snapshot and the snapshot command write the same file.
"$aidmatch" reconcile "$centre" --out "$work/out1" --run-date $date --quiet --snapshot "$snap" ||
    fail "reconcile --snapshot exited $?"
[ "$(stat -c %a "$snap")" = 600 ] || fail "a snapshot must be mode 0600"
"$aidmatch" snapshot "$centre" --out "$work/again.snap" --run-date $date 2>"$work/err" ||
    fail "snapshot exited $?"
grep -q "records" "$work/err" || fail "snapshot printed no summary"
cmp -s "$snap" "$work/again.snap" || fail "snapshot and reconcile --snapshot differ"
# findings.csv opens with a UTF-8 BOM for spreadsheets; answers on stdout carry none.
[ "$(head -c 3 "$work/out1/findings.csv" | od -An -tx1 | tr -d ' ')" = efbbbf ] ||
    fail "findings.csv does not open with a UTF-8 BOM"
# match answers with every column of findings.csv, linked and
# possible_id_error included: the snapshot carries what linking decided.
tail -c +4 "$work/out1/findings.csv" >"$work/findings.csv"
findings=$work/findings.csv

# 2. The run's rules as ad-hoc rules give the run's findings, column for column.
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --with-duplicates \
    >"$work/all.csv" || fail "match --rules exited $?"
sort "$findings" >"$work/a"
sort "$work/all.csv" >"$work/b"
cmp -s "$work/a" "$work/b" || fail "match with the default rules differs from findings.csv"
grep -v ',DUP,' "$findings" | sort >"$work/a"
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" | sort >"$work/b"
cmp -s "$work/a" "$work/b" || fail "match without --with-duplicates must drop exactly DUP"

# 3. An ad-hoc two-item rule, in every output form; from the feeds too.
rule='exclusive TEKUN_HOME|TEKUN_INST vs DIBAO_URBAN|DIBAO_RURAL'
"$aidmatch" match --snapshot "$snap" --rule "$rule" >"$work/q.csv" || fail "match --rule exited $?"
[ "$(head -n 1 "$work/q.csv")" = "$(head -n 1 "$findings")" ] || fail "match header is not findings.csv's"
[ "$(wc -l <"$work/q.csv")" -gt 1 ] || fail "the two-item rule found nothing"
if tail -n +2 "$work/q.csv" | grep -qv ',CONFLICT,Q1,'; then fail "a finding not of Q1"; fi
r02=$(grep -c ',CONFLICT,R02,' "$findings")
[ "$(tail -n +2 "$work/q.csv" | wc -l)" -eq "$r02" ] || fail "Q1 finds other than R02 does"
"$aidmatch" match --snapshot "$snap" --rule "$rule" --out "$work/q2.csv" || fail "match --out"
cmp -s "$work/q.csv" "$work/q2.csv" || fail "--out differs from stdout"
"$aidmatch" match --centre "$centre" --rule "$rule" --run-date $date >"$work/q3.csv" ||
    fail "match --centre exited $?"
cmp -s "$work/q.csv" "$work/q3.csv" || fail "match on the feeds differs from match on the snapshot"
"$aidmatch" match --snapshot "$snap" --rule "$rule" --format jsonl >"$work/q.jsonl"
[ "$(wc -l <"$work/q.jsonl")" -eq "$r02" ] || fail "jsonl: one line per finding"
grep -qv '^{"finding_id": "[0-9a-f]\{32\}", "kind": "CONFLICT"' "$work/q.jsonl" &&
    fail "jsonl lines are not finding objects"
"$aidmatch" match --snapshot "$snap" --rule "rule X1 $rule source 特困认定办法" >"$work/q4.csv"
grep -q ',X1,.*特困认定办法' "$work/q4.csv" || fail "a full rule keeps its id and source"

# 4. Filters.
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --kind CONFLICT \
    --kind after_death >"$work/f.csv"
[ "$(tail -n +2 "$work/f.csv" | wc -l)" -eq "$(grep -c -e ',CONFLICT,' -e ',AFTER_DEATH,' "$findings")" ] ||
    fail "--kind"
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --min-amount 10000 >"$work/f.csv"
awk -F, 'NR > 1 && $11 < 10000 { bad = 1 } END { exit bad }' "$work/f.csv" || fail "--min-amount"
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --agency PSB,HSA >"$work/f.csv"
if tail -n +2 "$work/f.csv" | cut -d, -f7 | grep -qv -e PSB -e HSA; then fail "--agency"; fi
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --item DIBAO_URBAN >"$work/f.csv"
if tail -n +2 "$work/f.csv" | cut -d, -f6 | grep -qv DIBAO_URBAN; then fail "--item"; fi
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --format jsonl \
    --town 3202 >"$work/f.jsonl"
if grep -v '"area": "3202' "$work/f.jsonl" | grep -q .; then fail "--town"; fi
[ -s "$work/f.jsonl" ] || fail "--town 3202 found nothing in the sample"

# 5. person, by token: records, household members' items, findings.
subject=$(awk -F, 'NR > 1 && $4 == "person" { print $5; exit }' "$findings")
id=$(awk -F, -v s="$subject" '$5 == s { print $1; exit }' "$findings")
"$aidmatch" person "$subject" --snapshot "$snap" >"$work/p.csv" || fail "person exited $?"
head -n 1 "$work/p.csv" | grep -q '^row,relation,person,' || fail "person CSV header"
grep -q "^record,self,$subject," "$work/p.csv" || fail "person lists no record of their own"
grep -q "^finding,subject,$subject,.*,$id," "$work/p.csv" || fail "person misses finding $id"
"$aidmatch" person "$subject" --snapshot "$snap" --format jsonl >"$work/p.jsonl"
grep -q "\"row\": \"finding\", \"concerns\": \"subject\", \"finding_id\": \"$id\"" "$work/p.jsonl" ||
    fail "person jsonl misses finding $id"
"$aidmatch" person "$subject" --snapshot "$snap" --format table >"$work/p.txt"
grep -q "^person $subject" "$work/p.txt" && grep -q "^findings" "$work/p.txt" ||
    fail "person table"
"$aidmatch" person "$subject" --centre "$centre" --run-date $date >"$work/p2.csv"
cmp -s "$work/p.csv" "$work/p2.csv" || fail "person on the feeds differs from the snapshot"
"$aidmatch" person "$subject" --snapshot "$snap" --kind DUPLICATE --format csv >"$work/p3.csv"
if grep '^finding,' "$work/p3.csv" | grep -qv ',DUPLICATE,'; then fail "person --kind"; fi

# 6. person, by resident ID: hashed with the key, never printed.
raw=$(awk -F, 'NR == 2 { print $5 }' "$work/sample/mca_dibao_tekun.csv")
[ ${#raw} -eq 18 ] || fail "no resident ID found in the sample"
"$aidmatch" person "$raw" --snapshot "$snap" --key "$work/sample/sample.key" >"$work/r1.csv" 2>"$work/r1.err" ||
    fail "person ID --key exited $?"
"$aidmatch" person "$raw" --snapshot "$snap" --centre "$centre" >"$work/r2.csv" || fail "person ID --centre"
cmp -s "$work/r1.csv" "$work/r2.csv" || fail "--key and --centre give different answers"
token=$(awk -F, '$1 == "record" { print $3; exit }' "$work/r1.csv")
"$aidmatch" person "$token" --snapshot "$snap" >"$work/r3.csv"
cmp -s "$work/r1.csv" "$work/r3.csv" || fail "an ID and its token give different answers"
if cat "$work/r1.csv" "$work/r1.err" | grep -q "$raw"; then fail "the resident ID was printed"; fi
expect_exit 4 "$aidmatch" person "$raw" --snapshot "$snap"
grep -q -- "--key" "$work/err" || fail "a missing key does not say how to give one"
if grep -q "$raw" "$work/err"; then fail "the resident ID was printed in an error"; fi
"$aidmatch" keygen --out "$work/other.key" >/dev/null
expect_exit 4 "$aidmatch" person "$raw" --snapshot "$snap" --key "$work/other.key"
expect_exit 3 "$aidmatch" person 3202812017090402 --snapshot "$snap" --key "$work/sample/sample.key"
grep -q "bad_length" "$work/err" || fail "a bad ID does not say why"
expect_exit 6 "$aidmatch" person 0123456789abcdef0123456789abcdef --snapshot "$snap"

# 7. explain: one finding of each kind, its rule as written, its evidence.
for kind in DUPLICATE HOUSEHOLD_DUPLICATE CONFLICT MISSING AFTER_DEATH DISQUALIFIED; do
    line=$(grep ",$kind," "$findings" | head -n 1)
    fid=${line%%,*}
    rule_id=$(echo "$line" | cut -d, -f3)
    "$aidmatch" explain "$fid" --snapshot "$snap" >"$work/e.txt" || fail "explain $kind exited $?"
    grep -q "^finding $fid" "$work/e.txt" || fail "explain $kind: no finding line"
    grep -q "^rule $rule_id " "$work/e.txt" || fail "explain $kind: no rule $rule_id"
    grep -q "^policy source: " "$work/e.txt" || fail "explain $kind: no policy source"
    n=$(echo "$line" | awk -F, '{ print $12 }' | tr ';' '\n' | grep -c .)
    grep -q "^evidence: $n records" "$work/e.txt" || fail "explain $kind: not $n evidence records"
    if [ "$rule_id" != DUP ]; then
        grep -q "^  | rule $rule_id " "$work/e.txt" || fail "explain $kind: the rule as written"
    fi
    "$aidmatch" explain "$fid" --snapshot "$snap" --format jsonl >"$work/e.jsonl"
    [ "$(grep -c '"row": "evidence"' "$work/e.jsonl")" -eq "$n" ] || fail "explain $kind jsonl evidence"
    "$aidmatch" explain "$fid" --centre "$centre" --run-date $date --format jsonl >"$work/e2.jsonl"
    cmp -s "$work/e.jsonl" "$work/e2.jsonl" || fail "explain $kind differs between feeds and snapshot"
done
expect_exit 6 "$aidmatch" explain 0123456789abcdef0123456789abcdef --snapshot "$snap"
grep -q "no finding" "$work/err" || fail "an unknown finding id is not reported"
expect_exit 3 "$aidmatch" explain not-a-finding --snapshot "$snap"

# 8. Damaged IDs: what linking decided is in the snapshot, and every
# answer shows it as findings.csv does.  The damaged rows are one-off
# medical aid, which no default rule names; two rules more make findings
# rest on them: everyone is owed it (MISSING, with a possible ID error
# where a review row of it points at the person), and it excludes dibao
# and the premium subsidy (CONFLICT, resting on linked rows).
county=$work/damaged
"$gen" --persons 2000 --seed 2 --damaged-ids 200 --out "$county" \
    --catalogue "$work/catalogue" --rules "$work/rules/default.rules" >/dev/null
rules=$county/damaged.rules
cat "$work/rules/default.rules" - >"$rules" <<'EOF'

rule T1 entitles HUKOU -> MED_AID
  source test: every resident is owed medical aid

rule T2 exclusive MED_AID vs DIBAO_URBAN|DIBAO_RURAL|MED_PREM
  source test: medical aid excludes dibao and the premium subsidy
EOF
sed "s|^rules = .*|rules = $rules|" "$county/centre.ini" >"$county/damaged.ini"
"$aidmatch" reconcile "$county/damaged.ini" --out "$county/out" --run-date $date --quiet \
    --snapshot "$county/c.snap" || fail "reconcile of the damaged county exited $?"
# Quoted fields (policy sources with commas) are read by a CSV reader.
columns() { # FILE: finding_id,linked,possible_id_error of each finding that has either
    python3 -c '
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")):
    if r["linked"] or r["possible_id_error"]:
        print(r["finding_id"], r["linked"] or "-", r["possible_id_error"] or "-")' "$1"
}
columns "$county/out/findings.csv" >"$work/d.want"
grep -q ' [01]\.[0-9]\{3\} ' "$work/d.want" || fail "no finding rests on a linked row: the test proves nothing"
grep -q ' [a-z_]*:[0-9]' "$work/d.want" || fail "no possible ID error: the test proves nothing"
tail -c +4 "$county/out/findings.csv" | sort >"$work/a"
"$aidmatch" match --snapshot "$county/c.snap" --rules "$rules" --with-duplicates | sort >"$work/b"
cmp -s "$work/a" "$work/b" || fail "damaged county: match differs from findings.csv"
# explain: the finding's linked and possible ID error, from the snapshot and the feeds.
while read -r fid linked id_error; do
    "$aidmatch" explain "$fid" --snapshot "$county/c.snap" >"$work/e.txt"
    if [ "$linked" != - ]; then
        grep -q "^  linked  *$linked (an evidence record's damaged ID was linked: check it first)\$" \
            "$work/e.txt" || fail "explain $fid: no line 'linked $linked'"
    fi
    if [ "$id_error" != - ]; then
        grep -q "^  possible ID error  *$id_error (left for review: paid under a mistyped ID?)\$" \
            "$work/e.txt" || fail "explain $fid: no line 'possible ID error $id_error'"
    fi
done <"$work/d.want"
fid=$(grep -m 1 ' [01]\.[0-9]\{3\} ' "$work/d.want" | cut -d' ' -f1)
"$aidmatch" explain "$fid" --snapshot "$county/c.snap" --format jsonl >"$work/e.jsonl"
"$aidmatch" explain "$fid" --centre "$county/damaged.ini" --run-date $date --format jsonl >"$work/e2.jsonl"
cmp -s "$work/e.jsonl" "$work/e2.jsonl" || fail "explain of a linked finding differs between feeds and snapshot"
# Each evidence row marked linked is a linked row of links.csv, with its probability.
python3 - "$work/e.jsonl" "$county/out/links.csv" <<'PY' || fail "explain's linked evidence rows are not links.csv's"
import csv, json, sys
links = {(r["feed"], r["line"]): r for r in csv.DictReader(open(sys.argv[2], encoding="utf-8-sig"))}
marked = 0
for row in map(json.loads, open(sys.argv[1])):
    if row["row"] != "evidence":
        continue
    link = links.get((row["feed"], str(row["line"])))
    want = link["probability"] if link and link["status"] == "linked" else ""
    assert row["linked"] == want, (row, want)
    marked += want != ""
assert marked > 0
PY
# person: the linked row's person lists it with its probability, as the feeds do.
python3 - "$county/out/links.csv" >"$work/linked" <<'PY'
import csv, sys
for r in csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")):
    if r["status"] == "linked":
        print(r["person"], r["feed"], r["line"], r["probability"])
        break
PY
read -r person feed line probability <"$work/linked" || fail "no linked row in links.csv"
"$aidmatch" person "$person" --snapshot "$county/c.snap" >"$work/p.csv"
grep -q "^record,self,$person,[^,]*,[A-Z]*,$feed,$line,.*,$probability,\$" "$work/p.csv" ||
    fail "person $person: row $feed:$line not marked linked $probability"
[ "$(grep -c '^record,.*,[01]\.[0-9]\{3\},$' "$work/p.csv")" -ge 1 ] || fail "person: no linked record"
"$aidmatch" person "$person" --centre "$county/damaged.ini" --run-date $date >"$work/p2.csv"
cmp -s "$work/p.csv" "$work/p2.csv" || fail "person with a linked row differs between feeds and snapshot"

# 9. A corrupt, truncated, foreign or missing snapshot: a clear error.
size=$(stat -c %s "$snap")
cp "$snap" "$work/flip.snap"
printf 'X' | dd of="$work/flip.snap" bs=1 seek=$((size / 2)) conv=notrunc 2>/dev/null
expect_exit 3 "$aidmatch" match --snapshot "$work/flip.snap" --rule "$rule"
grep -q "corrupt snapshot: .*checksum does not match" "$work/err" || fail "a flipped byte: $(cat "$work/err")"
head -c $((size - 100)) "$snap" >"$work/cut.snap"
expect_exit 3 "$aidmatch" person "$subject" --snapshot "$work/cut.snap"
grep -q "truncated snapshot" "$work/err" || fail "truncation: $(cat "$work/err")"
expect_exit 3 "$aidmatch" explain "$id" --snapshot "$findings"
grep -q "not an aidmatch snapshot" "$work/err" || fail "a CSV file taken for a snapshot"
expect_exit 1 "$aidmatch" explain "$id" --snapshot "$work/missing.snap"

# 10. The command line.
for cmd in snapshot match person explain; do
    "$aidmatch" "$cmd" --help | grep -q "^Usage: aidmatch $cmd" || fail "$cmd --help"
done
"$aidmatch" --help | grep -q "person ID_OR_TOKEN" || fail "main help lacks person"
expect_exit 2 "$aidmatch" match --snapshot "$snap"
expect_exit 2 "$aidmatch" match --snapshot "$snap" --rule "$rule" --rules "$work/rules/default.rules"
expect_exit 2 "$aidmatch" match --snapshot "$snap" --rule "$rule" --format xml
expect_exit 2 "$aidmatch" match --snapshot "$snap" --rule "$rule" --kind NOPE
expect_exit 2 "$aidmatch" match --snapshot "$snap" --rule "$rule" --min-amount 1.234
expect_exit 2 "$aidmatch" match --snapshot "$snap" --rule "$rule" --min-amount -5
grep -qx "aidmatch: --min-amount takes yuan such as 1000 or 99.50, got '-5'" "$work/err" ||
    fail "a negative --min-amount: $(cat "$work/err")"
# Amounts are read as the feeds write them: thousands separators and ¥.
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" --min-amount 10000 \
    >"$work/f1.csv"
"$aidmatch" match --snapshot "$snap" --rules "$work/rules/default.rules" \
    --min-amount '¥10,000.00' >"$work/f2.csv" || fail "--min-amount with a separator"
cmp -s "$work/f1.csv" "$work/f2.csv" || fail "--min-amount 10,000.00 differs from 10000"
# An answer file is written whole or not at all, and a failure names it.
expect_exit 1 "$aidmatch" match --snapshot "$snap" --rule "$rule" --out "$work/no-such-dir/f.csv"
grep -qx "aidmatch: $work/no-such-dir/f.csv: cannot create: No such file or directory" \
    "$work/err" || fail "an uncreatable --out: $(cat "$work/err")"
expect_exit 2 "$aidmatch" match --rule "$rule"
expect_exit 2 "$aidmatch" person --snapshot "$snap"
expect_exit 3 "$aidmatch" match --snapshot "$snap" --rule 'exclusive NO_SUCH vs DEATH'
grep -q "^aidmatch: --rule:1: expected" "$work/err" || fail "a bad --rule does not name its line"
expect_exit 3 "$aidmatch" match --snapshot "$snap" --rule "$rule" --item NO_SUCH

if [ "$failures" -ne 0 ]; then
    echo "$failures audit check(s) failed" >&2
    exit 1
fi
echo "e2e audit: all checks passed"
