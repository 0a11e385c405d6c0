#!/bin/sh
# tests/layering.sh on the real tree, and on small made-up trees that show
# it fails: an upward include, an include without its folder, a .c file
# meson.build does not list.
# Usage: tests/test_layering.sh SOURCE_ROOT
set -eu
root=${1:?usage: test_layering.sh SOURCE_ROOT}
script="$root/tests/layering.sh"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fails=0

sh "$script" "$root" || { echo "FAIL: the source tree breaks the layering"; fails=1; }

# A tree of two folders, low below high, each with one file.
make_tree() {
    rm -rf "$tmp/t"
    mkdir -p "$tmp/t/lib/low" "$tmp/t/lib/high" "$tmp/t/tests"
    printf "subdir('low')\nsubdir('high')\n" >"$tmp/t/lib/meson.build"
    printf "lib_sources += files(\n  'a.c',\n)\n" >"$tmp/t/lib/low/meson.build"
    printf "lib_sources += files(\n  'b.c',\n)\n" >"$tmp/t/lib/high/meson.build"
    printf '#include "low/a.h"\n' >"$tmp/t/lib/low/a.c"
    printf '' >"$tmp/t/lib/low/a.h"
    printf '#include "low/a.h"\n' >"$tmp/t/lib/high/b.c"
    printf '' >"$tmp/t/lib/high/b.h"
}
# expect STATUS MESSAGE: runs the check on the made-up tree.
expect() {
    set +e
    out=$(sh "$script" "$tmp/t" 2>&1)
    got=$?
    set -e
    if [ "$got" != "$1" ] || ! printf '%s\n' "$out" | grep -qxF "$2"; then
        echo "FAIL: expected status $1 and the line: $2"
        printf '%s\n' "$out" | sed 's/^/  got: /'
        fails=1
    fi
}

make_tree
expect 0 "layering: 2 folders, no new include runs upward"

make_tree
printf '#include "high/b.h"\n' >>"$tmp/t/lib/low/a.c"
expect 1 "layering: lib/low/a.c (low/) includes a header of high/, a later stage"


make_tree
printf '#include "a.h"\n' >>"$tmp/t/lib/high/b.c"
expect 1 "layering: lib/high/b.c includes a header without its folder"

make_tree
printf '' >"$tmp/t/lib/low/c.c"
expect 1 "layering: lib/low/meson.build does not list exactly the .c files of lib/low/"

[ $fails = 0 ] && echo "test_layering: all cases pass"
exit $fails
