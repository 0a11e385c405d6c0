#!/bin/sh
# End-to-end test of the nightly cycle through the aidmatch command, on a
# tiny county built from in-repo files (tests/tiny_county.sh): night 2
# drops a feed row and adds one, and delta.csv says which findings are new,
# persisting and resolved (with --previous naming the very directory being
# written); an outcomes file suppresses a finding while its facts hold and
# brings it back when they change; drift and staleness reach summary.json
# and stderr; progress shows on a terminal only.
# Usage: e2e_delta.sh AIDMATCH
set -eu
aidmatch=$1
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e_common.sh"

. "$here/tiny_county.sh"
make_county "$work/c" "$aidmatch"
centre=$work/c/centre.ini
out=$work/out

# The id of the finding of KIND whose evidence holds REF, in FILE.  The
# first twelve columns never hold a comma.
finding_id() { # FILE KIND REF
    awk -F, -v kind="$2" -v ref="$3" '$2 == kind && $12 ~ ref { print $1; exit }' "$1"
}

# Night 1.  mca_tekun is expected to change every night (stale_days = 1);
# the registries keep their default of 30 days.
sed -i 's|^\[feed mca_tekun\]$|&\nstale_days = 1|' "$centre"
"$aidmatch" reconcile "$centre" --out "$out" --run-date 2026-11-27 --quiet ||
    fail "night 1 exited $?"
[ ! -e "$out/delta.csv" ] || fail "delta.csv written without --previous"
[ -s "$out/report.html" ] || fail "no report.html"
[ "$(wc -l <"$out/suppressed.csv")" -eq 1 ] || fail "suppressed.csv is not just a header"
head -n 1 "$out/findings.csv" | grep -q ',priority,facts,linked,possible_id_error$' ||
    fail "findings.csv does not end with its facts, linked and possible_id_error columns"
cp "$out/findings.csv" "$work/night1.csv"
dup_p1=$(finding_id "$work/night1.csv" DUPLICATE 'town_tekun:2')
dup_p4=$(finding_id "$work/night1.csv" DUPLICATE 'town_tekun:3')
[ -n "$dup_p1" ] && [ -n "$dup_p4" ] || fail "night 1 lacks the P1 and P4 duplicates"

# Night 2: P1's town row is gone; P2 gets an overlapping one.  The
# previous run is read from the directory this night replaces.
sed -i "/^$P1,/d" "$work/c/town_tekun.csv"
echo "$P2,900.00,2025-06-01,2025-07-31" >>"$work/c/town_tekun.csv"
"$aidmatch" reconcile "$centre" --out "$out" --previous "$out" --run-date 2026-11-28 \
    2>"$work/night2.err" || fail "night 2 exited $?"
delta=$out/delta.csv
[ -f "$delta" ] || fail "no delta.csv with --previous"
[ "$(head -n 1 "$delta")" = "$(printf '\357\273\277')finding_id,status,first_seen,last_seen,kind,rule_id,unit,subject,items,agencies,period_start,period_end,amount_at_stake,priority" ] ||
    fail "delta.csv header (after a UTF-8 BOM)"
grep -q "^$dup_p1,resolved,2026-11-27,2026-11-27,DUPLICATE," "$delta" || fail "P1's duplicate is not resolved"
grep -q "^$dup_p4,persisting,2026-11-27,2026-11-28,DUPLICATE," "$delta" || fail "P4's duplicate is not persisting"
# A resolved finding keeps what it was about: night 1's kind, rule, unit,
# subject, items, agencies, period and amount (no comma in these columns).
[ "$(grep "^$dup_p1," "$delta" | cut -d, -f5-12,13)" = \
  "$(grep "^$dup_p1," "$work/night1.csv" | cut -d, -f2-9,11)" ] || fail "the resolved finding lost its details"
[ "$(grep "^$dup_p4," "$delta" | cut -d, -f5-13)" = \
  "$(grep "^$dup_p4," "$out/findings.csv" | cut -d, -f2-9,11)" ] || fail "a persisting finding's details differ from findings.csv"
dup_p2=$(finding_id "$out/findings.csv" DUPLICATE 'town_tekun:3')
[ -n "$dup_p2" ] || fail "night 2 lacks P2's duplicate"
grep -q "^$dup_p2,new,2026-11-28,2026-11-28,DUPLICATE," "$delta" || fail "P2's duplicate is not new"
# Every finding of either night appears exactly once.
both=$( (tail -n +2 "$work/night1.csv"; tail -n +2 "$out/findings.csv") | cut -d, -f1 | sort -u | wc -l)
[ "$(tail -n +2 "$delta" | cut -d, -f1 | sort -u | wc -l)" -eq "$both" ] || fail "delta.csv does not list every finding of both nights"
[ "$(tail -n +2 "$delta" | wc -l)" -eq "$both" ] || fail "delta.csv repeats a finding"
grep -q '"previous_run_date": "2026-11-27"' "$out/summary.json" ||
    fail "summary.json has no previous_run_date"
grep -q '"feed": "mca_tekun", "rows_read": 6, "previous_rows_read": 6, "change_permille": 0, "shrunk": false, "grew": false, "stale": true, "unchanged_days": 1, "stale_days": 1}' \
    "$out/summary.json" || fail "the unchanged feed is not stale in summary.json"
grep -q '"feed": "psb_deaths", .* "stale": false, "unchanged_days": 1, "stale_days": 30}' \
    "$out/summary.json" || fail "the unchanged registry is stale before its 30 days"
grep -q '{"name": "psb_deaths", .* "stale_days": 30, "unchanged_since": "2026-11-27"}' \
    "$out/summary.json" || fail "summary.json's feeds do not carry the day the deaths file arrived"
grep -q '{"name": "town_tekun", .* "stale_days": 7, "unchanged_since": "2026-11-28"}' \
    "$out/summary.json" || fail "summary.json's feeds do not say the town file is new tonight"
grep -q "since the previous run: 1 new, .* persisting, 1 resolved" "$work/night2.err" ||
    fail "stderr lacks the delta line"
grep -qxF "warning: feed mca_tekun is stale: its file has not changed for 1 day, since 2026-11-27 (stale_days = 1)" \
    "$work/night2.err" || fail "no stale warning"
[ "$(grep -c 'is stale' "$work/night2.err")" -eq 1 ] || fail "a feed other than mca_tekun is called stale"
if grep -q 'ETA\|MB/s' "$work/night2.err" || grep -q "$(printf '\r')" "$work/night2.err"; then
    fail "progress printed although stderr is not a terminal"
fi

# Night 3: P4's duplicate is judged no_issue; the feed of medical premiums
# comes in a third of its size (flagged with drift_share 0.5).
# Caseworkers write the report's Chinese headers and labels; one row is
# mistyped (skipped, reported) and one names no finding (listed).
cat >"$work/c/outcomes.csv" <<EOF
线索编号,处理结果,日期,备注
$dup_p4,无问题,2026-11-28,两笔均已核实
$dup_p2,属实,2026-11-28,
$dup_p2,也许,2026-11-28,
ffffffffffffffffffffffffffffffff,confirmed,2026-11-28,
EOF
sed -i 's|^rules = .*|&\noutcomes = outcomes.csv\ndrift_share = 0.5|' "$centre"
sed -i "/^$P3,/d; /^$P6,/d" "$work/c/hsa_medprem.csv"
"$aidmatch" reconcile "$centre" --out "$out" --previous "$out" --run-date 2026-11-29 \
    2>"$work/night3.err" || fail "night 3 exited $?"
grep -q "^$dup_p4," "$out/suppressed.csv" || fail "P4's no_issue duplicate is not in suppressed.csv"
if grep -q "^$dup_p4," "$out/findings.csv"; then fail "P4's suppressed duplicate is still in findings.csv"; fi
grep -q "两笔均已核实" "$out/suppressed.csv" "$out/report.html" && fail "a caseworker's note reached an output"
grep -q '"no_issue": 1, "suppressed": 1' "$out/summary.json" || fail "summary.json outcomes"
grep -q '"confirmed": 1' "$out/summary.json" || fail "summary.json does not count the confirmed outcome"
grep -qx "warning: $work/c/outcomes.csv:4: outcome: expected confirmed, error_corrected or no_issue (属实, 已纠正 or 无问题); row skipped" \
    "$work/night3.err" || fail "the mistyped outcome row is not reported on stderr"
grep -q "\"skipped_rows\": \[\\?\$" "$out/summary.json" &&
    grep -q "{\"file\": \"$work/c/outcomes.csv\", \"line\": 4, \"reason\": \"outcome: expected confirmed, error_corrected or no_issue (属实, 已纠正 or 无问题)\"}" \
    "$out/summary.json" || fail "summary.json does not list the skipped outcome row"
grep -q '"unmatched_ids": 1, "unmatched_finding_ids": \["ffffffffffffffffffffffffffffffff"\]' "$out/summary.json" ||
    fail "summary.json does not list the unmatched finding id"
grep -q "^$dup_p4,persisting,2026-11-27,2026-11-29,DUPLICATE," "$out/delta.csv" || fail "a suppressed finding left the delta"
grep -q '"feed": "hsa_medprem", "rows_read": 1, "previous_rows_read": 3, "change_permille": -666, "shrunk": true' \
    "$out/summary.json" || fail "the shrunken feed is not flagged"
grep -q "warning: feed hsa_medprem shrank: 1 rows, 3 in the previous run" "$work/night3.err" ||
    fail "no shrink warning"

# Night 4: the facts hold, so it stays suppressed though the previous run
# is later than the outcome.
"$aidmatch" reconcile "$centre" --out "$out" --previous "$out" --run-date 2026-11-30 --quiet ||
    fail "night 4 exited $?"
grep -q "^$dup_p4," "$out/suppressed.csv" || fail "P4's duplicate came back with unchanged facts"

# Night 5: P4's town payment changes (the stake does not): it comes back.
sed -i "s/^$P4,600.00,/$P4,700.00,/" "$work/c/town_tekun.csv"
"$aidmatch" reconcile "$centre" --out "$out" --previous "$out" --run-date 2026-12-01 --quiet \
    2>"$work/night5.err" || fail "night 5 exited $?"
grep -q "^$dup_p4," "$out/findings.csv" || fail "P4's duplicate did not come back when its facts changed"
[ "$(wc -l <"$out/suppressed.csv")" -eq 1 ] || fail "suppressed.csv should be empty on night 5"
# The mistyped row warns every night, --quiet or not, until it is fixed.
grep -q "outcomes.csv:4: outcome: expected" "$work/night5.err" || fail "--quiet hid the skipped outcome row"
sed -i '/也许/d' "$work/c/outcomes.csv"

# Usage errors and the run date.
rc=0
"$aidmatch" reconcile "$centre" --out "$work/x" --run-date 2026-02-30 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "a bad --run-date exits $rc, not 2"

# The first night: the nightly line names a --previous that does not exist
# yet.  That is no previous run, said on stderr and in summary.json.
"$aidmatch" reconcile "$centre" --out "$work/first" --previous "$work/first" --quiet \
    2>"$work/first.err" || fail "the first night with --previous exits $?"
[ "$(cat "$work/first.err")" = "note: --previous $work/first does not exist yet: no previous run to compare with (the first night)" ] ||
    fail "the first night's note: $(cat "$work/first.err")"
grep -q "\"previous_run_missing\": {\"directory\": \"$work/first\", \"note\": \"the directory does not exist yet: no previous run to compare with (the first night)\"}" \
    "$work/first/summary.json" || fail "summary.json does not note the missing previous run"
grep -q '"delta": null' "$work/first/summary.json" || fail "the first night has a delta"
[ ! -e "$work/first/delta.csv" ] || fail "delta.csv on the first night"
# The second night compares with the first.
"$aidmatch" reconcile "$centre" --out "$work/first" --previous "$work/first" --quiet \
    2>"$work/first.err" || fail "the second night exits $?"
[ -s "$work/first/delta.csv" ] && [ ! -s "$work/first.err" ] || fail "the second night did not compare"
# A directory that exists but holds no run is still an error.
mkdir "$work/empty"
rc=0
"$aidmatch" reconcile "$centre" --out "$work/x" --previous "$work/empty" 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || fail "a --previous without findings.csv exits $rc, not 1"
# A previous run under another key, or of another centre, is refused.
"$aidmatch" keygen --out "$work/other.key" 2>/dev/null || fail "keygen"
sed "s|^key = .*|key = $work/other.key|" "$centre" >"$work/c/other-key.ini"
rc=0
"$aidmatch" reconcile "$work/c/other-key.ini" --out "$work/x" --previous "$work/first" \
    2>"$work/err" || rc=$?
[ "$rc" -eq 4 ] || fail "a previous run under another key exits $rc, not 4"
grep -q "^aidmatch: the previous run was made under another key (fingerprint [0-9a-f]*; this run's is [0-9a-f]*): its findings cannot be compared with tonight's; give --previous a run of this centre under this key$" \
    "$work/err" || fail "another key's run: $(cat "$work/err")"
awk '/^\[centre\]/ { print; print "name = Another county"; next } !/^name *=/ || seen++ { print }' \
    "$centre" >"$work/c/other-centre.ini"
rc=0
"$aidmatch" reconcile "$work/c/other-centre.ini" --out "$work/x" --previous "$work/first" \
    2>"$work/err" || rc=$?
[ "$rc" -eq 3 ] || fail "a previous run of another centre exits $rc, not 3"
grep -q "^aidmatch: the previous run is of the centre '.*', this run of 'Another county': give --previous a run of this centre$" \
    "$work/err" || fail "another centre's run: $(cat "$work/err")"
rc=0
"$aidmatch" reconcile "$centre" --out "$work/x" --previous "$out" --run-date 2026-11-01 \
    2>/dev/null || rc=$?
[ "$rc" -eq 3 ] || fail "a previous run dated after the run date exits $rc, not 3"
"$aidmatch" reconcile "$centre" --out "$work/today" --quiet || fail "default run date"
grep -q "\"run_date\": \"$(date +%Y-%m-%d)\"" "$work/today/summary.json" ||
    grep -q "\"run_date\": \"$(date -d yesterday +%Y-%m-%d)\"" "$work/today/summary.json" ||
    fail "the default run date is not today"

# Progress: on a terminal, and not with --quiet.
if command -v script >/dev/null 2>&1; then
    script -qec "'$aidmatch' reconcile '$centre' --out '$work/tty'" /dev/null >"$work/tty.txt" 2>&1 ||
        fail "reconcile on a terminal exited $?"
    grep -q '\[1/5\] mca_tekun: 6 rows' "$work/tty.txt" || fail "no progress line on a terminal"
    script -qec "'$aidmatch' reconcile '$centre' --out '$work/tty' --quiet" /dev/null >"$work/tty.txt" 2>&1 ||
        fail "quiet reconcile on a terminal exited $?"
    [ ! -s "$work/tty.txt" ] || fail "--quiet printed progress on a terminal"
fi

[ "$failures" -eq 0 ] || exit 1
echo "nightly cycle: all checks passed"
