#!/bin/sh
# Quality against planted truth: for a few seeds, generate a synthetic
# county, reconcile it, and require every planted anomaly to be found
# (recall 1.0) and nothing else (precision 1.0), per finding kind.
# A finding is identified by kind, rule, subject token and items.
# Usage: quality.sh AIDMATCH GEN_COUNTY [PERSONS] [SEEDS...]
set -eu
aidmatch=$1
gen=$2
persons=${3:-3000}
shift 3 2>/dev/null || shift $#
seeds=${*:-"1 2 3"}
root=${AM_SOURCE_ROOT:?}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
status=0

for seed in $seeds; do
    county=$work/county-$seed
    "$gen" --persons "$persons" --seed "$seed" --out "$county" \
        --catalogue "$root/data/catalogue" --rules "$root/data/rules/default.rules" >/dev/null
    "$aidmatch" reconcile "$county/centre.ini" --out "$county/out" --quiet --threads 2 \
        --run-date 2026-01-01
    # Matching is split across threads by person; the result must not be.
    "$aidmatch" reconcile "$county/centre.ini" --out "$county/out1" --quiet --threads 1 \
        --run-date 2026-01-01
    for f in findings.csv rejects.csv; do
        cmp -s "$county/out/$f" "$county/out1/$f" || {
            echo "  $f differs between 1 and 2 threads"
            status=1
        }
    done
    # Neither side's identifying columns can hold a comma.
    tail -n +2 "$county/truth.csv" | cut -d, -f1,2,4,5 | sort >"$county/truth.keys"
    tail -n +2 "$county/out/findings.csv" | cut -d, -f2,3,5,6 | sort >"$county/found.keys"
    comm -23 "$county/truth.keys" "$county/found.keys" >"$county/missed"
    comm -13 "$county/truth.keys" "$county/found.keys" >"$county/extra"
    echo "seed $seed, $persons persons:"
    for kind in DUPLICATE HOUSEHOLD_DUPLICATE CONFLICT MISSING AFTER_DEATH DISQUALIFIED; do
        planted=$(grep -c "^$kind," "$county/truth.keys" || true)
        found=$(grep -c "^$kind," "$county/found.keys" || true)
        missed=$(grep -c "^$kind," "$county/missed" || true)
        extra=$(grep -c "^$kind," "$county/extra" || true)
        printf '  %-20s planted %4d  found %4d  missed %3d  extra %3d\n' \
            "$kind" "$planted" "$found" "$missed" "$extra"
        [ "$planted" -gt 0 ] || { echo "  no $kind planted: the test would prove nothing"; status=1; }
    done
    if [ -s "$county/missed" ] || [ -s "$county/extra" ]; then
        status=1
        sed 's/^/  missed: /' "$county/missed"
        sed 's/^/  extra:  /' "$county/extra"
    fi
done
exit $status
