#!/bin/sh
# The library's layering: lib/ has one folder per stage of a run, and a
# folder includes only its own headers and those of the folders listed
# before it in lib/meson.build, as zstd keeps common/ below compress/.
# Also checks that each folder's meson.build lists exactly its .c files.
# A lower stage that needs part of a later one's state takes it as a
# narrow struct the later one builds (match/input.h, cycle/cycle.h), never
# its header.
# Usage: tests/layering.sh [SOURCE_ROOT]
set -eu
root=${1:-${AM_SOURCE_ROOT:-$(dirname "$0")/..}}
cd "$root/lib"
order=$(sed -n "s/^subdir('\([a-z_]*\)')$/\1/p" meson.build)
[ -n "$order" ] || { echo "layering: no subdir() lines in lib/meson.build"; exit 1; }
status=0
# rank_FOLDER=N, the folder's position in lib/meson.build (no fork per include)
n=0
for dir in $order; do n=$((n + 1)); eval "rank_$dir=$n"; done
for dir in $order; do
    eval "my_rank=\$rank_$dir"
    for file in "$dir"/*.c "$dir"/*.h; do
        [ -f "$file" ] || continue
        for inc in $(sed -n 's/^#include "\([a-z_]*\)\/[a-z_]*\.h".*/\1/p' "$file"); do
            eval "inc_rank=\${rank_$inc:-}"
            if [ -z "$inc_rank" ]; then
                echo "layering: $file includes from $inc/, which is not a folder of lib/meson.build"
                status=1
            elif [ "$inc_rank" -gt "$my_rank" ]; then
                echo "layering: lib/$file ($dir/) includes a header of $inc/, a later stage"
                status=1
            fi
        done
        if grep -v "^#include \"aidmatch.h\"" "$file" | grep -q "^#include \"[a-z_]*\.h\""; then
            echo "layering: lib/$file includes a header without its folder"
            status=1
        fi
    done
    listed=$(sed -n "s/^ *'\([a-z_]*\.c\)',\$/\1/p" "$dir/meson.build" | sort)
    present=$(cd "$dir" && ls ./*.c 2>/dev/null | sed 's|^\./||' | sort)
    if [ "$listed" != "$present" ]; then
        echo "layering: lib/$dir/meson.build does not list exactly the .c files of lib/$dir/"
        status=1
    fi
done
[ $status -eq 0 ] && echo "layering: $(echo "$order" | wc -l) folders, no new include runs upward"
exit $status
