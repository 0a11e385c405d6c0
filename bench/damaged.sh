#!/usr/bin/env bash
# bench/damaged.sh — what linking damaged IDs adds to a run (issue #17;
# docs/linking.md): a county with 1 % of its payment rows' IDs damaged
# against the same county with those IDs intact (not part of the unit
# tests).
#
#   bench/damaged.sh N DAMAGED [PAIRS] [THREADS]   (default 9 pairs, 2 threads)
#
# Generates, once, the county of N persons (seed 1) with DAMAGED damaged
# rows (1 % of its payment rows is 16,105 at 1M persons, 161,054 at 10M),
# cached as bench/cache/nN-s1-damaged, and the same county with every damaged row's
# ID intact (gen_county --intact-ids), as bench/cache/nN-s1-intact; then
# runs `aidmatch reconcile --threads THREADS` on the two in turn, damaged
# first, PAIRS times under /usr/bin/time, and prints the medians of wall,
# CPU (user + system) and peak RSS of each, the median of the pairs' wall
# and CPU ratios (each pair's own, so that a machine whose speed drifts
# still compares like with like) with their least and greatest, and the
# CPU the damage adds per damaged row.  Exit status 1 on any failure.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
build=${AIDMATCH_BUILD:-$root/build}
usage="usage: bench/damaged.sh N DAMAGED [PAIRS] [THREADS]"
n=${1:?$usage}
damaged=${2:?$usage}
pairs=${3:-9}
threads=${4:-2}

county() { # NAME [--intact-ids]
    local dir=$root/bench/cache/n$n-s1-$1
    shift
    if [ "$(cat "$dir/.complete" 2>/dev/null)" != "$damaged" ]; then
        echo "generating $dir: $n persons, $damaged damaged rows $*" >&2
        rm -rf "$dir"
        "$build/bench/gen_county" --persons "$n" --seed 1 --out "$dir" --damaged-ids "$damaged" \
            "$@" --catalogue "$root/data/catalogue" \
            --rules "$root/data/rules/default.rules" >/dev/null
        chmod 600 "$dir/county.key"
        echo "$damaged" >"$dir/.complete"
    fi
    cat "$dir"/*.csv* >/dev/null # warm the page cache alike for both
}
county damaged
county intact --intact-ids

results=$root/bench/cache/n$n-s1-damaged.times
: >"$results"
for ((i = 1; i <= pairs; i++)); do
    for which in damaged intact; do
        dir=$root/bench/cache/n$n-s1-$which
        /usr/bin/time -f "$which %e %U %S %M" -a -o "$results" "$build/aidmatch" reconcile \
            "$dir/centre.ini" --out "$dir.out" --run-date 2026-01-05 --threads "$threads" --quiet
    done
done

python3 - "$results" "$damaged" "$pairs" "$threads" "$n" <<'EOF'
import statistics, sys
path, damaged, pairs, threads, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4], sys.argv[5]
runs = {"damaged": [], "intact": []}
for line in open(path):
    which, wall, user, sys_, rss = line.split()
    runs[which].append((float(wall), float(user) + float(sys_), int(rss) / 1024))
med = lambda xs: statistics.median(xs)
def ratios(k):
    return [d[k] / i[k] for d, i in zip(runs["damaged"], runs["intact"])]
print(f"{n} persons, {damaged} damaged rows, {pairs} pairs, --threads {threads}")
print("| | damaged | intact | ratio, median of pairs (least–greatest) |")
print("|---|---:|---:|---|")
for k, name in ((0, "wall s"), (1, "CPU s")):
    r = ratios(k)
    print(f"| {name} | {med([x[k] for x in runs['damaged']]):.2f} | "
          f"{med([x[k] for x in runs['intact']]):.2f} | "
          f"{med(r):.3f} ({min(r):.3f}–{max(r):.3f}) |")
print(f"| peak RSS MiB | {med([x[2] for x in runs['damaged']]):.0f} | "
      f"{med([x[2] for x in runs['intact']]):.0f} | |")
extra = med([d[1] - i[1] for d, i in zip(runs["damaged"], runs["intact"])])
print(f"CPU added per damaged row (median of pairs): {extra / damaged * 1e6:.1f} µs")
EOF
