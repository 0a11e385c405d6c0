#!/bin/sh
# End-to-end tests of the window's commands on the bundled sample county:
# precheck's answer and exit codes (clear, a problem would arise, errors),
# grant seen by the next precheck, and no raw ID in any output or the
# journal.
# Usage: e2e_window.sh AIDMATCH
set -eu
aidmatch=$1
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

run() { # CODE COMMAND... : runs, output in $work/out and $work/err
    want=$1
    shift
    set +e
    "$@" >"$work/out" 2>"$work/err"
    got=$?
    set -e
    [ "$got" -eq "$want" ] || fail "exit $got, expected $want: $*: $(head -c 300 "$work/err")"
    cat "$work/out" "$work/err" >>"$work/all"
}

cp -r "$root/data/sample" "$work/sample"
cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
key=$work/sample/sample.key
snap=$work/county.snap
"$aidmatch" snapshot "$work/sample/centre.ini" --out "$snap" --quiet || fail "snapshot exited $?"
# A person paid DIS_NURSING from 2025-06-01 (the first row of mca_allowances).
id=$(sed -n 2p "$work/sample/mca_allowances.csv" | cut -d, -f2)

# 1. Granting what they already receive would raise a duplicate: exit 5.
run 5 "$aidmatch" precheck "$id" --item DIS_NURSING --from 2025-07-01 --to 2025-07-31 \
    --amount 260 --snapshot "$snap" --key "$key"
grep -q "重复享受 DUPLICATE  DUP        DIS_NURSING" "$work/out" || fail "precheck shows no duplicate"
grep -q "结论 Verdict: 将产生问题 a problem would arise (1 finding)" "$work/out" ||
    fail "precheck's verdict is not 'a problem would arise'"
grep -q "社会救助暂行办法" "$work/out" || fail "the duplicate's policy source is not shown"

# 2. After the payments stop, the grade still entitles: clear, and on the menu.
run 0 "$aidmatch" precheck "$id" --item FESTIVAL --from 2025-02-01 --amount 300 \
    --date 2026-02-01 --snapshot "$snap" --key "$key"
grep -q "结论 Verdict: 无冲突 clear" "$work/out" || fail "precheck's verdict is not clear"
grep -q "DIS_NURSING  重度残疾人护理补贴" "$work/out" || fail "DIS_NURSING is not on the menu"

# 3. JSON, by token, through $AIDMATCH_SNAPSHOT.
token=$(sed -n 's/^申请人 Applicant: //p' "$work/out")
[ ${#token} -eq 32 ] || fail "precheck printed no token"
AIDMATCH_SNAPSHOT=$snap run 5 "$aidmatch" precheck "$token" --item DIS_NURSING \
    --from 2025-07-01 --format json
grep -q '"clear": false' "$work/out" || fail "JSON answer does not say it is not clear"
grep -q '"evidence": "mca_allowances:3;proposal/MCA:1"' "$work/out" ||
    fail "JSON finding does not cite the proposal: $(head -c 400 "$work/out")"

# 4. A grant made this morning is seen this afternoon, by another process.
run 0 "$aidmatch" grant "$id" --item ORPHAN --from 2025-03-01 --to 2025-03-31 --amount 1200 \
    --snapshot "$snap" --key "$key"
[ "$(stat -c %a "$snap.journal")" = 600 ] || fail "the journal must be mode 0600"
run 5 "$aidmatch" precheck "$id" --item ORPHAN --from 2025-03-10 --to 2025-03-20 \
    --amount 400 --date 2025-03-15 --snapshot "$snap" --key "$key"
grep -q "journal/MCA:2" "$work/out" || fail "precheck does not see the grant in the journal"

# 5. Errors: exit codes and messages a caseworker acts on.
run 3 "$aidmatch" precheck "$id" --item NO_SUCH --from 2025-03-01 --snapshot "$snap" --key "$key"
grep -qx "aidmatch: grant 1: 'NO_SUCH' is not an item of the catalogue" "$work/err" ||
    fail "unknown item: $(cat "$work/err")"
run 3 "$aidmatch" precheck 320281198108070205 --item ORPHAN --from 2025-03-01 \
    --snapshot "$snap" --key "$key"
grep -qx "aidmatch: expected a resident ID or a token of 32 hex digits; as an ID it is refused: bad_check_digit" \
    "$work/err" || fail "bad ID: $(cat "$work/err")"
run 4 "$aidmatch" precheck "$id" --item ORPHAN --from 2025-03-01 --snapshot "$snap"
run 2 "$aidmatch" precheck "$id" --from 2025-03-01 --snapshot "$snap" --key "$key"
run 2 "$aidmatch" grant "$id" --item ORPHAN --from 2025-03-01 --snapshot "$snap" --key "$key"
run 1 "$aidmatch" precheck "$id" --item ORPHAN --from 2025-03-01 --snapshot "$work/none.snap" \
    --key "$key"

# 6. No raw ID anywhere: outputs, messages, journal.
cat "$snap.journal" >>"$work/all"
if grep -q "$id" "$work/all"; then
    fail "a raw ID reached an output or the journal"
fi

[ "$failures" -eq 0 ] || exit 1
echo "e2e_window: all checks passed"
