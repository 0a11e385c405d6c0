#!/bin/sh
# meson install into a temporary directory, then the installed command, run
# from there without LD_LIBRARY_PATH, reconciles the sample county with a
# centre file that names no catalogue and no rules: it finds the installed
# catalogue and default rules under share/aidmatch, and the findings are
# the expected ones.  The man page is installed too.
# Usage: e2e_install.sh BUILD_DIR
set -eu
build=${1:?usage: e2e_install.sh BUILD_DIR}
root=${AM_SOURCE_ROOT:?}
expected=$root/tests/expected/sample
. "$(dirname "$0")/e2e_common.sh"

meson install -C "$build" --no-rebuild --quiet --destdir "$work/dest" >"$work/install.log" 2>&1 ||
    { cat "$work/install.log" >&2; fail "meson install"; exit 1; }
bin=$(find "$work/dest" -path '*/bin/aidmatch' -type f | head -n 1)
[ -n "$bin" ] || { fail "no bin/aidmatch installed"; exit 1; }
prefix=$(dirname "$(dirname "$bin")")
for f in share/aidmatch/catalogue/agencies.csv share/aidmatch/catalogue/items.csv \
    share/aidmatch/catalogue/facts.csv share/aidmatch/catalogue/areas.csv \
    share/aidmatch/rules/default.rules \
    share/man/man1/aidmatch.1; do
    [ -f "$prefix/$f" ] || fail "meson install did not install $f"
done

# The sample, moved away from the source tree, its catalogue and rules lines gone.
cp -r "$root/data/sample" "$work/sample"
chmod 600 "$work/sample/sample.key"
grep -v '^catalogue *=\|^rules *=' "$root/data/sample/centre.ini" >"$work/sample/centre.ini"
env -u LD_LIBRARY_PATH "$bin" reconcile "$work/sample/centre.ini" --out "$work/out" --quiet \
    2>"$work/err" || fail "the installed aidmatch exited $?: $(head -c 300 "$work/err")"
cmp -s "$expected/findings.csv" "$work/out/findings.csv" ||
    fail "the installed aidmatch, with the installed catalogue and rules, gives other findings"
grep -q '<code>320281</code> 江阴市' "$work/out/report.html" ||
    fail "the report run with the installed catalogue does not name the area 320281"
grep -q '《社会救助暂行办法》' "$work/out/report.html" ||
    fail "the report run with the installed rules gives no policy source in Chinese"
env -u LD_LIBRARY_PATH "$bin" --version | grep -q "^aidmatch " || fail "installed --version"

if [ "$failures" -ne 0 ]; then
    echo "$failures install check(s) failed" >&2
    exit 1
fi
echo "install: all checks passed"
