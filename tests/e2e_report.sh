#!/bin/sh
# End-to-end test of report.html in a real browser: two nights of a county
# (the bundled sample when data/sample/centre.ini exists, else the tiny
# county of tests/tiny_county.sh) are reconciled, and headless Chromium
# renders the second night's report.  The page must load without a single
# console message (a blocked resource or a script error would log one),
# reference nothing outside itself, and show the totals summary.json has.
# Screenshots are kept as build artefacts: meson-logs/report.png and
# meson-logs/report-without-cjk-fonts.png (and the page itself,
# meson-logs/report.html).
# It also sorts the key findings the way a reader would (a click, in a
# page beside the report), and checks that the Chinese text is drawn as
# glyphs rather than tofu, against a control drawn without Chinese fonts.
# Skips (exit 77) when /usr/bin/chromium or a font with Chinese is not
# installed: Debian's `chromium` and `fonts-noto-cjk`, which .ci/run installs.
# Usage: e2e_report.sh AIDMATCH
set -eu
aidmatch=$1
chromium=${CHROMIUM:-/usr/bin/chromium}
if [ ! -x "$chromium" ]; then
    echo "SKIP: $chromium is not installed (apt-get install chromium)"
    exit 77
fi
command -v python3 >/dev/null || { echo "SKIP: python3 is needed to read summary.json"; exit 77; }
if ! command -v fc-list >/dev/null || [ -z "$(fc-list :lang=zh file)" ]; then
    echo "SKIP: no font with Chinese is installed (apt-get install fonts-noto-cjk)"
    exit 77
fi
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
    county=sample
    change_night_2() { :; }
else
    . "$here/tiny_county.sh"
    make_county "$work/c" "$aidmatch"
    centre=$work/c/centre.ini
    county=tiny
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

# Area names from the catalogue's areas.csv, policy sources in Chinese
# from the rules file, and no code name where words belong.
if [ "$county" = sample ]; then
    grep -q '<td>江阴市 <code>320281</code> <span class="en">无锡市</span>' "$work/dom.html" ||
        fail "the area 320281 is not named 江阴市, name first"
    grep -q '<td>城市最低生活保障 <code>DIBAO_URBAN</code>' "$work/dom.html" ||
        fail "an item's Chinese name does not come before its code"
    grep -q '依据 <span class="en">policy</span> 《社会救助暂行办法》第十三条、第十八条' "$work/dom.html" ||
        fail "no policy source in Chinese"
    # The sample's MISSING finding rests on dpf_certificates:26, linked at 0.997.
    grep -qF '身份证号经关联 ID linked</span> 证据中有身份证号有误、经户籍关联的行（最低概率 0.997）' \
        "$work/dom.html" || fail "a finding resting on a linked row does not say so"
fi
grep -q 'id="terms"' "$work/dom.html" || fail "no section explaining the terms used"
sed 's/<[^>]*>//g' "$work/dom.html" >"$work/text"
for word in no_issue bad_check_digit drift_share XXH3 finding_id Tokenised; do
    if grep -q "$word" "$work/text"; then fail "the page shows the code word $word"; fi
done

# Sorting: the findings shown are the first 50 by priority, then money
# (findings.csv's order); the page lists them so, and choosing "by money"
# reorders them, without a script in the page.  A page beside a copy of
# the report reads where each finding is drawn before and after clicking.
cp "$report" "$work/r.html"
cat >"$work/sort.html" <<'HTML'
<!DOCTYPE html><html><body><iframe id="r" src="r.html" width="1280" height="900"></iframe>
<pre id="before"></pre><pre id="after"></pre>
<script>
function drawn(d) {
  var list = Array.prototype.slice.call(d.querySelectorAll('#top .finding'));
  list.sort(function (a, b) { return a.getBoundingClientRect().top - b.getBoundingClientRect().top; });
  return list.map(function (e) { return e.id.slice(2); }).join(' ');
}
document.getElementById('r').addEventListener('load', function () {
  var d = this.contentDocument;
  document.getElementById('before').textContent = 'before: ' + drawn(d);
  d.querySelector('label[for="sort-money"]').click();
  document.getElementById('after').textContent = 'after: ' + drawn(d);
});
</script></body></html>
HTML
timeout 180 "$chromium" --headless --no-sandbox --disable-gpu --no-first-run \
    --allow-file-access-from-files --virtual-time-budget=10000 \
    --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" --dump-dom "file://$work/sort.html" \
    >"$work/sort-dom.html" 2>/dev/null || fail "chromium on the sorting page exited $?"
python3 - "$work/out/findings.csv" "$work/sort-dom.html" <<'PY' || fail "the findings are not drawn in the order chosen"
import csv, re, sys
rows = list(csv.DictReader(open(sys.argv[1], encoding="utf-8-sig")))
rank = {"high": 0, "normal": 1, "low": 2}
shown = sorted(range(len(rows)), key=lambda i: (rank[rows[i]["priority"]], i))[:50]
by_priority = [rows[i]["finding_id"] for i in shown]
by_money = [rows[i]["finding_id"] for i in sorted(shown)]
if by_priority == by_money:
    sys.exit("no finding's priority changes its place: nothing is tested")
dom = open(sys.argv[2], encoding="utf-8").read()
before = re.search(r'<pre id="before">before: ([^<]*)<', dom)
after = re.search(r'<pre id="after">after: ([^<]*)<', dom)
if not before or not after:
    sys.exit("the sorting page did not run")
if before.group(1).split() != by_priority:
    sys.exit("drawn first: " + before.group(1)[:120])
if after.group(1).split() != by_money:
    sys.exit("drawn by money: " + after.group(1)[:120])
PY

# The Chinese text renders, not as tofu.  Where no font has a character,
# Chromium draws the same empty box for each: the title drawn with its
# characters reordered then looks the same.  So the page's title line is
# drawn as it is and with 社会救助比对报告 reordered, with the system's
# fonts (which must tell the two apart) and with only its fonts that lack
# Chinese (which must not: the control showing that the comparison sees
# tofu).  Both full-page screenshots stay in the test log.
fonts_conf() { # DIR with|without
    mkdir -p "$1/fonts" "$1/cache"
    if [ "$2" = without ]; then
        fc-list : file | sed 's/: *$//' | sort >"$1/all"
        fc-list :lang=zh file | sed 's/: *$//' | sort >"$1/cjk"
        comm -23 "$1/all" "$1/cjk" | while IFS= read -r f; do ln -sf "$f" "$1/fonts/"; done
        printf '<?xml version="1.0"?>\n<fontconfig><dir>%s/fonts</dir><cachedir>%s/cache</cachedir></fontconfig>\n' \
            "$1" "$1" >"$1/fonts.conf"
    else
        printf '<?xml version="1.0"?>\n<fontconfig><include ignore_missing="yes">/etc/fonts/fonts.conf</include><cachedir>%s/cache</cachedir></fontconfig>\n' \
            "$1" >"$1/fonts.conf"
    fi
}
shot() { # FONTS_DIR PAGE PNG HEIGHT
    FONTCONFIG_FILE=$1/fonts.conf timeout 180 "$chromium" --headless --no-sandbox --disable-gpu \
        --no-first-run --hide-scrollbars --user-data-dir="$(mktemp -d "$work/profile.XXXXXX")" \
        --screenshot="$3" --window-size=1280,"$4" "file://$2" >/dev/null 2>&1 ||
        fail "chromium --screenshot of $2 exited $?"
}
sed 's/社会救助比对报告/报告比对救助社会/' "$report" >"$work/reordered.html"
fonts_conf "$work/with" with
fonts_conf "$work/without" without
rm -f "$artefacts/report.png" "$artefacts/report-without-cjk-fonts.png"
shot "$work/with" "$report" "$artefacts/report.png" 2000
shot "$work/without" "$report" "$artefacts/report-without-cjk-fonts.png" 2000
shot "$work/with" "$report" "$work/with.png" 120
shot "$work/with" "$work/reordered.html" "$work/with-reordered.png" 120
shot "$work/without" "$report" "$work/without.png" 120
shot "$work/without" "$work/reordered.html" "$work/without-reordered.png" 120
python3 - "$work" <<'PY' || fail "Chinese text renders as tofu, or the comparison cannot tell"
import struct, sys, zlib

def pixels(path):
    """The rows of an 8-bit RGB or RGBA PNG, unfiltered."""
    data = open(path, "rb").read()
    if data[:8] != b"\x89PNG\r\n\x1a\n":
        sys.exit(path + " is not a PNG")
    pos, idat = 8, b""
    while pos < len(data):
        n, kind = struct.unpack(">I4s", data[pos:pos + 8])
        body = data[pos + 8:pos + 8 + n]
        if kind == b"IHDR":
            width, height, depth, colour = struct.unpack(">IIBB", body[:10])
            if depth != 8 or colour not in (2, 6):
                sys.exit("%s: depth %d, colour type %d" % (path, depth, colour))
            bpp = 3 if colour == 2 else 4
        elif kind == b"IDAT":
            idat += body
        pos += 12 + n
    raw, stride = zlib.decompress(idat), width * bpp
    rows, prev = [], bytearray(stride)
    for y in range(height):
        start = y * (stride + 1)
        f, line = raw[start], bytearray(raw[start + 1:start + 1 + stride])
        for x in range(stride):
            a = line[x - bpp] if x >= bpp else 0
            b = prev[x]
            c = prev[x - bpp] if x >= bpp else 0
            if f == 1:
                line[x] = (line[x] + a) & 255
            elif f == 2:
                line[x] = (line[x] + b) & 255
            elif f == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif f == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line))
        prev = line
    return rows

work = sys.argv[1]
title = slice(0, 60)  # the header's first line: the centre's name and the title
w = pixels(work + "/with.png")[title]
wr = pixels(work + "/with-reordered.png")[title]
n = pixels(work + "/without.png")[title]
nr = pixels(work + "/without-reordered.png")[title]
if n != nr:
    sys.exit("without Chinese fonts the title still draws distinct characters: the control fails")
if w == wr:
    sys.exit("reordering the title's Chinese characters changes nothing drawn: tofu")
if w == n:
    sys.exit("the title looks the same with and without Chinese fonts")
print("the title's Chinese characters are drawn as distinct glyphs; without the fonts, as tofu")
PY
echo "screenshots: $artefacts/report.png, $artefacts/report-without-cjk-fonts.png"

[ "$failures" -eq 0 ] || exit 1
echo "report: renders in Chromium with the expected totals"
