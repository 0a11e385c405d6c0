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
