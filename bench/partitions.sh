#!/usr/bin/env bash
# bench/partitions.sh — peak memory and time of a partitioned run
# (--memory-limit) against the run in memory, on a synthetic county (not
# part of the unit tests; docs/partitions.md).
#
#   bench/partitions.sh N LIMIT [--no-memory-run] [--temp-dir DIR]
#
# Generates the county of N persons (seed 1) once, cached as bench/run
# does under bench/cache/nN-s1/county; runs, one after another, with
# /usr/bin/time -v:
#   aidmatch reconcile                        (in memory; skipped with
#                                              --no-memory-run, for sizes
#                                              that do not fit)
#   aidmatch reconcile --memory-limit LIMIT   (partitioned)
# checks that findings.csv, rejects.csv and suppressed.csv are identical,
# and prints wall time, time per row and peak resident memory of each, and
# whether the peak stayed under LIMIT.  Exit status 0 when identical and
# under the limit, 3 otherwise, 1 on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=$root/build
n=${1:?usage: bench/partitions.sh N LIMIT [--no-memory-run] [--temp-dir DIR]}
limit=${2:?usage: bench/partitions.sh N LIMIT [--no-memory-run] [--temp-dir DIR]}
shift 2
memory_run=1
temp_dir=$root/bench/cache
while [ $# -gt 0 ]; do
    case $1 in
    --no-memory-run) memory_run=0 ;;
    --temp-dir) temp_dir=${2:?--temp-dir needs a value}; shift ;;
    *) echo "bench/partitions.sh: unknown option $1" >&2; exit 2 ;;
    esac
    shift
done
dir=$root/bench/cache/n$n-s1
county=$dir/county
mkdir -p "$dir" "$temp_dir"
if [ ! -f "$county/.complete" ]; then
    echo "generating the county: $n persons, seed 1" >&2
    rm -rf "$county" "$county.tmp"
    "$build/bench/gen_county" --persons "$n" --seed 1 --out "$county.tmp" \
        --catalogue "$root/data/catalogue" --rules "$root/data/rules/default.rules" >"$dir/gen.log"
    mv "$county.tmp" "$county"
    touch "$county/.complete"
fi
cat "$county"/*.csv* >/dev/null 2>&1 || true # warm the page cache alike for both runs

# LIMIT in bytes, as aidmatch reads it.
bytes=$(echo "$limit" | awk '{ v = $0 + 0; s = substr($0, length($0));
    if (s == "K" || s == "k") v *= 1024; else if (s == "M" || s == "m") v *= 1048576;
    else if (s == "G" || s == "g") v *= 1073741824; printf "%.0f\n", v }')

measure() { # NAME ARGS...
    local name=$1
    shift
    /usr/bin/time -v "$build/aidmatch" reconcile "$county/centre.ini" --quiet \
        --run-date 2026-01-01 "$@" 2>"$dir/$name.time" || {
        echo "$name run failed: $(grep -m1 '^aidmatch:' "$dir/$name.time")" >&2
        grep -E 'Maximum resident|Elapsed' "$dir/$name.time" >&2
        exit 1
    }
    wall=$(grep 'Elapsed (wall clock)' "$dir/$name.time" | awk '{ print $NF }' |
        awk -F: '{ s = 0; for (i = 1; i <= NF; i++) s = s * 60 + $i; print s }')
    rss=$(grep 'Maximum resident set size' "$dir/$name.time" | awk '{ printf "%.0f\n", $NF * 1024 }')
}

status=0
load=$(uptime | sed 's/.*load average: //')
if [ $memory_run = 1 ]; then
    measure memory --out "$dir/out-memory"
    mem_wall=$wall mem_rss=$rss
fi
measure partitioned --out "$dir/out-partitioned" --memory-limit "$limit" --temp-dir "$temp_dir"
rows=$(python3 -c 'import json,sys; print(sum(f["rows_read"] for f in json.load(open(sys.argv[1]))["feeds"]))' \
    "$dir/out-partitioned/summary.json")
if [ $memory_run = 1 ]; then
    for f in findings.csv rejects.csv suppressed.csv; do
        cmp -s "$dir/out-memory/$f" "$dir/out-partitioned/$f" || { echo "$f differs" >&2; status=3; }
    done
fi
under=yes
[ "$rss" -lt "$bytes" ] || { under=NO; status=3; }
printf '%s persons, %s rows, load %s\n' "$n" "$rows" "$load"
if [ $memory_run = 1 ]; then
    printf '  in memory:             %8.1f s  %6.0f ns/row  peak %6.0f MB\n' "$mem_wall" \
        "$(echo "$mem_wall * 1000000000 / $rows" | bc -l)" "$(echo "$mem_rss / 1048576" | bc -l)"
fi
printf '  --memory-limit %-6s %8.1f s  %6.0f ns/row  peak %6.0f MB  under the limit: %s\n' \
    "$limit" "$wall" "$(echo "$wall * 1000000000 / $rows" | bc -l)" "$(echo "$rss / 1048576" | bc -l)" "$under"
[ $memory_run = 0 ] || [ $status -ne 0 ] || echo "  outputs identical"
exit $status
