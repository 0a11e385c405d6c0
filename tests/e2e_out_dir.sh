#!/bin/sh
# The output directory is the centre's: a run writes only into a directory
# that is absent, empty or marked by a run as aidmatch's; files aidmatch did
# not write are carried over, never moved or deleted; a symbolic link is
# resolved once; one run at a time (a lock beside the directory); dead runs'
# staging directories are removed; the exchange's two-rename fallback (as on
# NFS) keeps the outputs whole; the snapshot is written before the outputs.
# Usage: e2e_out_dir.sh AIDMATCH GEN_COUNTY
set -eu
aidmatch=$1
gen=$2
root=${AM_SOURCE_ROOT:?}
. "$(dirname "$0")/e2e_common.sh"
# The runs' directories are made in $d, the test's own files kept in $work.
d=$work/d
mkdir "$d"

cp -r "$root/data/sample" "$d/sample"
cp -r "$root/data/catalogue" "$root/data/rules" "$d/"
chmod 600 "$d/sample/sample.key"
centre=$d/sample/centre.ini
run() { # out [more options]
    out=$1
    shift
    "$aidmatch" reconcile "$centre" --out "$out" --quiet --run-date 2026-11-28 "$@"
}
# A listing with contents and inodes, to show that nothing was touched.
state() { # dir
    (cd "$1" && find . -exec ls -di {} + | sort && find . -type f -exec cksum {} + | sort)
}
expect_refusal() { # what message out
    code=0
    run "$3" 2>"$work/err" || code=$?
    [ "$code" -eq 1 ] || fail "$1: exit $code, expected 1"
    [ "$(cat "$work/err")" = "aidmatch: $2" ] ||
        fail "$1: message is '$(cat "$work/err")', expected 'aidmatch: $2'"
}

# --- 1. A directory that is not a run is refused, nothing touched ---
mkdir "$d/website"
echo '<h1>ours</h1>' >"$d/website/report.html"
echo '{}' >"$d/website/summary.json"
echo 'a note' >"$d/website/note.txt"
state "$d/website" >"$work/website.before"
ls "$d" >"$work/top.before"
expect_refusal "an existing directory of other files" \
    "$d/website: not empty and not an aidmatch output directory (it has no .aidmatch-run); name a new or empty directory" \
    "$d/website"
state "$d/website" | cmp -s - "$work/website.before" || fail "a refused directory was changed"
ls "$d" | cmp -s - "$work/top.before" || fail "a refused run left something beside the directory"
expect_refusal "the input directory" \
    "$d/sample: not empty and not an aidmatch output directory (it has no .aidmatch-run); name a new or empty directory" \
    "$d/sample"
[ "$(ls "$d/sample" | wc -l)" -eq "$(ls "$root/data/sample" | wc -l)" ] ||
    fail "the input directory lost files"

# --- 2. A symbolic link: resolved once; what it names must be a run ---
ln -s website "$d/public"
expect_refusal "a link to a directory of other files" \
    "$d/public: not empty and not an aidmatch output directory (it has no .aidmatch-run); name a new or empty directory" \
    "$d/public"
state "$d/website" | cmp -s - "$work/website.before" || fail "a link's target was changed"
run "$d/night1" || fail "first run exited $?"
ln -s night1 "$d/current"
run "$d/current" || fail "a run through a link to a run exited $?"
[ -L "$d/current" ] || fail "the link was replaced"
[ -f "$d/night1/findings.csv" ] && [ -f "$d/night1/.aidmatch-run" ] ||
    fail "the run did not land in the link's target"
ls -d "$d"/night1.new-* "$d"/current.new-* >/dev/null 2>&1 && fail "a staging directory was left"
ln -s nowhere "$d/dangling"
expect_refusal "a dangling link" \
    "$d/dangling: cannot resolve: No such file or directory (a symbolic link to nothing)" \
    "$d/dangling"

# --- 3. Files the centre keeps in the output directory are carried over ---
run "$d/out" || fail "run into a new directory exited $?"
[ "$(cat "$d/out/.aidmatch-run" | wc -l)" -ge 1 ] || fail "no marker in a run's directory"
echo "finding_id,outcome" >"$d/out/outcomes.csv"
ln -s outcomes.csv "$d/out/outcomes-link.csv"
inode=$(ls -i "$d/out/outcomes.csv" | cut -d' ' -f1)
run "$d/out" --snapshot "$d/out/night.snap" || fail "second run exited $?"
run "$d/out" --snapshot "$d/out/night.snap" || fail "third run exited $?"
[ "$(cat "$d/out/outcomes.csv" 2>/dev/null)" = "finding_id,outcome" ] ||
    fail "a file the centre keeps in the output directory did not carry over"
[ "$(ls -i "$d/out/outcomes.csv" | cut -d' ' -f1)" = "$inode" ] ||
    fail "a carried-over file is a copy, not the file"
[ -L "$d/out/outcomes-link.csv" ] || fail "a symbolic link did not carry over"
[ -f "$d/out/night.snap" ] || fail "a snapshot written into the output directory is gone"
[ "$(ls -d "$d"/out.* | tr '\n' ' ')" = "$d/out.lock " ] ||
    fail "runs left directories beside the output: $(ls -d "$d"/out.*)"
mkdir "$d/out/archive"
expect_refusal "a subdirectory" \
    "$d/out: holds archive, which is not a regular file and cannot be carried over to the next run; move it out of the output directory" \
    "$d/out"
rmdir "$d/out/archive"
mkdir "$d/empty"
run "$d/empty" || fail "a run into an empty directory exited $?"

# --- 4. One run at a time ---
flock "$d/out.lock" sh -c 'echo $$ >"$1"; exec sleep 30' sh "$work/holder" &
while [ ! -s "$work/holder" ]; do sleep 0.1; done
holder=$(cat "$work/holder")
state "$d/out" >"$work/out.before"
expect_refusal "a locked directory" \
    "$d/out: another run holds $d/out.lock; try again when it has ended" "$d/out"
state "$d/out" | cmp -s - "$work/out.before" || fail "a run refused by the lock changed the outputs"
kill "$holder"
wait

# --- 5. Staging directories of dead runs go; a look-alike of the centre's stays ---
mkdir "$d/out.new-Dead01" "$d/out.new-Dead02" "$d/out.new-Users1"
cp "$d/out/.aidmatch-run" "$d/out/findings.csv" "$d/out.new-Dead01/"
echo half >"$d/out.new-Dead01/report.html.tmpAbCdEf"
: >"$d/out.new-Dead01/tmp.Wb7Scratch" # the workbook library's, killed before its unlink
mkdir "$d/out.new-Dead03"
cp "$d/out/.aidmatch-run" "$d/out.new-Dead03/"
echo "not empty" >"$d/out.new-Dead03/tmp.NotScratch"
ln "$d/out/outcomes.csv" "$d/out.new-Dead01/outcomes.csv" # a carried-over link
echo "the centre's own" >"$d/out.new-Users1/findings.csv"
run "$d/out" || fail "a run after dead ones exited $?"
[ -e "$d/out.new-Dead01" ] && fail "a dead run's staging directory was not removed"
[ -e "$d/out.new-Dead02" ] && fail "a dead run's empty staging directory was not removed"
[ "$(cat "$d/out.new-Users1/findings.csv" 2>/dev/null)" = "the centre's own" ] ||
    fail "an unmarked directory that looks like staging lost a file"
[ "$(cat "$d/out/outcomes.csv")" = "finding_id,outcome" ] ||
    fail "removing a dead run's carried-over link lost the file"
[ "$(cat "$d/out.new-Dead03/tmp.NotScratch" 2>/dev/null)" = "not empty" ] ||
    fail "a file shaped like the workbook's scratch but not empty was removed"
rm -r "$d/out.new-Users1" "$d/out.new-Dead03"

# --- 6. The two-rename fallback of file systems without RENAME_EXCHANGE ---
cp "$d/out/findings.csv" "$work/findings.before"
AIDMATCH_TEST_NO_RENAME_EXCHANGE=1 run "$d/out" || fail "the fallback exchange exited $?"
cmp -s "$d/out/findings.csv" "$work/findings.before" || fail "the fallback changed the findings"
[ "$(cat "$d/out/outcomes.csv")" = "finding_id,outcome" ] || fail "the fallback lost a carried file"
[ "$(ls -d "$d"/out.* | tr '\n' ' ')" = "$d/out.lock " ] ||
    fail "the fallback left directories beside the output: $(ls -d "$d"/out.*)"
# Killed between its two renames: no DIR, the previous run in DIR.old-*.
mv "$d/out" "$d/out.old-Dead03"
echo "kept in the previous run" >"$d/out.old-Dead03/kept.txt"
AIDMATCH_TEST_NO_RENAME_EXCHANGE=1 run "$d/out" || fail "a run after a dead fallback exited $?"
[ "$(cat "$d/out/kept.txt" 2>/dev/null)" = "kept in the previous run" ] ||
    fail "the previous run was not put back after a death between the two renames"
[ -e "$d/out.old-Dead03" ] && fail "the previous run's directory was left beside the output"

# --- 7. The snapshot is written before the outputs are exchanged ---
"$gen" --persons 20000 --seed 5 --out "$d/big" --catalogue "$root/data/catalogue" \
    --rules "$root/data/rules/default.rules" >/dev/null
"$aidmatch" reconcile "$d/big/centre.ini" --out "$d/fsize" --quiet --run-date 2026-11-28 \
    --snapshot "$d/fsize.snap" || fail "the run to size the snapshot exited $?"
largest=$(find "$d/fsize" -type f -exec wc -c {} + | grep -v total | sort -n | tail -n 1 |
    awk '{print $1}')
snap=$(wc -c <"$d/fsize.snap")
[ "$snap" -gt "$largest" ] || fail "the snapshot ($snap B) is not the largest file ($largest B)"
state "$d/fsize" >"$work/fsize.before"
rm "$d/fsize.snap"
# ulimit -f counts 512-byte blocks in some shells, 1024 in others: measure.
unit=$( (ulimit -f 1 && trap '' XFSZ && head -c 4096 /dev/zero >"$work/unit") 2>/dev/null || true
    wc -c <"$work/unit")
code=0
(
    blocks=$(((largest + snap) / 2 / unit))
    ulimit -f "$blocks"
    exec "$aidmatch" reconcile "$d/big/centre.ini" --out "$d/fsize" --quiet \
        --run-date 2026-11-29 --snapshot "$d/fsize.snap"
) 2>"$work/err" || code=$?
[ "$code" -eq 1 ] || fail "a snapshot past the file size limit: exit $code, expected 1"
grep -q "File too large" "$work/err" || fail "the file size error does not say so: $(cat "$work/err")"
state "$d/fsize" | cmp -s - "$work/fsize.before" ||
    fail "a run whose snapshot failed changed the output directory"
[ -e "$d/fsize.snap" ] && fail "a snapshot that failed was left behind"
ls "$d" | grep -q "fsize.snap.tmp" && fail "a snapshot's temporary file was left behind"

# --- 8. A write that fails names the file where the operator will look ---
# findings.csv is written first: a limit just under its size stops it.
size=$(wc -c <"$d/fsize/findings.csv")
code=0
(
    ulimit -f $((size / unit - 1))
    exec "$aidmatch" reconcile "$d/big/centre.ini" --out "$d/fsize" --quiet \
        --run-date 2026-11-29
) 2>"$work/err" || code=$?
[ "$code" -eq 1 ] || fail "findings.csv past the file size limit: exit $code, expected 1"
[ "$(cat "$work/err")" = "aidmatch: $d/fsize/findings.csv: write failed: File too large" ] ||
    fail "a failed write is not named as the output file: $(cat "$work/err")"
state "$d/fsize" | cmp -s - "$work/fsize.before" ||
    fail "a run whose findings.csv failed changed the output directory"

# --- 9. A snapshot's temporary left by a killed run goes; nothing else ---
# The centre keeps its snapshot in the output directory.  A run killed
# while writing it leaves x.snap.tmpXXXXXX there, which the next run would
# carry over night after night.  The next snapshot removes it when no one
# holds it and it is a minute old; a live writer's (locked), a young one
# and look-alikes stay.
# The first night makes the directory for the snapshot, and a directory
# holding nothing but this run's own snapshot counts as new.
"$aidmatch" reconcile "$d/big/centre.ini" --out "$d/keeps" --quiet --run-date 2026-11-28 \
    --snapshot "$d/keeps/x.snap" || fail "the first night with its snapshot inside exited $?"
[ -f "$d/keeps/x.snap" ] && [ -f "$d/keeps/findings.csv" ] ||
    fail "the first night did not leave its snapshot and outputs in the directory"
mkdir "$d/empty2"
"$aidmatch" reconcile "$d/big/centre.ini" --out "$d/empty2" --quiet --run-date 2026-11-28 \
    --snapshot "$d/empty2/x.snap" || fail "an empty directory with the snapshot inside exited $?"
# Another file, not this run's, still makes a directory not aidmatch's.
mkdir "$d/notes2"
echo mine >"$d/notes2/notes.txt"
code=0
run "$d/notes2" --snapshot "$d/notes2/x.snap" 2>"$work/err" || code=$?
[ "$code" -eq 1 ] || fail "a snapshot into a directory that is not a run: exit $code, expected 1"
[ "$(cat "$work/err")" = "aidmatch: $d/notes2: not empty and not an aidmatch output directory (it has no .aidmatch-run); name a new or empty directory" ] ||
    fail "a snapshot into a directory that is not a run: $(cat "$work/err")"
[ "$(cat "$d/notes2/notes.txt")" = mine ] || fail "a refused directory lost its file"
for t in x.snap.tmpDead01 x.snap.tmpLive01 x.snap.tmpYoung1 x.snap.tmp-notes y.snap.tmpDead02; do
    echo partial >"$d/keeps/$t"
done
touch -d '2 hours ago' "$d/keeps/x.snap.tmpDead01" "$d/keeps/x.snap.tmpLive01" \
    "$d/keeps/x.snap.tmp-notes" "$d/keeps/y.snap.tmpDead02"
rm -f "$work/holder"
flock -x "$d/keeps/x.snap.tmpLive01" sh -c 'echo $$ >"$1"; exec sleep 30' sh "$work/holder" &
while [ ! -s "$work/holder" ]; do sleep 0.1; done
"$aidmatch" reconcile "$d/big/centre.ini" --out "$d/keeps" --quiet --run-date 2026-11-29 \
    --snapshot "$d/keeps/x.snap" || fail "the second run with its snapshot inside exited $?"
kill "$(cat "$work/holder")"
wait
[ -e "$d/keeps/x.snap.tmpDead01" ] && fail "a dead writer's temporary snapshot was carried over"
for t in x.snap.tmpLive01 x.snap.tmpYoung1 x.snap.tmp-notes y.snap.tmpDead02; do
    [ "$(cat "$d/keeps/$t" 2>/dev/null)" = partial ] || fail "$t was not kept"
done
"$aidmatch" match --snapshot "$d/keeps/x.snap" --rules "$root/data/rules/default.rules" \
    >/dev/null || fail "the new snapshot does not answer"

if [ "$failures" -ne 0 ]; then
    echo "$failures check(s) failed" >&2
    exit 1
fi
echo "output directory: all checks passed"
