# shellcheck shell=sh
# e2e_common.sh — sourced by the end-to-end scripts: $work, a scratch
# directory removed on exit, and fail MESSAGE, which records a failed check
# in $failures and lets the script go on to the next.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
failures=0

fail() {
    echo "FAIL: $*" >&2
    failures=$((failures + 1))
}

# Every output file of EXPECTED the same in ACTUAL, summary.json but for
# its wall time; WHAT names the run in a failure.
same_outputs() { # EXPECTED ACTUAL WHAT
    for f in $(ls "$1"); do
        case $f in
        summary.json)
            grep -v '"wall_seconds"' "$1/$f" >"$work/a.json"
            grep -v '"wall_seconds"' "$2/$f" >"$work/b.json"
            cmp -s "$work/a.json" "$work/b.json" || fail "$3: summary.json differs"
            ;;
        *) cmp -s "$1/$f" "$2/$f" || fail "$3: $f differs" ;;
        esac
    done
    [ -s "$2/findings.csv" ] || fail "$3: no findings.csv"
}
