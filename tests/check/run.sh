#!/bin/sh
# Centre-file and feed mistakes a centre makes when setting itself up: for
# each, `aidmatch check` must print exactly the expected lines (where,
# what was found, what was expected, a suggestion) and exit as documented
# (0 clean, 7 warnings, 3 errors), and `aidmatch reconcile` must refuse a
# centre file with errors, printing the same messages, and write nothing;
# with warnings only it runs, and prints them and lists them in summary.json.
# Usage: tests/check/run.sh PATH/TO/aidmatch
set -u
aidmatch=${1:?usage: run.sh PATH/TO/aidmatch}
here=$(cd "$(dirname "$0")" && pwd)
src=${AM_SOURCE_ROOT:-$(cd "$here/../.." && pwd)}
case $aidmatch in /*) ;; *) aidmatch=$(pwd)/$aidmatch ;; esac
tmp=$(mktemp -d "${TMPDIR:-/tmp}/aidmatch-check.XXXXXX") || exit 1
trap 'rm -rf "$tmp"' EXIT
cp -r "$src/data/catalogue" "$src/data/rules" "$tmp/"
# The cases' rules: ones the base feed's items can meet and raise.
printf 'rule T1 exclusive DIBAO_URBAN vs DIBAO_RURAL\n  source test\n' >"$tmp/test.rules"
"$aidmatch" keygen --out "$tmp/centre.key" >/dev/null || exit 1
good=$src/tests/bad-input/cases/good.csv
pass=0 fail=0

# The centre file every case starts from (line numbers in the comments).
base() {
    cat <<'INI'
[centre]
catalogue = ../catalogue
key = ../centre.key
rules = ../test.rules
[feed f]
agency = MCA
file = feed.csv
person_id = id
name = name
household_id = hh
amount = amount
start = from
end = to
item_column = type
item_map = urban:DIBAO_URBAN | rural:DIBAO_RURAL
INI
}

# check_case NAME EXIT RECONCILE_EXIT: the case directory $tmp/NAME holds
# centre.ini and its feed; the expected output of check is on stdin, with
# @DIR@ for the case directory.
check_case() {
    name=$1 want=$2 want_run=$3 dir=$tmp/$1
    sed "s|@DIR@|$dir|g" >"$dir/expected"
    "$aidmatch" check "$dir/centre.ini" --run-date 2025-06-01 >"$dir/got" 2>"$dir/err"
    got=$?
    why=""
    if [ "$got" -ne "$want" ]; then
        why="check exited $got, expected $want"
    elif ! diff -u "$dir/expected" "$dir/got" >"$dir/diff"; then
        why="check printed other lines:
$(cat "$dir/diff")"
    else
        "$aidmatch" reconcile "$dir/centre.ini" --out "$dir/out" --run-date 2025-06-01 \
            >/dev/null 2>"$dir/run.err"
        run=$?
        if [ "$run" -ne "$want_run" ]; then
            why="reconcile exited $run, expected $want_run: $(head -c 400 "$dir/run.err")"
        elif [ "$want" -eq 3 ]; then
            # the same messages, then the refusal; no output written
            grep '^error: ' "$dir/got" | sed "s|^error: |aidmatch: |" >"$dir/errors"
            grep '^aidmatch: ' "$dir/run.err" | grep -v 'nothing was reconciled$' \
                >"$dir/run.errors"
            if ! diff -u "$dir/errors" "$dir/run.errors" >"$dir/diff"; then
                why="reconcile did not print check's errors:
$(cat "$dir/diff")"
            elif ! grep -q ": $dir/centre.ini: [0-9]* problems\? found; nothing was reconciled$" \
                "$dir/run.err"; then
                why="reconcile did not say it refused: $(tail -n 1 "$dir/run.err")"
            elif [ -e "$dir/out" ]; then
                why="reconcile wrote $dir/out although it refused"
            fi
        elif [ "$want" -eq 7 ]; then
            # each warning on stderr and in summary.json's warnings
            grep '^warning: ' "$dir/got" | while IFS= read -r line; do
                grep -qxF "$line" "$dir/run.err" || echo "not on stderr: $line"
                grep -qF "\"${line#warning: }\"" "$dir/out/summary.json" ||
                    echo "not in summary.json: $line"
            done >"$dir/missing"
            [ -s "$dir/missing" ] && why=$(cat "$dir/missing")
        fi
    fi
    if [ -n "$why" ]; then
        echo "FAIL $name: $why"
        fail=$((fail + 1))
    else
        pass=$((pass + 1))
    fi
}

# new_case NAME [FEED_FILE]: a case directory with the base centre file
# (edited by the caller) and a feed (good.csv unless named).
new_case() {
    mkdir -p "$tmp/$1"
    base >"$tmp/$1/centre.ini"
    cp "${2:-$good}" "$tmp/$1/feed.csv"
}
edit() { # NAME SED-SCRIPT
    sed -i "$2" "$tmp/$1/centre.ini"
}

new_case clean
check_case clean 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# The check reads a sample of each feed, its first 10,001 lines that are
# not blank; a quoted field going on past the sample's last line is the
# cut's, not an unterminated quote, and blank lines before the header do
# not use the sample up.
new_case quote_across_the_sample
{
    head -n 1 "$good"
    awk 'BEGIN { for (i = 2; i <= 10000; i++)
        printf "320281198001011239,张三,H1,urban,1200.00,2024-%02d-01,2024-%02d-28\n", i % 12 + 1, i % 12 + 1 }'
    printf '320281194912310020,"李\n四",H2,rural,800,2024-02-01,2024-02-29\n'
    tail -n +2 "$good"
} >"$tmp/quote_across_the_sample/feed.csv"
check_case quote_across_the_sample 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

new_case blank_lines_first
{
    awk 'BEGIN { for (i = 0; i < 10001; i++) print "" }'
    cat "$good"
} >"$tmp/blank_lines_first/feed.csv"
check_case blank_lines_first 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

new_case no_rules
edit no_rules '/^rules =/d'
check_case no_rules 7 0 <<'EOT'
warning: @DIR@/centre.ini: no rules loaded: only implicit duplicates will be checked; expected rules = a rules file in [centre] (such as the installed default.rules)
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case full_width_colon
edit full_width_colon 's/urban:DIBAO_URBAN/urban：DIBAO_URBAN/'
check_case full_width_colon 3 3 <<'EOT'
error: @DIR@/centre.ini:15: found a full-width colon '：'; expected ASCII ':': retype it with the input method in English mode
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case full_width_equals
edit full_width_equals 's/^agency = MCA/agency ＝ MCA/'
check_case full_width_equals 3 3 <<'EOT'
error: @DIR@/centre.ini:6: found a full-width equals sign '＝'; expected ASCII '=': retype it with the input method in English mode
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case full_width_bar
edit full_width_bar 's/DIBAO_URBAN | rural/DIBAO_URBAN ｜ rural/'
check_case full_width_bar 3 3 <<'EOT'
error: @DIR@/centre.ini:15: found a full-width bar '｜'; expected ASCII '|': retype it with the input method in English mode
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# Full-width marks inside a value are text: a centre's name, a column's.
new_case full_width_in_values
edit full_width_in_values '1a name = 某县社会救助中心：试点｜一期' 
edit full_width_in_values 's/^amount = amount/amount = 金额：元/'
sed -i '1s/,amount,/,金额：元,/' "$tmp/full_width_in_values/feed.csv"
check_case full_width_in_values 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

new_case full_width_brackets
edit full_width_brackets 's/^\[feed f\]/［feed f］/'
check_case full_width_brackets 3 3 <<'EOT'
error: @DIR@/centre.ini:5: found a full-width bracket '［'; expected ASCII '[': retype it with the input method in English mode
error: @DIR@/centre.ini:5: found a full-width bracket '］'; expected ASCII ']': retype it with the input method in English mode
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

new_case full_width_comment
edit full_width_comment '1a ；备注：试点'
check_case full_width_comment 3 3 <<'EOT'
error: @DIR@/centre.ini:2: found a full-width semicolon '；'; expected ASCII ';': retype it with the input method in English mode
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# An indented line after a key continues its value, even one opening
# with '[', as the loader reads it.
new_case map_continues_with_bracket
edit map_continues_with_bracket 's/^item_map = urban:DIBAO_URBAN | rural:DIBAO_RURAL/item_map = urban:DIBAO_URBAN\n    [old]urban:DIBAO_URBAN | rural:DIBAO_RURAL/'
check_case map_continues_with_bracket 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# Once the feed is declared GBK, a mistyped column is named as such, not
# met with the GBK advice again.
new_case gbk_declared_column_mistyped
iconv -f UTF-8 -t GBK "$good" >"$tmp/gbk_declared_column_mistyped/feed.csv"
edit gbk_declared_column_mistyped 's/^amount = amount/amount = amout\nencoding = gbk/'
check_case gbk_declared_column_mistyped 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:1: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case mistyped_item_code
edit mistyped_item_code 's/urban:DIBAO_URBAN/urban:DIBAO_URBN/'
check_case mistyped_item_code 3 3 <<'EOT'
error: @DIR@/centre.ini:15: feed f: item_map: expected an item code from the catalogue, got 'DIBAO_URBN'; did you mean DIBAO_URBAN?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case mistyped_agency
edit mistyped_agency 's/^agency = MCA/agency = MCAA/'
check_case mistyped_agency 3 3 <<'EOT'
error: @DIR@/centre.ini:6: feed f: agency: expected an agency code from agencies.csv; did you mean MCA?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case unknown_key
edit unknown_key 's/^name = name/nam = name/'
check_case unknown_key 3 3 <<'EOT'
error: @DIR@/centre.ini:9: feed f: unknown key 'nam'; did you mean name?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case unknown_key_split_above
edit unknown_key_split_above 's/^name = name/name = name\nsplit_abve = 1M/'
check_case unknown_key_split_above 3 3 <<'EOT'
error: @DIR@/centre.ini:10: feed f: unknown key 'split_abve'; did you mean split_above?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A gzip feed cut short fails the check, as it would fail the run.
new_case truncated_gzip
gzip -c "$good" | head -c -8 >"$tmp/truncated_gzip/feed.csv.gz"
edit truncated_gzip 's/^file = feed.csv/file = feed.csv.gz/'
check_case truncated_gzip 3 1 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv.gz: truncated or corrupt gzip data
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# 'key: value' is the same as 'key = value' (§2.1): a mistake on such a
# line is told on that line.
new_case colon_key_line
edit colon_key_line 's/^amount = amount/amount: amout/'
check_case colon_key_line 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:1: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# UTF-16 blank lines before the header do not use the sample up either.
new_case utf16_blank_lines_first
{
    printf '\377\376'
    { awk 'BEGIN { for (i = 0; i < 10001; i++) print "" }'; cat "$good"; } |
        iconv -f UTF-8 -t UTF-16LE
} >"$tmp/utf16_blank_lines_first/feed.csv"
check_case utf16_blank_lines_first 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# A mistyped column under blank lines: the header's own line, and its
# columns.
new_case blank_lines_then_column_mistyped
{
    printf '\n\r\n\n'
    cat "$good"
} >"$tmp/blank_lines_then_column_mistyped/feed.csv"
edit blank_lines_then_column_mistyped 's/^amount = amount/amount = amout/'
check_case blank_lines_then_column_mistyped 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:4: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# The same with a CR alone ending each line.
new_case cr_only_column_mistyped
{
    printf '\r\r'
    tr '\n' '\r' <"$good"
} >"$tmp/cr_only_column_mistyped/feed.csv"
edit cr_only_column_mistyped 's/^amount = amount/amount = amout/'
check_case cr_only_column_mistyped 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:3: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# Every mistyped column is told, not only the first the reader misses.
new_case two_columns_mistyped
edit two_columns_mistyped 's/^amount = amount/amount = amout/; s/^start = from/start = form/'
check_case two_columns_mistyped 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:1: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
error: @DIR@/centre.ini:12: feed f: @DIR@/feed.csv:1: no column 'form' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'from'?
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

# A UTF-8 feed declared GBK, or comma-separated declared with '|': the
# declaration is named, not the column.
new_case utf8_declared_gbk
sed -i '1s/,name,/,姓名,/' "$tmp/utf8_declared_gbk/feed.csv"
edit utf8_declared_gbk 's/^name = name/name = 姓名\nencoding = gbk/'
check_case utf8_declared_gbk 3 3 <<'EOT'
error: @DIR@/centre.ini:10: feed f: @DIR@/feed.csv:1: the header reads as UTF-8, not as the declared encoding: set encoding = utf-8
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case wrong_delimiter
edit wrong_delimiter 's/^name = name/name = name\ndelimiter = |/'
check_case wrong_delimiter 3 3 <<'EOT'
error: @DIR@/centre.ini:10: feed f: @DIR@/feed.csv:1: the header is one column holding ',': set delimiter = ,
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# The advice is what to type: ' ;' would start a comment.
new_case semicolon_separated
tr ',' ';' <"$good" >"$tmp/semicolon_separated/feed.csv"
check_case semicolon_separated 3 3 <<'EOT'
error: @DIR@/centre.ini:5: feed f: @DIR@/feed.csv:1: the header is one column holding ';': set delimiter =;
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# Excel's "Unicode text": UTF-16LE with a BOM, tab-separated.  The BOM
# says UTF-16; the delimiter is what is wrong.
new_case excel_unicode_text
{
    printf '\377\376'
    tr ',' '\t' <"$good" | iconv -f UTF-8 -t UTF-16LE
} >"$tmp/excel_unicode_text/feed.csv"
printf "error: @DIR@/centre.ini:5: feed f: @DIR@/feed.csv:1: the header is one column holding '\t': set delimiter = tab\n@DIR@/centre.ini: 1 error, 0 warnings\n" |
    check_case excel_unicode_text 3 3

new_case key_twice
edit key_twice 's/^name = name/name = name\nname = name/'
check_case key_twice 3 3 <<'EOT'
error: @DIR@/centre.ini:10: key 'name' given twice in [feed f]
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case unknown_section
edit unknown_section 's/^\[feed f\]/[fed f]/'
check_case unknown_section 3 3 <<'EOT'
error: @DIR@/centre.ini:5: unknown section '[fed f]'; expected [centre] or [feed NAME]
error: @DIR@/centre.ini: no [feed NAME] section; expected one per export
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

new_case no_feed_section
edit no_feed_section '5,$d'
check_case no_feed_section 3 3 <<'EOT'
error: @DIR@/centre.ini: no [feed NAME] section; expected one per export
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case column_near_miss
edit column_near_miss 's/^amount = amount/amount = amout/'
check_case column_near_miss 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:1: no column 'amout' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'; did you mean 'amount'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case column_not_there
edit column_not_there 's/^person_id = id/person_id = 身份证号码/'
check_case column_not_there 3 3 <<'EOT'
error: @DIR@/centre.ini:8: feed f: @DIR@/feed.csv:1: no column '身份证号码' in the header; the header has 'id', 'name', 'hh', 'type', 'amount', 'from', 'to'
@DIR@/centre.ini: 1 error, 0 warnings
EOT

mkdir -p "$tmp/chinese_column_near_miss"
cat >"$tmp/chinese_column_near_miss/centre.ini" <<'INI'
[centre]
catalogue = ../catalogue
key = ../centre.key
rules = ../test.rules
[feed f]
agency = DPF
kind = registry
file = feed.csv
person_id = 身份证号
fact = DISABILITY
value = 等级
start = 发证日期
INI
printf '身份证号,残疾等级,发证日期\n320281198001011239,1,2020-01-01\n' >"$tmp/chinese_column_near_miss/feed.csv"
check_case chinese_column_near_miss 3 3 <<'EOT'
error: @DIR@/centre.ini:11: feed f: @DIR@/feed.csv:1: no column '等级' in the header; the header has '身份证号', '残疾等级', '发证日期'; did you mean '残疾等级'?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A feed name past 44 bytes is told once: its keys are not then blamed
# again as keys of [centre] above it.
new_case feed_name_too_long
edit feed_name_too_long 's/^\[feed f\]/[feed abcdefghijabcdefghijabcdefghijabcdefghij12345]/'
check_case feed_name_too_long 3 3 <<'EOT'
error: @DIR@/centre.ini:5: feed name longer than 44 bytes
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A feed name of other characters is told once, at its section's line.
new_case feed_name_in_chinese
edit feed_name_in_chinese 's/^\[feed f\]/[feed 低保]/'
check_case feed_name_in_chinese 3 3 <<'EOT'
error: @DIR@/centre.ini:5: feed name '低保': a feed name uses only letters, digits, '_', '-' and '.'
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# The same mistake at each key of a section is told once: [centre] after
# the feed.
new_case centre_after_feeds
{ base | sed -n '5,$p'; base | sed -n '1,4p'; } >"$tmp/centre_after_feeds/centre.ini"
check_case centre_after_feeds 3 3 <<'EOT'
error: @DIR@/centre.ini:2: no catalogue loaded: set catalogue in [centre] before any feed
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A full-width space typed around a key or a value is a blank, as an
# ASCII one is.
new_case full_width_spaces_around
edit full_width_spaces_around 's/^agency = MCA/agency　= MCA　/; s/^file = feed.csv/file = feed.csv　/'
check_case full_width_spaces_around 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# What cannot be seen is named: a value ending in a no-break space.
new_case no_break_space_in_value
edit no_break_space_in_value 's/^agency = MCA/agency = MCA /'
check_case no_break_space_in_value 3 3 <<'EOT'
error: @DIR@/centre.ini:6: feed f: agency: expected an agency code from agencies.csv; did you mean MCA? (got 'MCA ') (the text holds a no-break space (U+00A0), which looks like a space: delete it)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A map's mistake is told at the line that holds it, a continuation line
# or a second section of the feed's.
new_case map_code_on_continuation_line
edit map_code_on_continuation_line 's/ | rural:DIBAO_RURAL/\n  | rural:DIBAO_RURL ; rural/'
check_case map_code_on_continuation_line 3 3 <<'EOT'
error: @DIR@/centre.ini:16: feed f: item_map: expected an item code from the catalogue, got 'DIBAO_RURL'; did you mean DIBAO_RURAL?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A comment beside a map is no part of it: its full-width colon is
# text, and a code it names is not the map's.
new_case comments_beside_the_map
edit comments_beside_the_map 's/ | rural:DIBAO_RURAL/ ; 城市：低保, was rural:DIBAO_RURL\n  | rural:DIBAO_RURL ; 农村：低保/'
check_case comments_beside_the_map 3 3 <<'EOT'
error: @DIR@/centre.ini:16: feed f: item_map: expected an item code from the catalogue, got 'DIBAO_RURL'; did you mean DIBAO_RURAL?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case map_in_second_section
edit map_in_second_section '/^item_map =/d'
printf '[feed f]\nitem_map = urban:DIBAO_URBAN | rural:DIBAO_RURL\n' \
    >>"$tmp/map_in_second_section/centre.ini"
check_case map_in_second_section 3 3 <<'EOT'
error: @DIR@/centre.ini:16: feed f: item_map: expected an item code from the catalogue, got 'DIBAO_RURL'; did you mean DIBAO_RURAL?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A key refused takes its continuation lines with it.
new_case map_twice_continued
printf '[feed f]\nitem_map = x:DIBAO_RURAL\n\n  | y:NOPE\n' >>"$tmp/map_twice_continued/centre.ini"
check_case map_twice_continued 3 3 <<'EOT'
error: @DIR@/centre.ini:17: key 'item_map' given twice in [feed f]
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A section's name left open is told once, at its line.
new_case section_unclosed
edit section_unclosed 's/^\[feed f\]/[feed f/'
check_case section_unclosed 3 3 <<'EOT'
error: @DIR@/centre.ini:5: expected ']' to close the section's name
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# An indented key after a section's line is a key of that section, not a
# continuation of the key before it.
new_case indented_key_after_section
printf '[feed f]\n  item_map = x:DIBAO_URBAN\n' >>"$tmp/indented_key_after_section/centre.ini"
check_case indented_key_after_section 3 3 <<'EOT'
error: @DIR@/centre.ini:17: key 'item_map' given twice in [feed f]
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# Only a map continues on an indented line, in [centre] too.
new_case centre_key_continued
edit centre_key_continued 's/^\[centre\]/[centre]\nname = 江阴\n  市/'
check_case centre_key_continued 3 3 <<'EOT'
error: @DIR@/centre.ini:3: only item_map and fact_map continue on indented lines
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# Most of the sample rejected: a warning at the key to look at, with the
# commonest reason and what to do.
new_case dates_in_chinese
sed '2,$s/2024-0\([0-9]\)-\([0-9][0-9]\)/2024年\1月\2日/g' "$good" >"$tmp/dates_in_chinese/feed.csv"
check_case dates_in_chinese 7 0 <<'EOT'
warning: @DIR@/centre.ini:12: feed f: 2 of the first 3 rows would be rejected, 2 of them as bad_date: expected dates such as 2024-01-31, or date_format = how the feed writes them (such as %Y年%m月%d日)
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case ids_as_numbers
sed '2,$s/^[0-9X]*,/3.20281E+17,/' "$good" >"$tmp/ids_as_numbers/feed.csv"
check_case ids_as_numbers 7 0 <<'EOT'
warning: @DIR@/centre.ini:8: feed f: 3 of the first 3 rows would be rejected, 3 of them as excel_mangled: Excel turned the IDs into numbers: ask the agency for the file with the ID column formatted as text
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case map_separated_by_dun
edit map_separated_by_dun 's/ | rural/、rural/'
check_case map_separated_by_dun 7 0 <<'EOT'
warning: @DIR@/centre.ini:15: feed f: 3 of the first 3 rows would be rejected, 3 of them as unknown_item: expected every value of the column in item_map
@DIR@/centre.ini: 0 errors, 1 warning
EOT

# One export named by two feeds, the path written two ways: every row
# would be read twice.
new_case one_file_two_feeds
{ printf '\n'; base | sed -n '/^\[feed f\]/,$p' | sed 's/^\[feed f\]/[feed g]/; s|^file = feed.csv|file = ./feed.csv|'; } \
    >>"$tmp/one_file_two_feeds/centre.ini"
check_case one_file_two_feeds 7 0 <<'EOT'
warning: @DIR@/centre.ini:19: feed g: @DIR@/./feed.csv is also the file of feed f (line 7): its rows would be read twice, a payment paid twice; expected each export named by one feed
@DIR@/centre.ini: 0 errors, 1 warning
EOT

# A key of the other kind of section: said where it goes.
new_case keys_in_the_wrong_section
edit keys_in_the_wrong_section 's/^key = \(.*\)/key = \1\nagency = MCA/; s/^amount = amount/amount = amount\nwindow_start = 2024-01-01/'
check_case keys_in_the_wrong_section 3 3 <<'EOT'
error: @DIR@/centre.ini:4: unknown key 'agency' in [centre] (expected name, catalogue, key, rules, window_start, window_end, death_lag_days, outcomes, drift_share, link_threshold, review_threshold, csv_bom, memory_limit or temp_dir); agency belongs in a [feed NAME] section
error: @DIR@/centre.ini:13: feed f: unknown key 'window_start'; window_start belongs in [centre]
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

# A full-width colon in an entry that has its ASCII one is the feed's
# own text, mapped as it is.
new_case full_width_colon_in_feed_text
sed 's/,urban,/,低保：城市,/' "$good" >"$tmp/full_width_colon_in_feed_text/feed.csv"
edit full_width_colon_in_feed_text 's/urban:DIBAO_URBAN/低保：城市:DIBAO_URBAN/'
check_case full_width_colon_in_feed_text 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# A feed without its header row: its first line is a person's, never
# printed.
new_case no_header_row
tail -n +2 "$good" >"$tmp/no_header_row/feed.csv"
check_case no_header_row 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv:1: the first line holds a resident ID: it is a row of data, not the header; expected the export with its header row (the column names)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A UTF-8 file declared UTF-16 is read as it is; a UTF-16 file with a BOM
# declared otherwise is told that auto reads it.
new_case utf8_declared_utf16
edit utf8_declared_utf16 's/^agency = MCA/agency = MCA\nencoding = utf-16le/'
check_case utf8_declared_utf16 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv:1: the header reads as UTF-8, not as the declared encoding: set encoding = utf-8
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case utf16_with_bom_declared_utf8
{
    printf '\377\376'
    iconv -f UTF-8 -t UTF-16LE "$good"
} >"$tmp/utf16_with_bom_declared_utf8/feed.csv"
edit utf16_with_bom_declared_utf8 's/^agency = MCA/agency = MCA\nencoding = utf-8/'
check_case utf16_with_bom_declared_utf8 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv:1: the file is UTF-16 (it opens with a byte-order mark), not the declared encoding: set encoding = auto
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A key typed with a full-width space before '=', or indented after the
# section's line: its mistakes are told at its own line.
new_case key_lines_as_typed
edit key_lines_as_typed 's/^file = feed.csv/file　= missing.csv/; s/^agency = MCA/  agency = MCAA/'
check_case key_lines_as_typed 3 3 <<'EOT'
error: @DIR@/centre.ini:6: feed f: agency: expected an agency code from agencies.csv; did you mean MCA?
error: @DIR@/centre.ini:7: feed f: @DIR@/missing.csv: No such file or directory
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

# A key given three times is two mistakes, each told.
new_case key_thrice
edit key_thrice 's/^agency = MCA/agency = MCA\nagency = MCA\nagency = MCA/'
check_case key_thrice 3 3 <<'EOT'
error: @DIR@/centre.ini:7: key 'agency' given twice in [feed f]
error: @DIR@/centre.ini:8: key 'agency' given twice in [feed f]
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

# A header wider than the check reads whole (65 columns more): only the
# column the reader missed is told, not columns the check could not see.
new_case wide_header
awk -F, 'BEGIN { OFS = "," } { extra = ""; for (i = 1; i <= 65; i++) extra = extra (NR == 1 ? "x" i : "") ","; print extra $0 }' \
    "$good" >"$tmp/wide_header/feed.csv"
edit wide_header 's/^household_id = hh/household_id = hx/'
"$aidmatch" check "$tmp/wide_header/centre.ini" --run-date 2025-06-01 >"$tmp/wide_header/got"
if [ "$(grep -c '^error: ' "$tmp/wide_header/got")" -eq 1 ] &&
    grep -q "^error: $tmp/wide_header/centre.ini:10: feed f: $tmp/wide_header/feed.csv:1: no column 'hx' in the header" \
        "$tmp/wide_header/got"; then
    pass=$((pass + 1))
else
    echo "FAIL wide_header: $(head -c 600 "$tmp/wide_header/got")"
    fail=$((fail + 1))
fi

new_case missing_feed_file
edit missing_feed_file 's/^file = feed.csv/file = feeds.csv/'
check_case missing_feed_file 3 1 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feeds.csv: No such file or directory
@DIR@/centre.ini: 1 error, 0 warnings
EOT

# A path as Windows shows it, or quoted, or none: said what to write.
new_case file_quoted
edit file_quoted 's/^file = feed.csv/file = "feed.csv"/'
check_case file_quoted 3 1 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/"feed.csv": No such file or directory; write the path without quotes
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case file_windows_path
edit file_windows_path 's/^file = feed.csv/file = data\\feed.csv/'
check_case file_windows_path 3 1 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/data\feed.csv: No such file or directory; write paths with '/' (as data/feed.csv), not '\'
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case file_blank
edit file_blank 's/^file = feed.csv/file =/'
check_case file_blank 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: file: expected the export's path (relative to the centre file)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case two_mistakes_at_once
edit two_mistakes_at_once 's/urban:DIBAO_URBAN/urban:DIBAO_URBN/; s/^file = feed.csv/file = feeds.csv/'
check_case two_mistakes_at_once 3 3 <<'EOT'
error: @DIR@/centre.ini:15: feed f: item_map: expected an item code from the catalogue, got 'DIBAO_URBN'; did you mean DIBAO_URBAN?
error: @DIR@/centre.ini:7: feed f: @DIR@/feeds.csv: No such file or directory
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

new_case xlsx_as_feed
printf 'PK\003\004rest of a workbook' >"$tmp/xlsx_as_feed/feed.csv"
check_case xlsx_as_feed 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv is not CSV but an Excel .xlsx workbook or a zip archive; open it in Excel or WPS and save as 'CSV UTF-8 (逗号分隔)', or unzip it, and name that file
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case xls_as_feed
printf '\320\317\021\340\241\261\032\341rest of a workbook' >"$tmp/xls_as_feed/feed.csv"
check_case xls_as_feed 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv is not CSV but an Excel .xls workbook; open it in Excel or WPS and save as 'CSV UTF-8 (逗号分隔)', and name that file
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case pdf_as_feed
printf '%%PDF-1.4 rest of a document' >"$tmp/pdf_as_feed/feed.csv"
check_case pdf_as_feed 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv is not CSV but a PDF document; ask the agency for the data as CSV (a PDF table cannot be read)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case centre_saved_as_gbk
printf '[centre]\nname = 某县\ncatalogue = ../catalogue\nkey = ../centre.key\n' |
    iconv -f UTF-8 -t GBK >"$tmp/centre_saved_as_gbk/centre.ini"
check_case centre_saved_as_gbk 3 3 <<'EOT'
error: @DIR@/centre.ini: the centre file is not UTF-8 but looks like GBK (ANSI); save it as UTF-8 (in Notepad: Save As, Encoding UTF-8)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

mkdir -p "$tmp/gbk_header_declared_utf8"
cat >"$tmp/gbk_header_declared_utf8/centre.ini" <<'INI'
[centre]
catalogue = ../catalogue
key = ../centre.key
rules = ../test.rules
[feed f]
agency = MCA
file = feed.csv
encoding = utf-8
person_id = 身份证号码
amount = 金额
date = 日期
item = DIBAO_URBAN
INI
printf '身份证号码,金额,日期\n320281198001011239,100,2025-01-01\n' | iconv -f UTF-8 -t GBK \
    >"$tmp/gbk_header_declared_utf8/feed.csv"
check_case gbk_header_declared_utf8 3 3 <<'EOT'
error: @DIR@/centre.ini:8: feed f: @DIR@/feed.csv:1: the header does not read as UTF-8 (encoding = utf-8); the file looks like GBK: set encoding = gbk
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case gbk_rows_declared_utf8 "$src/tests/bad-input/cases/gbk.csv"
edit gbk_rows_declared_utf8 's/^agency = MCA/agency = MCA\nencoding = utf-8/'
check_case gbk_rows_declared_utf8 7 0 <<'EOT'
warning: @DIR@/centre.ini:7: feed f: 3 of the first 4 rows are not UTF-8 as declared (bad_encoding); the file decodes as GBK: set encoding = gbk
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case catalogue_not_there
edit catalogue_not_there 's|^catalogue = ../catalogue|catalogue = ../catalog|'
check_case catalogue_not_there 3 1 <<'EOT'
error: @DIR@/centre.ini:2: @DIR@/../catalog/agencies.csv: No such file or directory
error: @DIR@/centre.ini:4: rules: set catalogue before rules
@DIR@/centre.ini: 2 errors, 0 warnings
EOT

new_case key_not_there
edit key_not_there 's|^key = ../centre.key|key = ../center.key|'
check_case key_not_there 3 1 <<'EOT'
error: @DIR@/centre.ini:3: @DIR@/../center.key: cannot open key file: No such file or directory
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case rules_mistyped_code
edit rules_mistyped_code 's|^rules = .*|rules = bad.rules|'
printf 'rule X1 exclusive DIBAO_URBN vs TEKUN_HOME\n  source test\n' >"$tmp/rules_mistyped_code/bad.rules"
check_case rules_mistyped_code 3 3 <<'EOT'
error: @DIR@/centre.ini:4: @DIR@/bad.rules:1: expected an item code, got 'DIBAO_URBN'; did you mean DIBAO_URBAN?
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case date_format_not_a_pattern
printf 'date_format = YYYY-MM-DD\n' >>"$tmp/date_format_not_a_pattern/centre.ini"
check_case date_format_not_a_pattern 3 3 <<'EOT'
error: @DIR@/centre.ini:16: feed f: date_format: 'YYYY-MM-DD': auto, excel, or a pattern such as %Y-%m-%d or %Y年%m月%d日
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case amount_unit_with_digits
printf 'amount_unit = 1元\n' >>"$tmp/amount_unit_with_digits/centre.ini"
check_case amount_unit_with_digits 3 3 <<'EOT'
error: @DIR@/centre.ini:16: feed f: amount_unit: expected the unit written after amounts, such as 元
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case unterminated_quote "$src/tests/bad-input/cases/unterminated_quote.csv"
check_case unterminated_quote 3 3 <<'EOT'
error: @DIR@/centre.ini:7: feed f: @DIR@/feed.csv:3: unterminated quoted field
@DIR@/centre.ini: 1 error, 0 warnings
EOT

mkdir -p "$tmp/one_off_with_start_and_end"
cat >"$tmp/one_off_with_start_and_end/centre.ini" <<'INI'
[centre]
catalogue = ../catalogue
key = ../centre.key
rules = ../test.rules
[feed f]
agency = MCA
file = feed.csv
person_id = id
amount = amount
start = from
end = to
item = TEMP_EMERG
INI
printf 'id,amount,from,to\n320281198001011239,100,2025-01-01,2025-03-31\n320281194912310020,100,2025-02-01,2025-02-01\n' \
    >"$tmp/one_off_with_start_and_end/feed.csv"
check_case one_off_with_start_and_end 7 0 <<'EOT'
warning: @DIR@/centre.ini:10: feed f: 1 of the first 2 rows pay a one-off item (such as TEMP_EMERG) over a start and a later end; a one-off item is paid on a day: expected date = the payment day's column
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case window_past_run_date
printf 'id,name,hh,type,amount,from,to\n320281198001011239,张三,H1,urban,1200.00,2025-01-01,2025-05-31\n320281194912310020,李四,H2,rural,800,2025-02-01,2027-06-30\n' \
    >"$tmp/window_past_run_date/feed.csv"
check_case window_past_run_date 7 0 <<'EOT'
warning: @DIR@/centre.ini:5: feed f: 1 of the first 2 rows are paid past the run date 2025-06-01 (the latest to 2027-06-30), which stretches the default window past it and raises MISSING findings for months not yet come; set window_start and window_end in [centre]
@DIR@/centre.ini: 0 errors, 1 warning
EOT

new_case link_threshold_not_a_probability
edit link_threshold_not_a_probability 's|^rules = .*|&\nlink_threshold = 99%|'
check_case link_threshold_not_a_probability 3 3 <<'EOT'
error: @DIR@/centre.ini:5: link_threshold: expected a probability above 0.5 and at most 1, at most three decimals, such as 0.99
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case review_above_link_threshold
edit review_above_link_threshold 's|^rules = .*|&\nreview_threshold = 0.95\nlink_threshold = 0.9|'
check_case review_above_link_threshold 3 3 <<'EOT'
error: @DIR@/centre.ini:5: review_threshold: expected at most link_threshold (0.900)
@DIR@/centre.ini: 1 error, 0 warnings
EOT

new_case window_set_no_warning
printf 'id,name,hh,type,amount,from,to\n320281198001011239,张三,H1,urban,1200.00,2025-01-01,2027-06-30\n' \
    >"$tmp/window_set_no_warning/feed.csv"
edit window_set_no_warning 's|^rules = .*|&\nwindow_start = 2025-01-01\nwindow_end = 2025-05-31|'
check_case window_set_no_warning 0 0 <<'EOT'
@DIR@/centre.ini: no problem found
EOT

# An entitlement whose condition the feed meets, but whose item no feed pays
# (as when a feed is left out): everyone entitled would be MISSING.
new_case entitled_item_not_supplied
edit entitled_item_not_supplied 's|^rules = .*|rules = entitles.rules|'
printf 'rule E1 entitles DIBAO_URBAN|DIBAO_RURAL -> MED_PREM\n  source test\n' \
    >"$tmp/entitled_item_not_supplied/entitles.rules"
check_case entitled_item_not_supplied 7 0 <<'EOT'
warning: @DIR@/centre.ini: rule E1 (@DIR@/entitles.rules:1): no feed supplies MED_PREM, so everyone who meets the rule's condition will be reported MISSING; expected a feed that pays it
@DIR@/centre.ini: 0 errors, 1 warning
EOT

# --rows: only the first N rows are read; a mistake further down is not seen.
new_case rows_limit "$src/tests/bad-input/cases/unterminated_quote.csv"
if "$aidmatch" check "$tmp/rows_limit/centre.ini" --rows 1 --run-date 2025-06-01 >"$tmp/rows_limit/got"; then
    pass=$((pass + 1))
else
    echo "FAIL rows_limit: --rows 1 read past the first row"
    fail=$((fail + 1))
fi

# The same with a CR alone ending each line: --rows 1 stops at the first
# row, and without it the mistake is seen.
new_case rows_limit_cr_only
tr '\n' '\r' <"$src/tests/bad-input/cases/unterminated_quote.csv" \
    >"$tmp/rows_limit_cr_only/feed.csv"
"$aidmatch" check "$tmp/rows_limit_cr_only/centre.ini" --rows 1 --run-date 2025-06-01 \
    >"$tmp/rows_limit_cr_only/got"
limited=$?
"$aidmatch" check "$tmp/rows_limit_cr_only/centre.ini" --run-date 2025-06-01 \
    >"$tmp/rows_limit_cr_only/got_all"
whole=$?
if [ "$limited" -eq 0 ] && [ "$whole" -eq 3 ]; then
    pass=$((pass + 1))
else
    echo "FAIL rows_limit_cr_only: check exited $limited with --rows 1 (expected 0)," \
        "$whole without (expected 3)"
    fail=$((fail + 1))
fi

# UTF-16: a line ends at a line-end code unit, not at a byte 0x0D or 0x0A
# of a character (不 is U+4E0D, 上 U+4E0A), and the sample ends between
# units: --rows 2 reads two rows, here all paid past the run date.
# Little-endian with a BOM; big-endian declared.
for encoding in utf-16le utf-16be; do
    case_name=rows_limit_$encoding
    new_case $case_name
    {
        [ $encoding = utf-16le ] && printf '\377\376'
        sed 's/,张三,/,不上,/; s/,李四,/,上不,/' "$good" | iconv -f UTF-8 -t $encoding
    } >"$tmp/$case_name/feed.csv"
    [ $encoding = utf-16be ] && edit $case_name 's/^agency = MCA/agency = MCA\nencoding = utf-16be/'
    "$aidmatch" check "$tmp/$case_name/centre.ini" --rows 2 --run-date 2020-01-01 \
        >"$tmp/$case_name/got"
    if grep -q ": 2 of the first 2 rows are paid past the run date" "$tmp/$case_name/got"; then
        pass=$((pass + 1))
    else
        echo "FAIL $case_name: --rows 2 did not read two rows: $(head -c 400 "$tmp/$case_name/got")"
        fail=$((fail + 1))
    fi
done

# A feed tokenised under another key: told at its key_fingerprint line
# (the centre key's own fingerprint differs from run to run).
new_case other_key_fingerprint
edit other_key_fingerprint 's/^person_id = id/person_id = id\nids = token\nkey_fingerprint = 0123456789abcdef/'
"$aidmatch" check "$tmp/other_key_fingerprint/centre.ini" >"$tmp/other_key_fingerprint/got" 2>&1
if [ $? -eq 3 ] && grep -q "^error: $tmp/other_key_fingerprint/centre.ini:10: feed f: key_fingerprint: tokenised under key 0123456789abcdef, but the centre key is [0-9a-f]*; tokens from different keys never match$" \
    "$tmp/other_key_fingerprint/got"; then
    pass=$((pass + 1))
else
    echo "FAIL other_key_fingerprint: $(cat "$tmp/other_key_fingerprint/got")"
    fail=$((fail + 1))
fi

echo "check: $pass passed, $fail failed"
[ "$fail" -eq 0 ]
