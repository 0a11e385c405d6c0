#!/bin/sh
# End-to-end tests of the aidmatch command on the bundled sample county:
# the findings and rejects match the expected files, runs are repeatable,
# the agency-side tokeniser round-trips, and failures exit as documented.
# Usage: e2e_cli.sh AIDMATCH
set -eu
aidmatch=$1
root=${AM_SOURCE_ROOT:?}
expected=$root/tests/expected/sample
. "$(dirname "$0")/e2e_common.sh"

# A private copy: the key's mode is tightened there, never loosened.
cp -r "$root/data/sample" "$work/sample"
cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
centre=$work/sample/centre.ini

# 1. The sample county reconciles to the expected findings and rejects.
"$aidmatch" reconcile "$centre" --out "$work/out" 2>"$work/stderr" || fail "reconcile exited $?"
for f in findings.csv rejects.csv links.csv; do
    diff -u "$expected/$f" "$work/out/$f" >"$work/diff" || {
        fail "$f differs from tests/expected/sample/$f"
        head -n 40 "$work/diff" >&2
    }
done
grep -q "findings" "$work/stderr" || fail "no summary table on stderr"

# 2. Every kind of finding appears.
for kind in DUPLICATE HOUSEHOLD_DUPLICATE CONFLICT MISSING AFTER_DEATH DISQUALIFIED; do
    grep -q ",$kind," "$work/out/findings.csv" || fail "no $kind finding in the sample"
done

# 3. Counts reconcile per feed: rows_read = rows_ingested + rows_rejected.
awk '
    /"rows_read"/ {
        match($0, /"rows_read": [0-9]+/); r = substr($0, RSTART + 13, RLENGTH - 13)
        match($0, /"rows_ingested": [0-9]+/); i = substr($0, RSTART + 17, RLENGTH - 17)
        match($0, /"rows_rejected": [0-9]+/); j = substr($0, RSTART + 17, RLENGTH - 17)
        feeds++
        if (r != i + j) { print "feed counts do not add up: " $0; bad = 1 }
    }
    END { if (feeds < 5) { print "fewer than 5 feeds in summary.json"; bad = 1 } exit bad }
' "$work/out/summary.json" || fail "summary.json counts"
rejected=$(($(wc -l <"$work/out/rejects.csv") - 1))
[ "$rejected" -gt 0 ] || fail "the sample's bad rows were not rejected"

# 4. A second run gives byte-identical findings and rejects, also into an
#    output directory whose parents do not exist yet.
"$aidmatch" reconcile "$centre" --out "$work/deep/er/out" --quiet 2>/dev/null ||
    fail "--out with missing parent directories"
cmp -s "$work/out/findings.csv" "$work/deep/er/out/findings.csv" || fail "nested --out findings differ"
"$aidmatch" reconcile "$centre" --out "$work/again" --quiet 2>"$work/quiet" || fail "second run"
cmp -s "$work/out/findings.csv" "$work/again/findings.csv" || fail "findings differ between runs"
cmp -s "$work/out/rejects.csv" "$work/again/rejects.csv" || fail "rejects differ between runs"
[ ! -s "$work/quiet" ] || fail "--quiet printed something"

# 4b. CSV outputs open with a UTF-8 BOM, for Excel and WPS; csv_bom = no
#     leaves it out and changes nothing else.
for f in findings.csv rejects.csv suppressed.csv; do
    [ "$(head -c 3 "$work/out/$f" | od -An -tx1 | tr -d ' ')" = efbbbf ] || fail "$f has no UTF-8 BOM"
done
awk '{ print } /^\[centre\]/ { print "csv_bom = no" }' "$centre" >"$work/sample/nobom.ini"
"$aidmatch" reconcile "$work/sample/nobom.ini" --out "$work/nobom" --quiet || fail "csv_bom = no run"
for f in findings.csv rejects.csv suppressed.csv; do
    tail -c +4 "$work/out/$f" | cmp -s - "$work/nobom/$f" || fail "csv_bom = no: $f is not the same file without its BOM"
done

# 5. The agency-side tokeniser: a raw feed, tokenised, reconciles to the
#    same findings (same tokens under the same key) with no raw ID left.
feed=$(awk '/^\[feed / { name = substr($2, 1, length($2) - 1) }
            /^ids *= *raw/ || (/^person_id/ && name != "" && !seen[name]++) { print name; exit }' "$centre")
[ -n "$feed" ] || fail "no raw feed found to tokenise"
"$aidmatch" hash "$centre" --feed "$feed" --out "$work/tokens.csv" 2>"$work/hash.err" ||
    fail "hash exited $?"
fingerprint=$(sed -n 's/.*key_fingerprint = \([0-9a-f]*\).*/\1/p' "$work/hash.err")
[ ${#fingerprint} -eq 16 ] || fail "hash did not print the key fingerprint"
if grep -qE '[0-9]{17}[0-9Xx]' "$work/tokens.csv"; then fail "a raw ID survived tokenising"; fi
awk -v feed="$feed" -v tokens="$work/tokens.csv" -v fp="$fingerprint" '
    /^\[/ { inside = ($0 == "[feed " feed "]") }
    inside && /^(file|encoding|name|ids|key_fingerprint) *=/ { next }
    { print }
    inside && /^agency *=/ { print "file = " tokens; print "ids = token"; print "key_fingerprint = " fp }
' "$centre" >"$work/sample/tokenised.ini"
"$aidmatch" reconcile "$work/sample/tokenised.ini" --out "$work/tok" --quiet ||
    fail "reconcile with the tokenised feed exited $?"
cut -d, -f1-11 "$work/out/findings.csv" >"$work/a"
cut -d, -f1-11 "$work/tok/findings.csv" >"$work/b"
cmp -s "$work/a" "$work/b" || fail "findings change when a feed arrives tokenised"

# 6. Failures exit as documented and leave the previous run in place.
cp "$work/sample/sample.key" "$work/open.key"
chmod 644 "$work/open.key"
sed "s|^key = .*|key = $work/open.key|" "$centre" >"$work/sample/open.ini"
set +e
"$aidmatch" reconcile "$work/sample/open.ini" --out "$work/out" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 4 ] || fail "a group/other-readable key exited $code, expected 4"
grep -q "chmod 600" "$work/err" || fail "the key error does not say how to fix it"
if grep -qi "$(tr -d '\n' <"$work/sample/sample.key")" "$work/err"; then fail "key material printed"; fi

awk '/^file *=/ && !done { print "file = no-such-feed.csv"; done = 1; next } { print }' \
    "$centre" >"$work/sample/missing.ini"
set +e
"$aidmatch" reconcile "$work/sample/missing.ini" --out "$work/out" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "a missing feed exited $code, expected 1"
grep -q "no-such-feed.csv" "$work/err" || fail "the missing feed is not named"
cmp -s "$work/out/findings.csv" "$work/again/findings.csv" || fail "a failed run touched the previous outputs"

# 7. The command line itself.
"$aidmatch" --version | grep -q "^aidmatch " || fail "--version"
for cmd in reconcile hash keygen; do
    "$aidmatch" "$cmd" --help | grep -q "^Usage: aidmatch $cmd" || fail "$cmd --help"
done
set +e
"$aidmatch" frobnicate 2>/dev/null
[ $? -eq 2 ] || fail "an unknown command must exit 2"
"$aidmatch" reconcile "$centre" 2>/dev/null
[ $? -eq 2 ] || fail "reconcile without --out must exit 2"
set -e
"$aidmatch" keygen --out "$work/new.key" >"$work/keygen.out" || fail "keygen"
[ "$(stat -c %a "$work/new.key")" = 600 ] || fail "keygen must create a 0600 key"
grep -qE "^$work/new.key: new key, fingerprint [0-9a-f]{16}\$" "$work/keygen.out" ||
    fail "keygen does not print the fingerprint"
cp "$work/new.key" "$work/new.key.before"
set +e
"$aidmatch" keygen --out "$work/new.key" 2>"$work/err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "keygen over a key exited $code, expected 1"
cmp -s "$work/new.key" "$work/new.key.before" || fail "keygen overwrote a key without --force"
fp=$(sed -n 's/.*fingerprint \([0-9a-f]*\)$/\1/p' "$work/keygen.out")
cat >"$work/expected.err" <<EOT
aidmatch: $work/new.key already exists (a key, fingerprint $fp); not overwritten.
Feeds tokenised under it need it.  To replace it anyway, run 'aidmatch keygen --out $work/new.key --force'
EOT
diff -u "$work/expected.err" "$work/err" || fail "keygen's refusal message"
"$aidmatch" keygen -o "$work/new.key" --force >/dev/null || fail "keygen --force"
if cmp -s "$work/new.key" "$work/new.key.before"; then fail "keygen --force kept the old key"; fi
echo "not a key" >"$work/notes.txt"
set +e
"$aidmatch" keygen --out="$work/notes.txt" --force 2>"$work/err"
code=$?
set -e
[ "$code" -eq 1 ] || fail "keygen --force over a non-key exited $code, expected 1"
grep -qx "not a key" "$work/notes.txt" || fail "keygen --force replaced a file that is not a key"
grep -q "is not a key file; not overwritten" "$work/err" || fail "keygen over a non-key: message"

# 8. Habits of git, ripgrep and xsv: --opt=value, short forms, help CMD, '-'.
"$aidmatch" reconcile "$centre" --out="$work/eq" -q -j1 || fail "--out=DIR -q -j1"
cmp -s "$work/out/findings.csv" "$work/eq/findings.csv" || fail "--out=DIR gives other findings"
"$aidmatch" reconcile -o "$work/short" --quiet --threads=2 "$centre" || fail "-o DIR --threads=2"
cmp -s "$work/out/findings.csv" "$work/short/findings.csv" || fail "-o DIR gives other findings"
"$aidmatch" -V | grep -q "^aidmatch " || fail "-V"
for cmd in reconcile hash keygen snapshot match person explain precheck grant; do
    "$aidmatch" help "$cmd" >"$work/h1" || fail "help $cmd"
    "$aidmatch" "$cmd" -h >"$work/h2" || fail "$cmd -h"
    grep -q "^Usage: aidmatch $cmd" "$work/h1" || fail "help $cmd prints another help"
    cmp -s "$work/h1" "$work/h2" || fail "help $cmd and $cmd -h differ"
done
set +e
"$aidmatch" help frobnicate 2>/dev/null
[ $? -eq 2 ] || fail "help for an unknown command must exit 2"
"$aidmatch" reconcile "$centre" -x 2>"$work/err"
[ $? -eq 2 ] || fail "an unknown short option must exit 2"
set -e
grep -q "unknown option '-x'" "$work/err" || fail "an unknown short option is not named"
"$aidmatch" hash "$centre" -f "$feed" -o - 2>/dev/null >"$work/tokens-stdout.csv" || fail "hash -o -"
cmp -s "$work/tokens.csv" "$work/tokens-stdout.csv" || fail "hash -o - differs from hash --out FILE"
[ ! -e ./- ] || fail "hash -o - wrote a file named -"
feed_file=$(awk -v feed="$feed" '/^\[/ { inside = ($0 == "[feed " feed "]") }
    inside && /^file *=/ { sub(/^file *= */, ""); print; exit }' "$centre")
(cd "$work/sample" && "$aidmatch" hash "$centre" -f "$feed" --in - -o - <"$feed_file" 2>/dev/null) \
    >"$work/tokens-stdin.csv" || fail "hash --in - -o -"
cmp -s "$work/tokens.csv" "$work/tokens-stdin.csv" || fail "hash --in - differs from the feed's file"
# A relative --in is taken from the current directory, not the centre's.
mkdir -p "$work/elsewhere"
cp "$work/sample/$feed_file" "$work/elsewhere/export.csv"
(cd "$work/elsewhere" && "$aidmatch" hash "$centre" -f "$feed" --in export.csv -o - 2>/dev/null) \
    >"$work/tokens-rel.csv" || fail "hash --in with a path relative to the current directory"
cmp -s "$work/tokens.csv" "$work/tokens-rel.csv" || fail "hash --in export.csv differs from the feed's file"

# The centre file itself from stdin: read once (checked, then loaded), named
# <stdin> in messages, its relative paths taken from the current directory.
(cd "$work/sample" && "$aidmatch" reconcile - -o "$work/out-stdin" -q <"$centre") \
    || fail "reconcile - (centre file on stdin) exited $?"
for f in findings.csv rejects.csv; do
    cmp -s "$work/out/$f" "$work/out-stdin/$f" || fail "reconcile - gives another $f"
done
(cd "$work/sample" && "$aidmatch" check - <"$centre" >"$work/check-stdin") || fail "check - exited $?"
[ "$(cat "$work/check-stdin")" = "<stdin>: no problem found" ] \
    || fail "check - does not name the centre file <stdin>: $(cat "$work/check-stdin")"
set +e
(cd "$work" && "$aidmatch" check - <"$centre" >"$work/check-elsewhere")
rc=$?
set -e
[ "$rc" -eq 3 ] || fail "check - from another directory exited $rc, expected 3"
grep -q "^error: <stdin>:[0-9]*: " "$work/check-elsewhere" \
    || fail "check - from another directory does not point at a line of <stdin>"
set +e
"$aidmatch" hash - -f "$feed" --in - -o - </dev/null 2>"$work/err"
rc=$?
set -e
[ "$rc" -eq 2 ] || fail "hash with stdin for both the centre and --in exited $rc, expected 2"
grep -q "only one of CENTRE.ini and --in can be '-' (stdin)" "$work/err" \
    || fail "hash - --in - is not refused by name"

# 9. link_threshold in [centre]: at 0.999 the certificate whose Excel-zeroed
# ID pointed at its person with 0.997 is listed for review, not linked, and
# stays a reject; the check-digit one (1.000) is still linked.
sed 's/^\[centre\]$/&\nlink_threshold = 0.999\nreview_threshold = 0.5/' "$centre" \
    >"$work/sample/strict.ini"
"$aidmatch" reconcile "$work/sample/strict.ini" --out "$work/strict" 2>/dev/null \
    || fail "reconcile with link_threshold 0.999 exited $?"
grep -q '^dpf_certificates,26,excel_mangled,[0-9a-f]*,0.997,name,1,review$' "$work/strict/links.csv" \
    || fail "a 0.997 link at link_threshold 0.999 is not a review row"
grep -q '^mca_dibao_tekun,477,.*,linked$' "$work/strict/links.csv" \
    || fail "a 1.000 link at link_threshold 0.999 is not linked"
grep -q '^dpf_certificates,26,excel_mangled,' "$work/strict/rejects.csv" \
    || fail "a review row is not a reject"
grep -q '"link_threshold": 0.999, "review_threshold": 0.500,' "$work/strict/summary.json" \
    || fail "summary.json does not give the thresholds set"
# The sample's hrss_unemployed maps its 性别 column: its seven sampled rows
# all state the sex their IDs give, and each is paired with the next person.
grep -q '"sex": {"m": 0.888889, "u": 0.444444, "m_agree": 7, "m_pairs": 7, "u_agree": 3, "u_pairs": 7}' \
    "$work/strict/summary.json" || fail "summary.json does not estimate the sex from the sample"

if [ "$failures" -ne 0 ]; then
    echo "$failures e2e check(s) failed" >&2
    exit 1
fi
echo "e2e: all checks passed"
