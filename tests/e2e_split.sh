#!/bin/sh
# A plain feed read in parts on several threads (split_above) gives the
# outputs of the feed read whole, byte for byte: a county whose hukou
# register is plain CRLF text, with rejects past max_rejects, damaged IDs
# to link, on 2, 3 and 8 threads, in memory and partitioned on disk; a
# line that fails the read in a later part fails it with the message and
# exit status of the whole read.
# Usage: e2e_split.sh AIDMATCH GEN_COUNTY
set -eu
aidmatch=$1
gen=$2
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
"$gen" --persons 20000 --seed 6 --bad-rows --damaged-ids 300 --plain-registry \
    --out "$work/county" --catalogue "$work/catalogue" --rules "$work/rules/default.rules" \
    >/dev/null
# Every feed above a kilobyte is cut, and rejects past two per reason are
# only counted: which rows are listed must not depend on the parts.
awk '{ print } /^\[feed / { print "split_above = 1K"; print "max_rejects = 2" }' \
    "$work/county/centre.ini" >"$work/county/split.ini"
grep -q '^file = psb_hukou.csv$' "$work/county/split.ini" || fail "the register is not plain"

run() { # OUT THREADS [OPTION...]
    out=$1
    threads=$2
    shift 2
    "$aidmatch" reconcile "$work/county/split.ini" --out "$out" --threads "$threads" --quiet \
        --run-date 2026-01-02 "$@"
}

# One thread reads every feed whole: the reference.
run "$work/whole" 1 --snapshot "$work/whole.snap"
# 17 damaged check digits, some linked: which two stay listed is settled
# across the parts.
[ "$(grep -c '^hsa_medical_aid_typed,[0-9]*,bad_check_digit,' "$work/whole/rejects.csv")" -eq 2 ] ||
    fail "not two bad check digits listed: max_rejects proved nothing"
[ "$(wc -l <"$work/whole/links.csv")" -gt 100 ] || fail "too few links: linking proved nothing"
for threads in 2 3 8; do
    run "$work/t$threads" "$threads" --snapshot "$work/t$threads.snap"
    same_outputs "$work/whole" "$work/t$threads" "$threads threads"
    cmp -s "$work/whole.snap" "$work/t$threads.snap" || fail "$threads threads: the snapshot differs"
done
mkdir "$work/tmp"
run "$work/p3" 2 --partitions 3 --temp-dir "$work/tmp"
rm -f "$work/whole/.aidmatch-run" "$work/p3/.aidmatch-run"
same_outputs "$work/whole" "$work/p3" "3 partitions, 2 threads"

# A line longer than the reader takes (1 MiB), near the register's end:
# the part holding it fails the read as the whole read fails.
awk -v n="$(wc -l <"$work/county/psb_hukou.csv")" '
    NR == n - 5 { printf "%s", $0; for (i = 0; i < 1100; i++) printf "%01024d", 0; print ""; next }
    { print }' "$work/county/psb_hukou.csv" >"$work/long.csv"
mv "$work/long.csv" "$work/county/psb_hukou.csv"
for threads in 1 2; do
    status=0
    "$aidmatch" reconcile "$work/county/split.ini" --out "$work/fail$threads" --threads "$threads" \
        --quiet --run-date 2026-01-02 2>"$work/err$threads" || status=$?
    echo "$status" >>"$work/err$threads"
done
grep -q 'psb_hukou.csv:[0-9]*: line longer than 1048576 bytes' "$work/err1" ||
    fail "the whole read did not fail on the long line: $(cat "$work/err1")"
cmp -s "$work/err1" "$work/err2" ||
    fail "read in parts, the long line failed otherwise: $(cat "$work/err2") against $(cat "$work/err1")"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "a plain feed in parts on 2, 3 and 8 threads and on disk: the outputs of the whole read"
