#!/bin/sh
# Bad-input suite: runs `aidmatch reconcile` once per row of cases.tsv and
# checks what a centre would see: the exit code, the reject reasons and
# their lines in rejects.csv, that every feed's counts reconcile in
# summary.json, or, for a run that fails, the message naming the file (and
# line) on stderr and an output directory left exactly as the previous run
# wrote it.  No case may print the key or write it to an output.
#
# Usage: tests/bad-input/run.sh PATH/TO/aidmatch
#
# Each case gets its own directory under a temporary one: the case's feed
# file, a centre.ini built from the case's variant (below), and a key made
# with `aidmatch keygen` (mode 0600).  The catalogue is the repository's
# data/catalogue.
#
# cases.tsv columns, tab-separated, "-" for none:
#   name  feed-file  variant  exit  rejects  ingested  stderr
#   rejects:  reason@line,... : every row of rejects.csv, in order
#   ingested: rows_ingested of the feed
#   stderr:   a substring of stderr; @FEED@, @CENTRE@, @KEY@ and @DIR@
#             stand for the feed file, centre file, key file and case
#             directory
# Variants: std (a payments feed f of agency MCA, encoding auto); utf8, gbk,
# utf16 (that encoding declared); small (max_field 64, max_line 256);
# agencyformats (date_format patterns as agencies write dates, amount_unit 元);
# badagency (agency = NOPE); dupfeed (a second [feed f] repeating agency);
# ruleskey (rules = the key file); missingfeed (file names no file);
# dirfeed (file names a directory); unreadable (feed chmod 000); keyopen
# (key chmod 644); keymissing (key names no file); keyunreadable (key
# chmod 000).  The chmod 000 variants are skipped as root.
set -u

aidmatch=${1:?usage: run.sh PATH/TO/aidmatch}
here=$(cd "$(dirname "$0")" && pwd)
src=${AM_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
case $aidmatch in /*) ;; *) aidmatch=$(pwd)/$aidmatch ;; esac

tmp=$(mktemp -d "${TMPDIR:-/tmp}/aidmatch-bad-input.XXXXXX") || exit 1
cleanup() {
    chmod -R u+rwx "$tmp" 2>/dev/null
    rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 1' HUP INT TERM
mkdir "$tmp/catalogue" && cp "$src"/data/catalogue/*.csv "$tmp/catalogue/" || exit 1

root=0
[ "$(id -u)" -eq 0 ] && root=1

# Writes DIR/centre.ini for VARIANT, naming FEED (a file name in DIR).
write_centre() { # dir variant feed
    dir=$1 variant=$2 feed=$3
    agency=MCA
    key=centre.key
    case $variant in
    badagency) agency=NOPE ;;
    keymissing) key=missing.key ;;
    esac
    {
        printf '[centre]\ncatalogue = ../catalogue\nkey = %s\n' "$key"
        [ "$variant" = ruleskey ] && printf 'rules = centre.key\n'
        printf '[feed f]\nagency = %s\nfile = %s\n' "$agency" "$feed"
        printf 'person_id = id\nname = name\nhousehold_id = hh\namount = amount\n'
        printf 'start = from\nend = to\nitem_column = type\n'
        printf 'item_map = urban:DIBAO_URBAN | rural:DIBAO_RURAL\n'
        printf '    城市低保:DIBAO_URBAN | 农村低保:DIBAO_RURAL\n'
        case $variant in
        utf8) printf 'encoding = utf-8\n' ;;
        gbk) printf 'encoding = gbk\n' ;;
        utf16) printf 'encoding = utf-16\n' ;;
        small) printf 'max_field = 64\nmax_line = 256\n' ;;
        agencyformats)
            printf 'date_format = %%Y年%%m月%%d日 | %%Y-%%m-%%d %%H:%%M:%%S | %%d/%%m/%%Y | %%Y年%%m月\n'
            printf 'amount_unit = 元\n' ;;
        dupfeed) printf '[feed f]\nagency = MCA\n' ;;
        esac
    } >"$dir/centre.ini"
}

# Lays out the case directory; prints the feed's file name.
prepare() { # dir variant feed-file
    dir=$1 variant=$2 file=$3
    mkdir -p "$dir"
    name=feed.csv
    case $file in
    -) ;;
    *.gz) name=feed.csv.gz ;;
    esac
    case $variant in
    missingfeed) name=absent.csv ;;
    dirfeed) name=feed.d; mkdir "$dir/$name" ;;
    *) [ "$file" = - ] || cp "$here/cases/$file" "$dir/$name" ;;
    esac
    [ "$variant" = unreadable ] && chmod 000 "$dir/$name"
    if [ "$variant" != keymissing ]; then
        "$aidmatch" keygen --out "$dir/centre.key" >/dev/null || return 1
        case $variant in
        keyopen) chmod 644 "$dir/centre.key" ;;
        keyunreadable) chmod 000 "$dir/centre.key" ;;
        esac
    fi
    write_centre "$dir" "$variant" "$name"
    echo "$name"
}

# Prints N for "KEY": N, the INDEXth occurrence in FILE.
json_number() { # file key index
    grep -o "\"$2\": *[0-9]*" "$1" | sed -n "$3p" | sed 's/.*: *//'
}

# Checks that summary.json's counts reconcile for every feed, and that
# rejects.csv has as many rows as the feeds rejected.
check_counts() { # outdir
    out=$1
    feeds=$(grep -c '"rows_read"' "$out/summary.json")
    [ "$feeds" -ge 1 ] || { echo "summary.json lists no feed"; return 1; }
    total=0
    i=1
    while [ "$i" -le "$feeds" ]; do
        read_=$(json_number "$out/summary.json" rows_read "$i")
        ing=$(json_number "$out/summary.json" rows_ingested "$i")
        rej=$(json_number "$out/summary.json" rows_rejected "$i")
        if [ -z "$read_" ] || [ -z "$ing" ] || [ -z "$rej" ] || [ "$read_" -ne $((ing + rej)) ]; then
            echo "feed $i: rows_read $read_ != rows_ingested $ing + rows_rejected $rej"
            return 1
        fi
        total=$((total + rej))
        i=$((i + 1))
    done
    lines=$(($(wc -l <"$out/rejects.csv") - 1))
    [ "$lines" -eq "$total" ] || { echo "rejects.csv has $lines rows, summary $total"; return 1; }
    return 0
}

# Checks that no digit run of 10 or more from the feed (a raw ID, whole or
# damaged) appears in an output file.
check_no_ids() { # feed outdir
    grep -aoE '[0-9]{10,}[0-9Xx]?' "$1" | sort -u >"$1.ids"
    [ -s "$1.ids" ] || return 0
    for f in "$2"/*; do
        if grep -aqF -f "$1.ids" "$f"; then
            echo "$(basename "$f") repeats a raw ID: $(grep -aoF -f "$1.ids" "$f" | head -n 1)"
            return 1
        fi
    done
    return 0
}

# A previous complete run, which every failing case's output directory
# starts from and must still hold afterwards.
prev=$tmp/previous
prepare "$prev" std good.csv >/dev/null || { echo "cannot prepare the previous run"; exit 1; }
if ! "$aidmatch" reconcile "$prev/centre.ini" --out "$prev/out" --quiet; then
    echo "the previous run failed"
    exit 1
fi

pass=0 fail=0 skip=0
tab=$(printf '\t')
while IFS=$tab read -r name file variant want_exit want_rejects want_ingested want_stderr; do
    case $name in '' | '#'*) continue ;; esac
    case $variant in
    unreadable | keyunreadable)
        if [ "$root" -eq 1 ]; then
            echo "skip $name: running as root, whom chmod 000 does not stop from reading"
            skip=$((skip + 1))
            continue
        fi
        ;;
    esac
    dir=$tmp/$name
    feed=$(prepare "$dir" "$variant" "$file") || { echo "FAIL $name: cannot prepare"; fail=$((fail + 1)); continue; }
    out=$dir/out
    [ "$want_exit" -ne 0 ] && cp -Rp "$prev/out" "$out"
    "$aidmatch" reconcile "$dir/centre.ini" --out "$out" --quiet >"$dir.stdout" 2>"$dir.stderr"
    got=$?
    why=""
    if [ "$got" -ne "$want_exit" ]; then
        why="exit $got, expected $want_exit: $(head -c 300 "$dir.stderr")"
    elif [ "$want_exit" -eq 0 ]; then
        rejects=$(awk -F, 'NR > 1 { printf "%s%s@%s", n++ ? "," : "", $3, $2 }' "$out/rejects.csv")
        [ -n "$rejects" ] || rejects=-
        ingested=$(json_number "$out/summary.json" rows_ingested 1)
        if [ "$rejects" != "$want_rejects" ]; then
            why="rejects $rejects, expected $want_rejects"
        elif [ "$want_ingested" != - ] && [ "$ingested" != "$want_ingested" ]; then
            why="rows_ingested $ingested, expected $want_ingested"
        elif ! why=$(check_counts "$out"); then
            :
        elif ! why=$(check_no_ids "$dir/$feed" "$out"); then
            :
        else
            why=""
        fi
    else
        expect=$(printf '%s' "$want_stderr" | sed -e "s|@FEED@|$dir/$feed|g" \
            -e "s|@CENTRE@|$dir/centre.ini|g" -e "s|@KEY@|$dir/centre.key|g" -e "s|@DIR@|$dir|g")
        if [ "$want_stderr" != - ] && ! grep -qF -- "$expect" "$dir.stderr"; then
            why="stderr lacks '$expect': $(head -c 300 "$dir.stderr")"
        elif ! diff -r "$prev/out" "$out" >"$dir.diff" 2>&1; then
            why="the failed run changed the previous output: $(head -c 300 "$dir.diff")"
        elif [ "$(find "$dir" -maxdepth 1 -name 'out?*' | wc -l)" -ne 0 ]; then
            why="the failed run left files beside the output directory"
        fi
    fi
    if [ -z "$why" ] && [ -f "$dir/centre.key" ] && [ -r "$dir/centre.key" ]; then
        keyhex=$(tr -d ' \r\n' <"$dir/centre.key")
        for f in "$dir.stderr" "$dir.stdout" "$out"/*; do
            if [ -f "$f" ] && grep -aqiF "$keyhex" "$f"; then
                why="$(basename "$f") holds the key"
                break
            fi
        done
    fi
    if [ -z "$why" ]; then
        echo "ok $name"
        pass=$((pass + 1))
    else
        echo "FAIL $name: $why"
        fail=$((fail + 1))
    fi
done <"$here/cases.tsv"

echo "bad-input: $pass passed, $fail failed, $skip skipped"
[ "$fail" -eq 0 ] && [ "$pass" -gt 0 ]
