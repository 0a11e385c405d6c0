#!/bin/sh
# End-to-end test of report.html in a real browser: two nights of a county
# (the bundled sample when data/sample/centre.ini exists, else the tiny
# county of tests/tiny_county.sh) are reconciled, and headless Chromium
# renders the second night's report.  The page must load without a single
# console message (a blocked resource or a script error would log one),
# reference nothing outside itself, and show the totals summary.json has.
# A screenshot is kept as a build artefact: meson-logs/report.png (and the
# page itself, meson-logs/report.html).
# Skips (exit 77) when /usr/bin/chromium is not installed: Debian's
# `chromium` package, which .ci/run installs.
# Usage: e2e_report.sh AIDMATCH
set -eu
aidmatch=$1
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    echo "SKIP: $chromium is not installed (apt-get install chromium)"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read summary.json"; exit 77; }
here=$(cd "$(dirname "$0")" && pwd)
root=${AM_SOURCE_ROOT:-$here/..}
artefacts=${AM_BUILD_ROOT:-.}/meson-logs
mkdir -p "$artefacts"
. "$here/e2e_common.sh"

if [ -f "$root/data/sample/centre.ini" ]; then
    cp -r "$root/data/sample" "$work/sample"
    cp -r "$root/data/catalogue" "$root/data/rules" "$work/"
    chmod 600 "$work/sample/"*.key 2>/dev/null || true
    centre=$work/sample/centre.ini
    change_night_2() { :; }
else
    . "$here/tiny_county.sh"
    make_county "$work/c" "$aidmatch"
    centre=$work/c/centre.ini
    change_night_2() {
        sed -i "/^$P1,/d" "$work/c/town_tekun.csv"
        echo "$P2,900.00,2025-06-01,2025-07-31" >>"$work/c/town_tekun.csv"
    }
fi

"$aidmatch" reconcile "$centre" --out "$work/n1" --run-date 2026-11-27 --quiet ||
    fail "night 1 exited $?"
change_night_2
"$aidmatch" reconcile "$centre" --out "$work/out" --previous "$work/n1" --run-date 2026-11-28 \
    --quiet || fail "night 2 exited $?"
report=$work/out/report.html
[ -s "$report" ] || { fail "no report.html"; exit 1; }
cp "$report" "$artefacts/report.html"

# The report references nothing outside itself.
if grep -qiE '(src|href)=|https?:|<script|@import|url\(' "$report"; then
    fail "report.html references an external resource or holds a script"
fi

# What the page must show, from summary.json: the totals (counts with
# thousands separators, yuan with separators and two decimals), each kind,
# the delta counts, and the run date.
python3 - "$work/out/summary.json" >"$work/expected" <<'EOF'
import json, sys
from decimal import Decimal
s = json.load(open(sys.argv[1], encoding="utf-8"))
def yuan(text):
    d = Decimal(text)
    whole, frac = f"{d:.2f}".split(".")
    return f"¥{int(whole):,}.{frac}"
findings = s["findings"]
print(f'id="total-findings">{sum(k["count"] for k in findings.values()):,}<')
print(f'id="total-amount">{yuan(sum(Decimal(k["amount_at_stake"]) for k in findings.values()))}<')
for kind, v in findings.items():
    print(f'id="kind-{kind}-count">{v["count"]:,}<')
    print(f'id="kind-{kind}-amount">{yuan(v["amount_at_stake"])}<')
for change, v in (s.get("delta") or {}).items():
    print(f'id="delta-{change}">{v["count"]:,}<')
print(f'id="total-suppressed">{s["outcomes"]["suppressed"]:,}<')
print(f'id="run-date">{s["run_date"]}<')
EOF

browse() { # OUTPUT-OPTION...
    timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --disable-quic \
        --no-first-run --disable-background-networking --disable-component-update \
        --disable-sync --disable-dev-shm-usage --enable-logging=stderr --v=0 \
        --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" "$@" "file://$report"
}

browse --dump-dom >"$work/dom.html" 2>"$work/chromium.log" || fail "chromium --dump-dom exited $?"
grep -q '</body>' "$work/dom.html" || fail "the page did not load: no body in the DOM"
if grep -a ':CONSOLE' "$work/chromium.log" >"$work/console"; then
    fail "the page logged to the console:"
    cat "$work/console" >&2
fi
while IFS= read -r want; do
    grep -qF -- "$want" "$work/dom.html" || fail "the rendered page lacks $want"
done <"$work/expected"
for section in by-kind changes by-agency by-item by-area quality outcomes top; do
    grep -q "<section id=\"$section\"" "$work/dom.html" || fail "no section $section"
done
grep -q '社会救助比对报告' "$work/dom.html" || fail "Chinese text did not survive"
grep -q 'id="token-to-person"' "$work/dom.html" || fail "no section on going from a token to a person"
grep -q 'aidmatch person TOKEN --snapshot county.snap --centre centre.ini' "$work/dom.html" ||
    fail "the token section does not give the command"
grep -q 'data-priority="high">优先级 高 priority high<' "$work/dom.html" || fail "no high priority shown"
if grep -q 'XXH3\|drift_share' "$work/dom.html"; then fail "an unexplained technical word in the report"; fi

rm -f "$artefacts/report.png"
browse --screenshot="$artefacts/report.png" --window-size=1280,2000 >/dev/null 2>&1 ||
    fail "chromium --screenshot exited $?"
if [ ! -s "$artefacts/report.png" ] || [ "$(head -c 4 "$artefacts/report.png" | od -An -c | tr -d ' ')" != "211PNG" ]; then
    fail "no screenshot"
else
    echo "screenshot: $artefacts/report.png"
fi

[ "$failures" -eq 0 ] || exit 1
echo "report: renders in Chromium with the expected totals"
