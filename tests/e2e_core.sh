#!/bin/sh
# No raw resident ID in a core dump.  gdb runs `aidmatch reconcile` on the
# sample county, stops it twice and takes a core with gcore each time:
#  - in the middle of reading (the 200th row mapped): the live read
#    buffers are marked MADV_DONTDUMP, so the core lacks them;
#  - before the outputs are written (am_write_outputs): every buffer that
#    held feed text was wiped when freed.
# Not one of the sample's raw IDs may be in either core.  The CLI also
# makes itself not dumpable (PR_GET_DUMPABLE 0) unless AIDMATCH_CORE_DUMPS=1.
# Skipped (exit 77) without gdb, under a sanitizer, or where the process
# cannot be traced.
# Usage: e2e_core.sh AIDMATCH
set -eu
aidmatch=$1
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

command -v gdb >/dev/null 2>&1 || { echo "SKIP: gdb is not installed"; exit 77; }
# A sanitizer build maps terabytes of shadow memory: gcore takes minutes.
if ldd "$aidmatch" 2>/dev/null | grep -q 'libasan\|libtsan'; then
    echo "SKIP: a sanitizer build (gcore is too slow over its shadow memory)"
    exit 77
fi
cp -r "$root/data/sample" "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
# Every raw ID of the county, from the plain and the gzip feeds.
for f in "$work"/sample/*.csv "$work"/sample/*.tsv; do cat "$f"; done >"$work/text"
for f in "$work"/sample/*.gz; do gzip -dc "$f"; done >>"$work/text"
grep -oE '[1-9][0-9]{16}[0-9Xx]' "$work/text" | sort -u >"$work/ids"
rm "$work/text"
[ "$(wc -l <"$work/ids")" -gt 100 ] || { echo "FAIL: too few IDs in the sample" >&2; exit 1; }

# Runs the reconcile under gdb, stopped at the breakpoint given; prints
# PR_GET_DUMPABLE and writes the core to $work/core.
core_at() { # label break-command [then-command]
    label=$1
    rm -rf "$work/out" "$work/core"
    gdb -nx -batch -iex 'set debuginfod enabled off' -ex 'set breakpoint pending on' \
        -ex "$2" -ex "${3:-echo}" -ex run -ex 'printf "dumpable=%d\n", (int)prctl(3, 0, 0, 0, 0)' \
        -ex "gcore $work/core" -ex kill \
        --args "$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/out" --quiet \
        --threads 1 --run-date 2026-11-28 >"$work/gdb.log" 2>&1 || true
    if [ ! -s "$work/core" ]; then
        if grep -q "ptrace: Operation not permitted\|Couldn't get registers" "$work/gdb.log"; then
            echo "SKIP: this process may not be traced"
            exit 77
        fi
        fail "$label: no core written ($(tail -n 5 "$work/gdb.log"))"
        return
    fi
    hits=$(grep -c -a -F -f "$work/ids" "$work/core" || true)
    [ "$hits" -eq 0 ] || fail "$label: the core holds raw IDs ($hits lines)"
}

core_at "in the middle of reading" 'break am_mapper_person' 'ignore 1 199'
grep -q "dumpable=0" "$work/gdb.log" || fail "the CLI is dumpable ($(grep dumpable= "$work/gdb.log"))"
core_at "before the outputs are written" 'break am_write_outputs'
grep -q "dumpable=0" "$work/gdb.log" || fail "the CLI is dumpable ($(grep dumpable= "$work/gdb.log"))"
export AIDMATCH_CORE_DUMPS=1
core_at "with core dumps asked for" 'break am_write_outputs'
grep -q "dumpable=1" "$work/gdb.log" || fail "AIDMATCH_CORE_DUMPS=1: not dumpable ($(grep dumpable= "$work/gdb.log"))"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "core: all checks passed"
