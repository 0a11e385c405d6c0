#!/bin/sh
# No raw identity leaves a run: reconciles a county and checks that no raw
# resident ID, household ID or name from the input feeds, and not the key's
# hex, appears in any output file or in what the command printed.
#
# Usage: tests/test_no_identities.sh PATH/TO/aidmatch
#
# The county is made by the build's bench/gen_county when it exists
# ($AM_BUILD_ROOT/bench/gen_county), else copied from data/sample/; with
# neither the test is skipped (exit 77).  The columns checked are those
# each [feed] of centre.ini names with person_id, household_id and name,
# read through gzip and the feed's encoding; feeds of tokens (ids = token)
# hold no raw IDs and are left out.
set -u

aidmatch=${1:?usage: test_no_identities.sh PATH/TO/aidmatch}
here=$(cd "$(dirname "$0")" && pwd)
src=${AM_SOURCE_ROOT:-$(cd "$here/.." && pwd)}
build=${AM_BUILD_ROOT:-$src/build}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aidmatch-identities.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

tab=$(printf '\t')
county=$tmp/county
gen=$build/bench/gen_county
if [ -x "$gen" ] &&
    "$gen" --persons 400 --seed 11 --out "$county" --bad-rows \
        --catalogue "$src/data/catalogue" --rules "$src/data/rules/default.rules" \
        >"$tmp/gen.log" 2>&1; then
    echo "county: $gen --persons 400 --seed 11 --bad-rows"
elif [ -f "$src/data/sample/centre.ini" ]; then
    [ -x "$gen" ] && { echo "gen_county failed, using data/sample:"; cat "$tmp/gen.log"; }
    # The same layout as the repository's data/, for relative paths.
    county=$tmp/sample
    cp -R "$src/data/sample" "$county" && cp -R "$src/data/catalogue" "$src/data/rules" "$tmp/" ||
        exit 1
    # A key keeps its mode 0600 only outside git.
    find "$county" -name '*.key' -exec chmod 600 {} +
    echo "county: data/sample"
else
    echo "skip: no $gen and no data/sample/centre.ini"
    exit 77
fi
centre=$county/centre.ini

out=$tmp/out
"$aidmatch" reconcile "$centre" --out "$out" >"$tmp/stdout" 2>"$tmp/stderr"
rc=$?
if [ "$rc" -ne 0 ]; then
    echo "FAIL: aidmatch reconcile exited $rc:"
    cat "$tmp/stderr"
    exit 1
fi

# centre.ini -> one line per feed: file, encoding, delimiter, ids, and the
# person_id, household_id and name columns ("-" when unset), tab-separated.
# Also the key file, on a line "key<TAB>PATH".
awk '
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t\r]+$/, "", s); return s }
function or_dash(s) { return s == "" ? "-" : s }
function flush() {
    if (feed != "")
        printf "feed\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", or_dash(v["file"]), or_dash(v["encoding"]),
            or_dash(v["delimiter"]), or_dash(v["ids"]), or_dash(v["person_id"]),
            or_dash(v["household_id"]), or_dash(v["name"])
    split("", v)
}
{
    sub(/\r$/, "")
    if (NR == 1) sub(/^\357\273\277/, "")
    if ($0 ~ /^[ \t]/) next                      # continuation of a map
    line = trim($0)
    if (line == "" || line ~ /^[;#]/) next
    if (line ~ /^\[/) {
        flush()
        section = line
        feed = (section ~ /^\[feed /) ? section : ""
        next
    }
    eq = index(line, "="); colon = index(line, ":")
    at = (eq && (!colon || eq < colon)) ? eq : colon
    if (!at) next
    key = trim(substr(line, 1, at - 1))
    value = substr(line, at + 1)
    if (match(value, /[ \t];/)) value = substr(value, 1, RSTART - 1)   # inline comment
    value = trim(value)
    if (section == "[centre]" && key == "key") printf "key\t%s\n", value
    else if (feed != "") v[key] = value
}
END { flush() }' "$centre" >"$tmp/feeds" || exit 1

resolve() { # a path as centre.ini writes it
    case $1 in /*) echo "$1" ;; *) echo "$county/$1" ;; esac
}

# Prints the feed's text as UTF-8 with LF line ends.
decode() { # file encoding
    if [ "$(head -c 2 "$1" | od -An -tx1 | tr -d ' \n')" = 1f8b ]; then
        gzip -dc "$1"
    else
        cat "$1"
    fi >"$tmp/raw"
    enc=$(printf '%s' "$2" | tr '[:upper:]' '[:lower:]')
    bom=$(head -c 2 "$tmp/raw" | od -An -tx1 | tr -d ' \n')
    case $enc in
    gbk | gb2312 | gb18030) from=GB18030 ;;
    utf-16 | utf16 | utf-16le | utf16le) from=UTF-16LE ;;
    utf-16be | utf16be) from=UTF-16BE ;;
    *)
        case $bom in
        fffe) from=UTF-16LE ;;
        feff) from=UTF-16BE ;;
        *) if iconv -f UTF-8 -t UTF-8 "$tmp/raw" >/dev/null 2>&1; then from=UTF-8; else from=GB18030; fi ;;
        esac
        ;;
    esac
    iconv -c -f "$from" -t UTF-8 "$tmp/raw" | tr '\r' '\n'
}

# Prints the values of the named columns, one a line, from CSV on stdin
# (quotes honoured within a line; the header's cells trimmed of spaces,
# tabs, U+3000 and a BOM).
columns() { # delimiter column...
    delim=$1
    shift
    awk -v d="$delim" -v want="$(IFS=$tab; printf '%s' "$*")" '
    function cell(s) {
        sub(/^\357\273\277/, "", s)
        while (s ~ /^([ \t]|\343\200\200)/) s = (substr(s, 1, 1) ~ /[ \t]/) ? substr(s, 2) : substr(s, 4)
        while (s ~ /([ \t]|\343\200\200)$/) s = (substr(s, length(s)) ~ /[ \t]/) ? substr(s, 1, length(s) - 1) : substr(s, 1, length(s) - 3)
        return s
    }
    function split_csv(line, f,    n, i, c, q, cur) {
        n = 0; q = 0; cur = ""
        for (i = 1; i <= length(line); i++) {
            c = substr(line, i, 1)
            if (q) {
                if (c == "\"" && substr(line, i + 1, 1) == "\"") { cur = cur c; i++ }
                else if (c == "\"") q = 0
                else cur = cur c
            } else if (c == d) { f[++n] = cur; cur = "" }
            else if (c == "\"" && cur == "") q = 1
            else cur = cur c
        }
        f[++n] = cur
        return n
    }
    BEGIN { nw = split(want, w, "\t") }
    $0 == "" { next }
    !header {
        header = 1
        n = split_csv($0, h)
        for (i = 1; i <= n; i++)
            for (k = 1; k <= nw; k++)
                if (w[k] != "" && cell(h[i]) == w[k] && !(k in col)) col[k] = i
        next
    }
    {
        n = split_csv($0, f)
        for (k in col) if (col[k] <= n) print cell(f[col[k]])
    }'
}

: >"$tmp/values"
feeds=0
while IFS=$tab read -r tag file enc delim ids person household name; do
    if [ "$tag" != feed ] || [ "$file" = - ]; then
        continue
    fi
    for v in enc delim ids person household name; do
        eval "[ \"\$$v\" = - ] && $v=''"
    done
    path=$(resolve "$file")
    case $delim in '') delim=, ;; tab | '\t') delim=$tab ;; esac
    if [ "$ids" = token ]; then
        cols="$name"
    else
        cols="$person$tab$household$tab$name"
    fi
    # shellcheck disable=SC2086 # one argument per column name
    (IFS=$tab; decode "$path" "$enc" | columns "$delim" $cols) >>"$tmp/values"
    feeds=$((feeds + 1))
done <"$tmp/feeds"

# Values short enough to occur by chance in any text (a bad-length ID such
# as "12", a one-character name) prove nothing either way.
awk 'length($0) >= 6' "$tmp/values" | sort -u >"$tmp/patterns"
count=$(wc -l <"$tmp/patterns")
echo "checking $count distinct IDs and names from $feeds feeds"
if [ "$count" -lt 10 ]; then
    echo "FAIL: found only $count values: the feeds or centre.ini were not understood"
    exit 1
fi

keyfile=$(sed -n "s/^key$tab//p" "$tmp/feeds" | head -n 1)
keyhex=""
[ -n "$keyfile" ] && keyhex=$(tr -d ' \r\n' <"$(resolve "$keyfile")")

status=0
for f in "$out"/* "$tmp/stderr" "$tmp/stdout"; do
    [ -f "$f" ] || continue
    if grep -a -F -o -f "$tmp/patterns" "$f" >"$tmp/hits"; then
        echo "FAIL: $(basename "$f") holds $(sort -u "$tmp/hits" | wc -l) raw IDs or names, e.g.:"
        sort -u "$tmp/hits" | head -n 3 | sed 's/^/  /'
        status=1
    fi
    if [ -n "$keyhex" ] && grep -a -i -q -F "$keyhex" "$f"; then
        echo "FAIL: $(basename "$f") holds the key"
        status=1
    fi
done
[ -n "$keyhex" ] || { echo "FAIL: no key found in centre.ini"; status=1; }
[ "$status" -eq 0 ] &&
    echo "ok: no raw ID, name or key in $(find "$out" -type f | wc -l) output files, stdout or stderr"
exit $status
