#!/bin/sh
# Every file aidmatch reads is opened without blocking and refused unless
# it is a regular file: a FIFO in place of the key, centre, rules,
# catalogue, outcomes, previous-run or snapshot file fails at once instead
# of hanging the run.  The key file is read whole: bytes after the key
# refuse it.  Of several broken feeds, the first declared one's error is
# reported whatever the thread count.
# Usage: e2e_inputs.sh AIDMATCH
set -eu
aidmatch=$1
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"

cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
fresh() { # a private copy of the sample county in $work/s
    rm -rf "$work/s" "$work/out" "$work/prev"
    cp -r "$root/data/sample" "$work/s"
    chmod 600 "$work/s/sample.key"
}
# A run that must fail with code within 10 s, its message containing text.
expect() { # what code text command...
    what=$1 want=$2 text=$3
    shift 3
    code=0
    timeout 10 "$@" >/dev/null 2>"$work/err" || code=$?
    if [ "$code" -eq 124 ]; then
        fail "$what: the run hung"
    elif [ "$code" -ne "$want" ]; then
        fail "$what: exit $code, expected $want ($(cat "$work/err"))"
    elif ! grep -qF -- "$text" "$work/err"; then
        fail "$what: message '$(cat "$work/err")' lacks '$text'"
    fi
}
reconcile() {
    "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28 "$@"
}

fresh
rm "$work/s/sample.key" && mkfifo -m 600 "$work/s/sample.key"
expect "a FIFO as the key" 4 "sample.key: key file is not a regular file" "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28

fresh
mkfifo "$work/fifo-centre"
expect "a FIFO as the centre file" 1 "fifo-centre: not a regular file" \
    "$aidmatch" reconcile "$work/fifo-centre" --out "$work/out" --quiet

fresh
mkfifo "$work/rules.fifo"
sed -i "s#^rules = .*#rules = $work/rules.fifo#" "$work/s/centre.ini"
expect "a FIFO as the rules file" 1 "rules.fifo: not a regular file" "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28

fresh
cp -r "$work/catalogue" "$work/cat2"
rm "$work/cat2/agencies.csv" && mkfifo "$work/cat2/agencies.csv"
sed -i "s#^catalogue = .*#catalogue = $work/cat2#" "$work/s/centre.ini"
expect "a FIFO as a catalogue file" 1 "agencies.csv: not a regular file" "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28
rm -r "$work/cat2"

fresh
mkfifo "$work/outcomes.csv"
sed -i "s#^\[centre\]#[centre]\noutcomes = $work/outcomes.csv#" "$work/s/centre.ini"
expect "a FIFO as the outcomes file" 1 "outcomes.csv: not a regular file" "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28

fresh
reconcile --snapshot "$work/good.snap" || fail "a plain run exited $?"
mv "$work/out" "$work/prev"
cp "$work/prev/findings.csv" "$work/ok-findings.csv"
rm "$work/prev/findings.csv" && mkfifo "$work/prev/findings.csv"
expect "a FIFO as the previous run's findings" 1 "findings.csv: not a regular file" \
    "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28 --previous "$work/prev"
rm "$work/prev/findings.csv" && cp "$work/ok-findings.csv" "$work/prev/findings.csv"
mkfifo "$work/prev/summary.json.fifo"
rm "$work/prev/summary.json" && mv "$work/prev/summary.json.fifo" "$work/prev/summary.json"
expect "a FIFO as the previous run's summary" 1 "summary.json: not a regular file" \
    "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28 --previous "$work/prev"

mkfifo "$work/fifo.snap"
expect "a FIFO as the snapshot" 1 "fifo.snap: not a regular file" \
    "$aidmatch" explain 00000000000000000000000000000000 --snapshot "$work/fifo.snap"

# The key file: 32 hex digits and line ends or spaces, nothing else.
fresh
key=$(head -c 32 "$work/s/sample.key")
for form in "$key" "$key\n" "$key\r\n" "$key   \n\n"; do
    printf "$form" >"$work/s/sample.key"
    reconcile || fail "the key form '$form' was refused"
    rm -rf "$work/out"
done
for form in "$key                                                arbitrary text\n" \
    "$key\n$key\n" "$key\nx" " $key" "${key}0"; do
    printf "$form" >"$work/s/sample.key"
    expect "the key form '$form'" 4 \
        "sample.key: expected 32 hex digits of key, then nothing but spaces and line ends" "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --run-date 2026-11-28
done

# Two broken feeds: the first declared (acftu_aid, a column missing: exit
# 3) is the smallest, so it is read after the second (psb_hukou, a gzip
# cut short: exit 1).  The first declared feed's error is reported on any
# number of threads.
fresh
sed -i '1s/帮扶金额/金额/' "$work/s/acftu_aid.csv"
head -c 9000 "$root/data/sample/psb_hukou.csv.gz" >"$work/s/psb_hukou.csv.gz"
for threads in 1 2 3 8; do
    expect "two broken feeds on $threads thread(s)" 3 \
        "feed acftu_aid: $work/s/acftu_aid.csv:1: no column '帮扶金额' in the header;" \
        "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet --threads "$threads"
done

# Input bounds.  A gzip bomb (40 MiB of one-field rows in about 40 KB)
# fails the run before it is read whole; rows rejected past max_rejects
# (default 1000) of one reason are counted in summary.json, not listed in
# rejects.csv, and rows_read = rows_ingested + rows_rejected still holds.
fresh
{ printf '姓名,公民身份号码,年龄段,发放年月,金额（元）\n'; yes "$(printf '%0999d' 0)" | head -c 41943040; } |
    gzip -c >"$work/s/mca_elder_age.csv.gz"
expect "a gzip bomb" 3 \
    "$work/s/mca_elder_age.csv.gz: the gzip data inflates to more than 100 times its size; raise max_gzip_ratio if the feed is really this repetitive" \
    "$aidmatch" reconcile "$work/s/centre.ini" --out "$work/out" --quiet
fresh
{ cat "$root/data/sample/psb_vehicles.csv"; i=0; while [ $i -lt 2500 ]; do
    echo "苏B00000,小型汽车,某,12345,2015/11/4,,小型轿车"; i=$((i + 1)); done; } >"$work/s/psb_vehicles.csv"
reconcile || fail "2500 bad rows: exit $?"
listed=$(grep -c '^psb_vehicles,.*,bad_length,' "$work/out/rejects.csv" || true)
[ "$listed" -eq 1000 ] || fail "2500 rows of one reason: $listed listed, expected 1000"
python3 - "$work/out/summary.json" <<'PY' || fail "2500 rows of one reason: summary.json counts"
import json, sys
feed = [f for f in json.load(open(sys.argv[1]))["feeds"] if f["name"] == "psb_vehicles"][0]
assert feed["rejected_by_reason"]["bad_length"] >= 2500, feed
assert feed["rows_read"] == feed["rows_ingested"] + feed["rows_rejected"], feed
PY

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "inputs: all checks passed"
