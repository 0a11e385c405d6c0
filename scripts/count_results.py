"""Adds up meson test logs into one closing line: 'N passed, N failed'.

A log that is missing counts as a failure: a build that broke before its
tests ran must not look like a clean run.
"""
import json
import sys


def main(paths):
    passed = failed = skipped = 0
    for path in paths:
        try:
            with open(path, encoding="utf-8") as log:
                results = [json.loads(line)["result"] for line in log if line.strip()]
        except OSError:
            print(f"missing test log: {path}", file=sys.stderr)
            failed += 1
            continue
        passed += sum(r in ("OK", "EXPECTEDFAIL") for r in results)
        skipped += sum(r == "SKIP" for r in results)
        failed += sum(r not in ("OK", "EXPECTEDFAIL", "SKIP") for r in results)
    line = f"{passed} passed, {failed} failed"
    if skipped:
        line += f", {skipped} skipped"
    print(line)
    return 1 if failed or passed == 0 else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
