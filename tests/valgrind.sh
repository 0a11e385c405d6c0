#!/bin/sh
# The end-to-end run on the sample county is clean under valgrind memcheck:
# no invalid access, no use of uninitialised memory, no leak.  Skipped (77)
# without valgrind, and in sanitizer builds, which valgrind cannot run.
# Usage: valgrind.sh AIDMATCH
set -eu
aidmatch=$1
root=${AM_SOURCE_ROOT:?}
command -v valgrind >/dev/null || { echo "no valgrind: skipped"; exit 77; }
if ldd "$aidmatch" | grep -qE 'libasan|libtsan|libubsan'; then
    echo "sanitizer build: skipped"
    exit 77
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -r "$root/data/sample" "$root/data/catalogue" "$root/data/rules" "$work/"
chmod 600 "$work/sample/sample.key"
valgrind --quiet --error-exitcode=9 --leak-check=full \
    --errors-for-leak-kinds=definite,indirect,possible \
    "$aidmatch" reconcile "$work/sample/centre.ini" --out "$work/out" --quiet --threads 2 \
    --run-date 2026-11-28 --snapshot "$work/county.snap"
valgrind --quiet --error-exitcode=9 --leak-check=full \
    "$aidmatch" explain "$(sed -n 2p "$work/out/findings.csv" | cut -d, -f1)" \
    --snapshot "$work/county.snap" >/dev/null
echo "valgrind: clean"
