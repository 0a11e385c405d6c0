#!/bin/sh
# Faults around the outputs: a run killed with SIGKILL at any moment leaves
# the output directory holding the previous complete run or the new
# complete run, never a mixture; a full disk gives a clear error and leaves
# the previous run intact.
# Usage: e2e_faults.sh AIDMATCH GEN_COUNTY
set -eu
aidmatch=$1
gen=$2
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

county() { # seed persons dir
    "$gen" --persons "$2" --seed "$1" --out "$3" --catalogue "$root/data/catalogue" \
        --rules "$root/data/rules/default.rules" >/dev/null
}

# What identifies a run's outputs: every file, less the wall time.
fingerprint() { # dir
    for f in findings.csv rejects.csv suppressed.csv report.html; do
        cksum <"$1/$f" 2>/dev/null || echo "missing $f"
    done
    grep -v '"wall_seconds"' "$1/summary.json" 2>/dev/null | cksum || echo "missing summary"
}

# --- 1. SIGKILL at moments spread over the run, its end in particular ---
county 1 100000 "$work/a"
county 2 100000 "$work/b"
run() { # county out
    "$aidmatch" reconcile "$1/centre.ini" --out "$2" --quiet --run-date 2026-11-28
}
run "$work/a" "$work/ref-a"
run "$work/b" "$work/ref-b"
fingerprint "$work/ref-a" >"$work/fp-a"
fingerprint "$work/ref-b" >"$work/fp-b"
cmp -s "$work/fp-a" "$work/fp-b" && fail "the two counties give the same outputs: the test would prove nothing"
start=$(date +%s%N)
run "$work/b" "$work/timing"
total_ms=$((($(date +%s%N) - start) / 1000000))
old=0
new=0
i=0
while [ $i -lt 24 ]; do
    rm -rf "$work/out" "$work"/out.new-*
    cp -r "$work/ref-a" "$work/out"
    # From 40 % to 130 % of a whole run: most kills land while reading and
    # matching, the last ones around and after the writing of the outputs.
    delay_ms=$((total_ms * (40 + i * 4) / 100))
    # Not through run(): $! must be aidmatch itself, not a subshell.
    "$aidmatch" reconcile "$work/b/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28 &
    pid=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    fingerprint "$work/out" >"$work/fp"
    if cmp -s "$work/fp" "$work/fp-a"; then
        old=$((old + 1))
    elif cmp -s "$work/fp" "$work/fp-b"; then
        new=$((new + 1))
    else
        fail "kill after ${delay_ms} ms left a mixture of two runs"
        diff "$work/fp-a" "$work/fp" >&2 || true
    fi
    i=$((i + 1))
done
echo "kill -9: $old times the previous run, $new times the new run (run: ${total_ms} ms)"
[ "$old" -gt 0 ] || fail "no kill landed before the run ended: the test proved nothing"

# A run killed while writing (as soon as its staging directory shows)
# leaves it behind; the next run removes it.  Writing is short (the
# workbook has a thread of its own), so a kill may land after it: runs
# are killed until one has left its staging directory, or twenty tries
# (each run removes those of the runs killed before it).
rm -rf "$work"/out.new-*
i=0
while [ $i -lt 20 ] && ! ls -d "$work"/out.new-* >/dev/null 2>&1; do
    "$aidmatch" reconcile "$work/b/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28 &
    pid=$!
    while kill -0 "$pid" 2>/dev/null && ! ls -d "$work"/out.new-* >/dev/null 2>&1; do
        sleep 0.01
    done
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    i=$((i + 1))
done
left=$(ls -d "$work"/out.new-* 2>/dev/null | wc -l)
[ "$left" -gt 0 ] || fail "no kill landed while writing: the staging check proved nothing"
run "$work/b" "$work/out"
ls -d "$work"/out.new-* >/dev/null 2>&1 && fail "dead runs' staging directories were not removed"
echo "kills while writing: $i run(s) killed, $left staging directory left, none after the next run"

# The same kills with the two-rename exchange of file systems without
# RENAME_EXCHANGE: the output directory holds the previous run, the new
# run, or (killed between the renames) nothing, with the previous run in
# out.old-*, which the next run puts back.
between=0
i=0
while [ $i -lt 12 ]; do
    rm -rf "$work/out" "$work"/out.new-* "$work"/out.old-*
    cp -r "$work/ref-a" "$work/out"
    delay_ms=$((total_ms * (70 + i * 5) / 100))
    AIDMATCH_TEST_NO_RENAME_EXCHANGE=1 "$aidmatch" reconcile "$work/b/centre.ini" \
        --out "$work/out" --quiet --run-date 2026-11-28 &
    pid=$!
    sleep "$(awk -v ms="$delay_ms" 'BEGIN { printf "%.3f", ms / 1000 }')"
    kill -9 "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
    if [ ! -e "$work/out" ]; then
        between=$((between + 1))
        fingerprint "$work"/out.old-* >"$work/fp"
        cmp -s "$work/fp" "$work/fp-a" || fail "fallback: killed between renames, no previous run"
    else
        fingerprint "$work/out" >"$work/fp"
        cmp -s "$work/fp" "$work/fp-a" || cmp -s "$work/fp" "$work/fp-b" ||
            fail "fallback: kill after ${delay_ms} ms left a mixture of two runs"
    fi
    AIDMATCH_TEST_NO_RENAME_EXCHANGE=1 run "$work/a" "$work/out"
    fingerprint "$work/out" >"$work/fp"
    cmp -s "$work/fp" "$work/fp-a" || fail "fallback: the run after a kill did not write its outputs"
    ls -d "$work"/out.new-* "$work"/out.old-* >/dev/null 2>&1 &&
        fail "fallback: the run after a kill left directories beside the output"
    i=$((i + 1))
done
echo "kill -9 with the two-rename exchange: 12 kills, $between between the renames, all recovered"

# --- 2. A full disk: a small tmpfs in a mount namespace of its own, with
# room for the sample's outputs (324 KB, and the workbook's temporary
# files while the other outputs are written beside it) but not for a
# second run's beside them ---
if unshare -m true 2>/dev/null && [ "$(id -u)" -eq 0 ]; then
    cp -r "$root/data/sample" "$work/sample"
    cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
    chmod 600 "$work/sample/sample.key"
    county 3 20000 "$work/big"
    mkdir "$work/disk"
    set +e
    unshare -m sh -c '
        set -e
        mount -t tmpfs -o size=480k tmpfs "$1"
        "$2" reconcile "$3/sample/centre.ini" --out "$1/out" --quiet --run-date 2026-11-28
        cp -r "$1/out" "$3/before"
        "$2" reconcile "$3/big/centre.ini" --out "$1/out" --quiet --run-date 2026-11-28 \
            2>"$3/enospc.err" && exit 10
        ls "$1" >"$3/left"
        diff -r "$3/before" "$1/out" >"$3/changed" || exit 11
    ' sh "$work/disk" "$aidmatch" "$work"
    code=$?
    set -e
    case $code in
    0) ;;
    10) fail "a run on a full disk succeeded" ;;
    11) fail "a run that failed on a full disk changed the previous outputs" ;;
    *) fail "the full-disk check could not run (exit $code)" ;;
    esac
    if [ "$code" -eq 0 ]; then
        grep -q "No space left on device" "$work/enospc.err" ||
            fail "the full-disk error does not say so: $(cat "$work/enospc.err")"
        if grep -q "out.new-" "$work/left"; then fail "a failed run left its staging directory"; fi
        echo "full disk: $(cat "$work/enospc.err")"
    fi
else
    echo "full disk: skipped (needs root and mount namespaces)"
fi

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "faults: all checks passed"
