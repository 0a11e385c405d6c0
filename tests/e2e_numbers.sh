#!/bin/sh
# Numbers at their INT64 edges end to end.  An amount one fen above
# INT64_MAX (92233720368547758.08 yuan) is rejected with its reason, never
# wrapped to a negative amount; with max_amount at the largest amount held
# (92233720368547757.99 yuan, a few fen below INT64_MAX), such amounts are
# ingested and the sums over them (the summary's totals) saturate at
# INT64_MAX fen instead of overflowing.  Every
# number the command line takes is accepted exactly at its range's edges
# and refused past them, at the INT64 and UINT64 edges, and when not
# written as plain digits, with the option's message word for word.
# Usage: e2e_numbers.sh AIDMATCH
set -u
aidmatch=$1
here=$(cd "$(dirname "$0")" && pwd)
root=${AM_SOURCE_ROOT:-$here/..}
. "$here/e2e_common.sh"

cp -r "$root/data/catalogue" "$work/catalogue"
"$aidmatch" keygen --out "$work/centre.key" >/dev/null || fail "keygen"
max=92233720368547757.99
over=92233720368547758.08
centre() { # max_amount line or ""
    printf '[centre]\ncatalogue = catalogue\nkey = centre.key\n'
    printf '[feed f]\nagency = MCA\nfile = feed.csv\nkind = payments\nperson_id = id\n'
    printf 'name = name\nhousehold_id = hh\nitem = DIBAO_URBAN\nmonth = month\namount = amount\n'
    [ -n "$1" ] && printf '%s\n' "$1"
}
{
    echo "id,name,hh,month,amount"
    echo "11010519491231002X,张三,H1,202501,100.00"
    echo "11010519491231002X,张三,H1,202502,$over"
    echo "11010519491231002X,张三,H1,202503,$max"
    echo "11010519491231002X,张三,H1,202504,$max"
    echo "11010519491231002X,张三,H1,202504,$max"
    echo "110105194912310038,李四,H2,202504,99999999999999999999999.99"
    echo "110105194912310038,李四,H2,202505,$max"
    echo "110105194912310038,李四,H2,202505,$max"
} >"$work/feed.csv"

# --- 1. The default max_amount: both giant amounts are absurd, none wraps ---
centre "" >"$work/centre.ini"
"$aidmatch" reconcile "$work/centre.ini" --out "$work/out1" --run-date 2026-01-01 --quiet \
    2>"$work/err1" || fail "default max_amount: exit $? ($(cat "$work/err1"))"
for line in 3 4 5 6 7 8 9; do
    grep -q "^f,$line,absurd_amount,column 'amount': amount above the feed's max_amount\$" \
        "$work/out1/rejects.csv" || fail "line $line not rejected absurd_amount: $(cat "$work/out1/rejects.csv")"
done
grep -q '"rows_ingested": 1,' "$work/out1/summary.json" || fail "default: not 1 row ingested"
if grep -q -- '-[0-9]' "$work/out1/findings.csv"; then fail "a negative number in findings.csv"; fi

# --- 2. max_amount at INT64_MAX fen: one fen more is still refused, sums saturate ---
centre "max_amount = $max" >"$work/centre.ini"
"$aidmatch" reconcile "$work/centre.ini" --out "$work/out2" --run-date 2026-01-01 --quiet \
    2>"$work/err2" || fail "max_amount $max: exit $? ($(cat "$work/err2"))"
grep -q "^f,3,absurd_amount,column 'amount': amount above the feed's max_amount\$" "$work/out2/rejects.csv" ||
    fail "one fen above INT64_MAX not rejected: $(cat "$work/out2/rejects.csv")"
grep -q "^f,7,absurd_amount," "$work/out2/rejects.csv" ||
    fail "a 26-digit amount not rejected: $(cat "$work/out2/rejects.csv")"
grep -q '"rows_ingested": 6,' "$work/out2/summary.json" || fail "the largest amounts not ingested"
grep -q ",DUPLICATE," "$work/out2/findings.csv" || fail "no duplicate of the INT64_MAX payments"
grep -q "$max" "$work/out2/findings.csv" || fail "the duplicate's amount is not $max"
for f in findings.csv summary.json report.html; do
    if grep -qE -- '-(9223372036854775|92233720368547758)|"amount[a-z_]*": -' "$work/out2/$f"; then
        fail "$f holds a wrapped (negative) amount"
    fi
done
# Two duplicates of the largest amount: their total is INT64_MAX fen.
grep -q '"DUPLICATE": {"count": 2, "amount_at_stake": "92233720368547758.07"}' \
    "$work/out2/summary.json" || fail "summary.json's totals do not saturate at INT64_MAX fen"
check_counts() { # out
    read_=$(grep -o '"rows_read": *[0-9]*' "$1/summary.json" | head -n 1 | sed 's/.*: *//')
    ing=$(grep -o '"rows_ingested": *[0-9]*' "$1/summary.json" | head -n 1 | sed 's/.*: *//')
    rej=$(grep -o '"rows_rejected": *[0-9]*' "$1/summary.json" | head -n 1 | sed 's/.*: *//')
    [ "$read_" -eq $((ing + rej)) ] || fail "$1: rows_read $read_ != $ing + $rej"
}
check_counts "$work/out1"
check_counts "$work/out2"

# --- 3. Every number of the command line, at and past its edges ---
# expect CODE MESSAGE -- ARGS...: the exit code, and stderr's first line
# ("" when any message will do).
expect() {
    code=$1 message=$2
    shift 3
    "$aidmatch" "$@" >/dev/null 2>"$work/stderr" </dev/null
    rc=$?
    [ "$rc" -eq "$code" ] || fail "aidmatch $*: exit $rc, expected $code ($(head -n 1 "$work/stderr"))"
    if [ -n "$message" ] && [ "$(head -n 1 "$work/stderr")" != "$message" ]; then
        fail "aidmatch $*: '$(head -n 1 "$work/stderr")', expected '$message'"
    fi
}
big="9223372036854775807 9223372036854775808 18446744073709551615 18446744073709551616 99999999999999999999999"
notnum="-1 -0 +1 0x10 1e3 1.0 ' 1'"
threads_msg() { echo "aidmatch: --threads needs a number from 1 to 64, got '$1'"; }
for v in 0 65 $big -1 -0 +1 0x10 1e3 1.0 " 1" ""; do
    expect 2 "$(threads_msg "$v")" -- reconcile "$work/centre.ini" --out "$work/o" --threads "$v"
    expect 2 "$(threads_msg "$v")" -- match --snapshot "$work/none.snap" --threads "$v" \
        --rule 'exclusive DIBAO_URBAN vs DIBAO_RURAL'
done
for v in 1 64; do
    expect 0 "" -- reconcile "$work/centre.ini" --out "$work/o$v" --threads "$v" --quiet \
        --run-date 2026-01-01
done
rows_msg() { echo "aidmatch: --rows needs a number of rows from 1, got '$1'"; }
for v in 0 18446744073709551616 99999999999999999999999 -1 +1 0x10 " 1"; do
    expect 2 "$(rows_msg "$v")" -- check "$work/centre.ini" --rows "$v"
done
for v in 1 9223372036854775808 18446744073709551615; do
    "$aidmatch" check "$work/centre.ini" --rows "$v" >/dev/null 2>"$work/stderr"
    rc=$?
    [ "$rc" -eq 0 ] || [ "$rc" -eq 7 ] || fail "check --rows $v: exit $rc ($(head -n 1 "$work/stderr"))"
done
# serve's counts are checked before the snapshot is opened: a count in
# range gets as far as the missing snapshot (exit 1), one out of range is
# a usage error.
for opt in "--max-body 16777216" "--timeout 3600" "--threads 64" "--per-ip 4096" "--rate 1000000"; do
    set -- $opt
    expect 1 "" -- serve --snapshot "$work/none.snap" "$1" "$2"
    expect 1 "" -- serve --snapshot "$work/none.snap" "$1" 1
    for v in 0 $(($2 + 1)) $big -1 +1 0x10 " 1" 1.0; do
        expect 2 "aidmatch: $1 takes a whole number from 1 to $2, got '$v'" -- \
            serve --snapshot "$work/none.snap" "$1" "$v"
    done
done
for port in 65536 18446744073709551617 -1 +80 " 80" 0x50; do
    expect 2 "aidmatch: --listen takes an IPv4 ADDRESS:PORT such as 127.0.0.1:8080, got '127.0.0.1:$port'" -- \
        serve --snapshot "$work/none.snap" --listen "127.0.0.1:$port"
done
expect 1 "" -- serve --snapshot "$work/none.snap" --listen 127.0.0.1:65535
# Amounts on the command line: yuan as a feed writes them (the library's
# parser), at most 92233720368547757.99, no wrap.
for v in "$over" 99999999999999999999999 -1 1e3 0x10 1.001 "" .; do
    expect 2 "aidmatch: --min-amount takes yuan such as 1000 or 99.50, got '$v'" -- \
        match --snapshot "$work/none.snap" --min-amount "$v" --rule 'exclusive DIBAO_URBAN vs DIBAO_RURAL'
done
for v in "$max" 0 +1; do
    expect 1 "" -- match --snapshot "$work/none.snap" --min-amount "$v" \
        --rule 'exclusive DIBAO_URBAN vs DIBAO_RURAL'
done

[ "$failures" -eq 0 ] || { echo "$failures check(s) failed" >&2; exit 1; }
echo "numbers: all checks passed"
