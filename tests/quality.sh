#!/bin/sh
# Quality against planted truth: for a few seeds, generate a synthetic
# county, reconcile it, and require every planted anomaly to be found
# (recall 1.0) and nothing else (precision 1.0), per finding kind.
# A finding is identified by kind, rule, subject token and items.
# The county also holds a feed of rows whose IDs are damaged (one in ten
# persons, gen_county --damaged-ids): links.csv must link them with a
# precision of at least 0.99 and a recall of at least 0.95 among the rows
# the evidence can decide (with a name, a household or a birth date, and
# where the row has a decoy, some stated evidence that tells the two
# apart), and never link the others.
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
        --catalogue "$root/data/catalogue" --rules "$root/data/rules/default.rules" \
        --damaged-ids $((persons / 10)) >/dev/null
    "$aidmatch" reconcile "$county/centre.ini" --out "$county/out" --quiet --threads 2 \
        --run-date 2026-01-01
    # Matching is split across threads by person; the result must not be.
    "$aidmatch" reconcile "$county/centre.ini" --out "$county/out1" --quiet --threads 1 \
        --run-date 2026-01-01
    for f in findings.csv rejects.csv links.csv; do
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
    # Linking: links.csv (feed,line,reason,person,probability,agreeing,
    # candidates,status) against links_truth.csv (feed,line,damage,named,
    # household,birth_date,sex,decoy,told_by,person).
    tail -n +2 "$county/links_truth.csv" >"$county/links.truth"
    tail -n +2 "$county/out/links.csv" >"$county/links.found"
    awk -F, '
        NR == FNR { status[$1 "," $2] = $8; person[$1 "," $2] = $4; next }
        {
            k = $1 "," $2; s = (k in status) ? status[k] : "none"
            decidable = ($4 || $5 || $6) && ($8 == "none" || $9 != "")
            d[$3]++
            if (s == "linked" && person[k] == $10) { right[$3]++; r++ }
            else if (s == "linked") { wrong[$3]++; w++ }
            else other[$3 "," s]++
            if (decidable) { n++; if (s == "linked" && person[k] == $10) dr++ }
            else if (s == "linked") undecidable_linked++
        }
        END {
            for (kind in d)
                printf "  damaged %-12s rows %4d  linked right %4d  wrong %d  review %3d  unlinked %3d  no candidate %3d\n", \
                    kind, d[kind], right[kind], wrong[kind], other[kind ",review"], \
                    other[kind ",unlinked"], other[kind ",none"]
            precision = (r + w) ? r / (r + w) : 0
            recall = n ? dr / n : 0
            printf "  linking: precision %.4f (%d of %d linked rows right), recall %.4f (%d of %d decidable rows)\n", \
                precision, r, r + w, recall, dr, n
            bad = 0
            if (r + w == 0 || precision < 0.99) { print "  linking precision below 0.99"; bad = 1 }
            if (n == 0 || recall < 0.95) { print "  linking recall below 0.95"; bad = 1 }
            if (undecidable_linked) { printf "  %d rows linked that the evidence cannot decide\n", undecidable_linked; bad = 1 }
            exit bad
        }' "$county/links.found" "$county/links.truth" >"$county/links.score" || status=1
    sort "$county/links.score"
    if [ -s "$county/missed" ] || [ -s "$county/extra" ]; then
        status=1
        sed 's/^/  missed: /' "$county/missed"
        sed 's/^/  extra:  /' "$county/extra"
    fi
done
exit $status
