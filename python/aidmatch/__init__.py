"""aidmatch: Python bindings of libaidmatch, which reconciles the
social-assistance payment feeds of a county's agencies and reports
duplicate, conflicting, missing and wrongful aid.

    with aidmatch.Run("centre.ini") as run:
        run.ingest()
        run.reconcile()
        for finding in run.findings():
            ...

docs/python.md describes the package; docs/reference.md the library.
"""

from .errors import (AbortedError, AidmatchError, FormatError, InputOutputError,
                     InvalidUseError, KeyMaterialError, LimitError, NoMemoryError, StateError)
from .records import (Check, DeltaRow, Explanation, FeedStats, Finding, Grant, MenuItem, Person,
                      Progress, Record, Reject, Result, Review, Rule, SkippedOutcome)
from .run import Feed, Run, Snapshot, Window, generate_key_file, library_version

__all__ = [
    "AbortedError", "AidmatchError", "Check", "DeltaRow", "Explanation", "Feed", "FeedStats", "Finding",
    "FormatError", "Grant", "InputOutputError", "InvalidUseError", "KeyMaterialError", "LimitError",
    "MenuItem", "NoMemoryError", "Person", "Progress", "Record", "Reject", "Result", "Review", "Rule", "Run",
    "SkippedOutcome", "Snapshot", "StateError", "Window", "generate_key_file", "library_version",
]
