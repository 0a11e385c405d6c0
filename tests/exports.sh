#!/bin/sh
# The shared library exports the am_ API and nothing else.
set -eu
lib=$1
# __bss_start, _edata and _end mark the library's sections; ld exports
# them whenever a linked library (libxlsxwriter) exports its own.
bad=$(nm -D --defined-only "$lib" |
    awk '$2 ~ /^[TDBR]$/ && $3 !~ /^am_/ && $3 !~ /^(__bss_start|_edata|_end)$/ { print $3 }')
if [ -n "$bad" ]; then
    echo "exported symbols outside the am_ API:" >&2
    echo "$bad" >&2
    exit 1
fi
count=$(nm -D --defined-only "$lib" | awk '$2 == "T" && $3 ~ /^am_/' | wc -l)
[ "$count" -ge 20 ] || { echo "only $count am_ functions exported" >&2; exit 1; }
echo "$count am_ functions exported, nothing else"
