#!/bin/sh
# The shared library exports exactly the functions include/aidmatch.h
# declares (stable and experimental parts), each listed in the version
# script lib/aidmatch.map, under the version AIDMATCH_0, and nothing else:
# no internal function, no symbol of a dependency, no linker marker.
# Usage: exports.sh LIBRARY SOURCE_ROOT
set -eu
lib=$1
root=$2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Declared: every AM_API function of the header.
sed -n 's/^AM_API .*[ *]\(am_[a-z0-9_]*\)(.*/\1/p' "$root/include/aidmatch.h" |
    sort > "$tmp/declared"
# Listed: the names of the version script's global part.
sed -e 's,/\*.*\*/,,' "$root/lib/aidmatch.map" |
    sed -n '/global:/,/local:/s/^[[:space:]]*\(am_[a-z0-9_]*\);.*/\1/p' | sort > "$tmp/listed"
# Exported: every defined dynamic symbol but the version node itself
# (ld defines AIDMATCH_0 as an absolute symbol of value 0), without the
# version nm appends (NAME@@AIDMATCH_0).
nm -D --defined-only "$lib" | awk '!($2 == "A" && $3 == "AIDMATCH_0") { print $3 }' |
    sed 's/@.*//' | sort > "$tmp/exported"
# Versioned: the exported functions that carry AIDMATCH_0.
objdump -T "$lib" | awk '$NF ~ /^am_/ && $(NF-1) == "AIDMATCH_0" { print $NF }' |
    sort > "$tmp/versioned"

status=0
compare() { # what_a what_b file_a file_b
    if ! cmp -s "$3" "$4"; then
        echo "$1 but not $2:" >&2
        comm -23 "$3" "$4" | sed 's/^/  /' >&2
        echo "$2 but not $1:" >&2
        comm -13 "$3" "$4" | sed 's/^/  /' >&2
        status=1
    fi
}
compare "declared in include/aidmatch.h" "listed in lib/aidmatch.map" "$tmp/declared" "$tmp/listed"
compare "declared in include/aidmatch.h" "exported by $lib" "$tmp/declared" "$tmp/exported"
compare "exported" "exported under the version AIDMATCH_0" "$tmp/exported" "$tmp/versioned"
[ "$status" -eq 0 ] || exit 1
count=$(wc -l < "$tmp/exported")
[ "$count" -ge 60 ] || { echo "only $count functions exported" >&2; exit 1; }
echo "$count am_ functions exported under AIDMATCH_0, as declared and listed; nothing else"
