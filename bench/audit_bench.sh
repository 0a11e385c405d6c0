#!/bin/sh
# bench/audit_bench.sh — the auditor's questions on a generated county (not
# part of the unit tests): the snapshot's size per record, and the time to
# answer `aidmatch person` and a two-item `aidmatch match` from it.
#
#   bench/audit_bench.sh [--record] [N]      N persons, default 1000000
#
# Generates the county once under bench/cache/audit/nN-s1/ (git-ignored),
# writes its snapshot with `aidmatch snapshot`, then times, wall clock per
# process (start-up, mmap and answer; warm page cache):
#   person  — 20 persons (subjects of planted findings), each asked 3 times;
#             the median and the slowest of all 60;
#   match   — 'exclusive DIBAO_URBAN|DIBAO_RURAL vs TEKUN_HOME|TEKUN_INST'
#             over every record (the snapshot is verified whole first), 5
#             runs, median and best; the findings are checked against the
#             county's planted R02 conflicts;
#   rules   — the 17 default rules as one ad-hoc match, once.
# Prints a Markdown table; --record appends it to bench/RESULTS.md under a
# heading of its own (append only).  Targets (the issue's): person < 50 ms,
# match over every record < 2 s, at 10,000,000 persons.
set -eu

root=$(cd "$(dirname "$0")/.." && pwd)
record=0
persons=1000000
for arg in "$@"; do
    case $arg in
    --record) record=1 ;;
    *[!0-9]* | '') echo "usage: bench/audit_bench.sh [--record] [PERSONS]" >&2; exit 2 ;;
    *) persons=$arg ;;
    esac
done
build=${BUILD:-$root/build}
aidmatch=$build/aidmatch
gen=$build/bench/gen_county
[ -x "$aidmatch" ] && [ -x "$gen" ] || { echo "build first: meson compile -C build" >&2; exit 1; }
dir=$root/bench/cache/audit/n$persons-s1
county=$dir/county
snap=$dir/county.snap
mkdir -p "$dir"

now_ms() { echo $(($(date +%s%N) / 1000000)); }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

if [ ! -f "$county/truth.csv" ]; then
    echo "generating $persons persons into $county" >&2
    rm -rf "$county"
    "$gen" --persons "$persons" --seed 1 --out "$county" --catalogue "$root/data/catalogue" \
        --rules "$root/data/rules/default.rules" >/dev/null
fi

echo "writing $snap" >&2
t0=$(now_ms)
"$aidmatch" snapshot "$county/centre.ini" --out "$snap" --run-date 2026-01-01 2>"$dir/snapshot.err"
snapshot_s=$(awk -v ms=$(($(now_ms) - t0)) 'BEGIN { printf "%.1f", ms / 1000 }')
records=$(sed -n 's/.*: \([0-9]*\) records, .*/\1/p' "$dir/snapshot.err")
bytes=$(stat -c %s "$snap")
per_record=$(awk -v b="$bytes" -v r="$records" 'BEGIN { printf "%.1f", b / r }')

# person: subjects of planted person findings, spread through truth.csv.
awk -F, 'NR > 1 && $3 == "person" { print $4 }' "$county/truth.csv" | sort -u |
    awk 'NR % 7 == 1' | head -n 20 >"$dir/persons"
: >"$dir/person.ms"
for round in 1 2 3; do
    while read -r token; do
        t0=$(now_ms)
        "$aidmatch" person "$token" --snapshot "$snap" --format csv >"$dir/person.csv"
        echo $(($(now_ms) - t0)) >>"$dir/person.ms"
        grep -q "^finding," "$dir/person.csv" || { echo "person $token: no finding" >&2; exit 1; }
    done <"$dir/persons"
done
person_median=$(median <"$dir/person.ms")
person_max=$(sort -n "$dir/person.ms" | tail -n 1)

rule='exclusive DIBAO_URBAN|DIBAO_RURAL vs TEKUN_HOME|TEKUN_INST'
: >"$dir/match.ms"
for run in 1 2 3 4 5; do
    t0=$(now_ms)
    "$aidmatch" match --snapshot "$snap" --rule "$rule" >"$dir/match.csv"
    echo $(($(now_ms) - t0)) >>"$dir/match.ms"
done
match_median=$(median <"$dir/match.ms")
match_best=$(sort -n "$dir/match.ms" | head -n 1)
found=$(($(wc -l <"$dir/match.csv") - 1))
tail -n +2 "$dir/match.csv" | cut -d, -f5 | sort >"$dir/match.subjects"
grep '^CONFLICT,R02,' "$county/truth.csv" | cut -d, -f4 | sort >"$dir/truth.subjects"
cmp -s "$dir/match.subjects" "$dir/truth.subjects" ||
    { echo "match: subjects differ from the planted R02 conflicts" >&2; exit 1; }

t0=$(now_ms)
"$aidmatch" match --snapshot "$snap" --rules "$root/data/rules/default.rules" >"$dir/rules.csv"
rules_ms=$(($(now_ms) - t0))
rules_found=$(($(wc -l <"$dir/rules.csv") - 1))

load=$(cut -d' ' -f1-3 /proc/loadavg)
report=$(cat <<EOF

## Auditor's tools: snapshot, person, match — $(date -u '+%Y-%m-%d %H:%M') UTC

- machine: $(uname -m), $(nproc) cores, $(awk '/MemTotal/ { printf "%.0f GiB", $2 / 1048576 }' /proc/meminfo) RAM; load average $load (a shared machine)
- county: gen_county --persons $persons --seed 1; bench/audit_bench.sh; wall clock per process (start-up, mmap, answer), warm page cache

| N | records | snapshot bytes | bytes/record | write snapshot s | person median ms | person max ms | match median ms | match best ms | match findings | 17 default rules ms |
|---|---|---|---|---|---|---|---|---|---|---|
| $persons | $records | $bytes | $per_record | $snapshot_s | $person_median | $person_max | $match_median | $match_best | $found | $rules_ms ($rules_found findings) |

- person: 60 questions (20 subjects of planted findings, 3 times each) with \`aidmatch person TOKEN --snapshot\`; target < 50 ms.
- match: \`$rule\` over every record, 5 runs (the snapshot is verified whole, XXH3 of every chunk, before matching); its findings are the county's planted R02 conflicts; target < 2 s.
- write snapshot: \`aidmatch snapshot\` (reading, reconciling and writing the feeds; fsync included).
EOF
)
echo "$report"
if [ "$record" -eq 1 ]; then
    echo "$report" >>"$root/bench/RESULTS.md"
    echo "appended to bench/RESULTS.md" >&2
fi
