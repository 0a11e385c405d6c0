#!/bin/sh
# findings.xlsx read back (tests/workbook_check.py, openpyxl) against the
# CSV files of the same run: the sample county, with one feed renamed so
# that its name starts with '-', which both the CSV and the workbook must
# neutralise the same way ('-name).
# Usage: e2e_workbook.sh AIDMATCH PYTHON
set -eu
aidmatch=$1
python=$2
here=$(cd "$(dirname "$0")" && pwd)
. "$here/e2e_common.sh"

cp -r "$AM_SOURCE_ROOT/data/sample" "$work/sample"
cp -r "$AM_SOURCE_ROOT/data/catalogue" "$AM_SOURCE_ROOT/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
sed -i 's|^\[feed mca_dibao_tekun\]|[feed -mca_dibao_tekun]|' "$work/sample/centre.ini"
grep -q '^\[feed -mca_dibao_tekun\]' "$work/sample/centre.ini" || fail "the feed was not renamed"

"$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/out" --quiet || fail "reconcile exited $?"
[ -s "$work/out/findings.xlsx" ] || fail "no findings.xlsx"
[ "$(stat -c %a "$work/out/findings.xlsx")" = 600 ] || fail "findings.xlsx is not mode 0600"
grep -q "^'-mca_dibao_tekun,[0-9]" "$work/out/rejects.csv" || fail "rejects.csv does not neutralise the feed name"
"$python" "$here/workbook_check.py" "$work/out" "'-mca_dibao_tekun" || fail "findings.xlsx differs from the CSV files"

# The same run gives the same bytes: the workbook is dated by the run date.
"$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/again" --quiet || fail "second run exited $?"
cmp -s "$work/out/findings.xlsx" "$work/again/findings.xlsx" || fail "findings.xlsx differs between two runs"

[ "$failures" -eq 0 ] || exit 1
