#!/bin/sh
# A run partitioned on disk (--memory-limit, --partitions) gives the
# outputs and the snapshot of the run in memory byte for byte: the sample
# county and generated counties, at 1, 2, 7 and 64 partitions, on 1 and 2
# threads, with a previous run (delta.csv); its temporary directory is left empty,
# the next run removes what a killed run left (and nothing else), and a
# full disk under the partition files fails with a clear message.
# Usage: e2e_partitions.sh AIDMATCH GEN_COUNTY
set -eu
aidmatch=$1
gen=$2
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

cp -r "$root/data/sample" "$work/sample"
cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
# County 5 has damaged IDs too, so that the snapshots compared carry links.
for seed in 4 5; do
    damaged=""
    [ "$seed" = 5 ] && damaged="--damaged-ids 300"
    # shellcheck disable=SC2086 # two words or none
    "$gen" --persons 3000 --seed "$seed" --bad-rows $damaged --out "$work/county$seed" \
        --catalogue "$work/catalogue" --rules "$work/rules/default.rules" >/dev/null
done
mkdir "$work/tmp"

compared=0
for county in sample county4 county5; do
    matrix="1 2 7 64"
    [ "$county" = county5 ] && matrix=7
    ini=$work/$county/centre.ini
    "$aidmatch" reconcile "$ini" --out "$work/$county.night1" --quiet --run-date 2026-01-01
    "$aidmatch" reconcile "$ini" --out "$work/$county.mem" -p "$work/$county.night1" \
        --quiet --run-date 2026-01-02 --snapshot "$work/$county.mem.snap"
    [ -f "$work/$county.mem/delta.csv" ] || fail "$county: the run in memory wrote no delta.csv"
    for parts in $matrix; do
        for threads in 1 2; do
            out=$work/$county.p$parts.t$threads
            "$aidmatch" reconcile "$ini" --out "$out" -p "$work/$county.night1" --quiet \
                --run-date 2026-01-02 --partitions "$parts" --threads "$threads" \
                --temp-dir "$work/tmp" --snapshot "$out.snap"
            same_outputs "$work/$county.mem" "$out" "$county, $parts partitions, $threads threads"
            cmp -s "$work/$county.mem.snap" "$out.snap" ||
                fail "$county, $parts partitions, $threads threads: the snapshot differs"
            compared=$((compared + 1))
        done
    done
    # 1G rather than the least, 128M: a sanitizer build holds more than
    # 128M before matching, and is refused.
    out=$work/$county.limit
    "$aidmatch" reconcile "$ini" --out "$out" -p "$work/$county.night1" --quiet \
        --run-date 2026-01-02 --memory-limit 1G --temp-dir "$work/tmp" --snapshot "$out.snap"
    same_outputs "$work/$county.mem" "$out" "$county, --memory-limit 1G"
    cmp -s "$work/$county.mem.snap" "$out.snap" || fail "$county, --memory-limit 1G: the snapshot differs"
    compared=$((compared + 1))
done
grep -q ',linked$' "$work/county5.mem/links.csv" ||
    fail "county5 linked no damaged ID: its snapshots compared no links"
echo "identical outputs and snapshots: $compared partitioned runs against the run in memory"

# The temporary directory is left as it was found.
left=$(ls -A "$work/tmp")
[ -z "$left" ] || fail "partition files left behind: $left"

# Open files: a soft limit of 256 (the hard one left) is raised by the
# command, and 600 partitions give the outputs in memory; under a hard
# limit of 300 the run fails saying what to do, and leaves nothing.
(ulimit -Sn 256 && "$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/sample.p600" \
    -p "$work/sample.night1" --quiet --run-date 2026-01-02 --partitions 600 \
    --temp-dir "$work/tmp") || fail "600 partitions under a soft limit of 256 open files failed"
same_outputs "$work/sample.mem" "$work/sample.p600" "sample, 600 partitions, soft limit 256"
if (ulimit -n 300 && "$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/sample.fd" \
    --quiet --run-date 2026-01-02 --partitions 600 --temp-dir "$work/tmp" 2>"$work/fd.err"); then
    fail "600 partitions under a hard limit of 300 open files succeeded"
fi
grep -q "Too many open files; a run in partitions keeps a file open for each partition and 512 more: raise the limit (ulimit -n) or ask for fewer partitions$" \
    "$work/fd.err" || fail "out of open files: $(cat "$work/fd.err")"
left=$(ls -A "$work/tmp")
[ -z "$left" ] || fail "partition files left behind after running out of open files: $left"

# Partition files under the output directory: refused before reading
# when the command names both, and said so at the end when the centre
# file's temp_dir is the output directory.
mkdir "$work/into"
if "$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/into" --quiet \
    --run-date 2026-01-02 --partitions 2 --temp-dir "$work/into" 2>"$work/into.err"; then
    fail "--temp-dir the output directory was taken"
fi
grep -q "^aidmatch: --temp-dir needs a directory other than the output directory, got '$work/into'$" \
    "$work/into.err" || fail "--temp-dir the output directory: $(cat "$work/into.err")"
sed 's/^\[centre\]$/[centre]\ntemp_dir = ..\/into/' "$work/sample/centre.ini" >"$work/sample/into.ini"
if "$aidmatch" reconcile "$work/sample/into.ini" --out "$work/into" --quiet \
    --run-date 2026-01-02 --partitions 2 2>"$work/into.err"; then
    fail "temp_dir the output directory was taken"
fi
grep -q "holds aidmatch-partitions-[A-Za-z0-9]*, a run's partition files: set the temporary directory (--temp-dir, temp_dir) outside the output directory$" \
    "$work/into.err" || fail "temp_dir the output directory: $(cat "$work/into.err")"
left=$(ls -A "$work/into")
[ -z "$left" ] || fail "left in the output directory: $left"

# The centre's memory_limit and temp_dir do the same.
sed 's/^\[centre\]$/[centre]\nmemory_limit = 1G\ntemp_dir = ..\/tmp/' "$work/sample/centre.ini" \
    >"$work/sample/limited.ini"
"$aidmatch" reconcile "$work/sample/limited.ini" --out "$work/sample.centre" --quiet \
    -p "$work/sample.night1" --run-date 2026-01-02
same_outputs "$work/sample.mem" "$work/sample.centre" "sample, memory_limit in the centre file"

# Questions need records in memory: a partitioned run refuses them.
if "$aidmatch" explain 00000000000000000000000000000000 --centre "$work/sample/limited.ini" \
    >/dev/null 2>"$work/explain.err"; then
    fail "explain answered from a partitioned run"
fi
grep -q "a run partitioned on disk (a memory limit) keeps no records to answer questions from" \
    "$work/explain.err" || fail "explain on a partitioned run: $(cat "$work/explain.err")"

# A run killed while partitioning leaves its directory; the next run
# removes it, and keeps whatever it did not write.
mkdir "$work/tmp/aidmatch-partitions-AAAAAA" "$work/tmp/aidmatch-partitions-BBBBBB"
for d in AAAAAA BBBBBB; do
    : >"$work/tmp/aidmatch-partitions-$d/lock"
    : >"$work/tmp/aidmatch-partitions-$d/part-0003"
    : >"$work/tmp/aidmatch-partitions-$d/bucket-017"
done
echo mine >"$work/tmp/aidmatch-partitions-BBBBBB/notes.txt"
echo mine >"$work/tmp/other.txt"
"$aidmatch" reconcile "$work/county4/centre.ini" --out "$work/county4.again" --quiet \
    --run-date 2026-01-02 --partitions 3 --temp-dir "$work/tmp"
[ ! -e "$work/tmp/aidmatch-partitions-AAAAAA" ] || fail "a dead run's partition files were left"
[ "$(ls -A "$work/tmp/aidmatch-partitions-BBBBBB")" = notes.txt ] ||
    fail "a dead run's directory: expected only notes.txt left, got $(ls -A "$work/tmp/aidmatch-partitions-BBBBBB")"
[ -f "$work/tmp/other.txt" ] || fail "a file aidmatch did not write was removed"

# kill -9 in the middle of a partitioned run: the next run cleans up.
"$gen" --persons 60000 --seed 6 --out "$work/big" --catalogue "$work/catalogue" \
    --rules "$work/rules/default.rules" >/dev/null
mkdir "$work/tmp2" "$work/disk"
"$aidmatch" reconcile "$work/big/centre.ini" --out "$work/big.out" --quiet \
    --run-date 2026-01-02 --partitions 5 --temp-dir "$work/tmp2" &
pid=$!
i=0
while [ -z "$(ls "$work/tmp2"/aidmatch-partitions-*/part-0000 2>/dev/null)" ] && [ $i -lt 600 ]; do
    sleep 0.01
    i=$((i + 1))
done
kill -9 $pid 2>/dev/null || true
wait $pid 2>/dev/null || true
[ -n "$(ls -A "$work/tmp2")" ] || echo "kill -9: the run ended before it was killed"
"$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/sample.after" --quiet \
    --run-date 2026-01-02 --partitions 2 --temp-dir "$work/tmp2"
[ -z "$(ls -A "$work/tmp2")" ] || fail "kill -9: the next run left $(ls -A "$work/tmp2")"

# A full disk under the partition files: a small tmpfs of its own.
if unshare -m true 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
    set +e
    unshare -m sh -c '
        mount -t tmpfs -o size=300k tmpfs "$1"
        "$2" reconcile "$3/county4/centre.ini" --out "$3/full.out" --quiet \
            --run-date 2026-01-02 --partitions 2 --temp-dir "$1" 2>"$3/enospc.err" && exit 10
        [ -z "$(ls -A "$1")" ] || exit 11
    ' sh "$work/disk" "$aidmatch" "$work"
    code=$?
    set -e
    case $code in
    0) grep -q "the disk is full: partition files need free space" "$work/enospc.err" ||
        fail "the full-disk error does not say so: $(cat "$work/enospc.err")"
        echo "full disk: $(cat "$work/enospc.err")" ;;
    10) fail "a partitioned run on a full disk succeeded" ;;
    11) fail "a partitioned run on a full disk left its files" ;;
    *) fail "the full-disk check could not run (exit $code)" ;;
    esac
else
    echo "full disk: skipped (needs root and mount namespaces)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
