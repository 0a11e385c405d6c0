"""Run and Snapshot: a libaidmatch context (am_ctx) as a Python object.

A context is not safe for concurrent use in C; here every call into it
holds the object's lock, so one Run may be shared between threads (their
calls take turns) while separate Runs work in parallel.  The GIL is
released for the duration of every C call (cffi does so), so other Python
threads run while a feed is read or the rules are matched.
"""

from __future__ import annotations

import datetime
import os
import threading
import weakref
from typing import (TYPE_CHECKING, Any, Callable, Iterable, Iterator, List, Optional, Tuple,
                    TypeVar, Union)

from ._lib import STATUS_NAMES, ffi, lib, raise_for, text
from .errors import error_for
from .records import (Check, DeltaRow, Explanation, FeedStats, Finding, Grant, MenuItem, Person,
                      Progress, Record, Reject, Result, Review, Rule, SkippedOutcome,
                      new_struct)

if TYPE_CHECKING:
    import pandas  # type: ignore[import]

PathLike = Union[str, "os.PathLike[str]"]
T = TypeVar("T")


def _path(p: PathLike) -> bytes:
    return os.fsencode(p)


def _utf8(s: str) -> bytes:
    return s.encode("utf-8")


class _Context:
    """What a Run and a Snapshot share: the context, its lock and cleanup,
    and the auditor's questions (person, match, explain, rule)."""

    def __init__(self, threads: int) -> None:
        out = ffi.new("am_ctx **")
        raise_for(lib.am_ctx_new(out), None)
        self._ctx: Any = out[0]
        self._lock = threading.RLock()
        # Frees the context even if close() is never called.
        self._finalizer = weakref.finalize(self, lib.am_ctx_free, self._ctx)
        self._generation = 0  # bumped whenever what the iterators read is replaced
        self._lent = False  # a Window borrows the context while open
        self.set_threads(threads)

    # -- lifetime -----------------------------------------------------------

    def close(self) -> None:
        """Frees the context and everything it owns (key material is wiped
        first).  Objects already handed out stay valid; calling the run
        again raises ValueError.  Closing twice does nothing."""
        with self._lock:
            self._finalizer()
            self._ctx = None

    @property
    def closed(self) -> bool:
        return self._ctx is None

    def __enter__(self: T) -> T:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> Any:
        if self._ctx is None:
            raise ValueError("operation on a closed " + type(self).__name__)
        if self._lent:
            raise ValueError("the " + type(self).__name__ + " is lent to an open Window")
        return self._ctx

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        """Calls fn(ctx, *args) under the lock; raises for a failed status."""
        with self._lock:
            ctx = self._live()
            raise_for(fn(ctx, *args), ctx)

    def _items(self, count: Callable[[Any], int], make: Callable[[Any, int], T]) -> Iterator[T]:
        """Yields make(ctx, i) for i below count(ctx), one item per lock hold;
        fails if the list is replaced (a new reconcile or question) meanwhile."""
        with self._lock:
            n = count(self._live())
            generation = self._generation
        for i in range(n):
            with self._lock:
                if self._generation != generation:
                    raise RuntimeError("the run changed during iteration")
                item = make(self._live(), i)
            yield item

    # -- settings -----------------------------------------------------------

    def set_threads(self, threads: int) -> None:
        """How many threads matching may use (1 to 64).  Results do not
        depend on it."""
        self._call(lib.am_set_threads, threads)

    def load_key_file(self, path: PathLike) -> None:
        """Loads the tokenisation key from a key file (mode 0600 or stricter)."""
        self._call(lib.am_load_key_file, _path(path))

    def load_key(self, key: bytes) -> None:
        """Loads the 16 raw bytes of the key.  The caller's copy is not wiped:
        a Python bytes object cannot be."""
        self._call(lib.am_load_key, key, len(key))

    @property
    def key_fingerprint(self) -> str:
        """16 hex digits identifying the key (never the key); "" without one."""
        with self._lock:
            return text(lib.am_key_fingerprint(self._live()))

    # -- the auditor's questions ------------------------------------------

    def person(self, id_or_token: str, **filters: Any) -> Person:
        """Every record of one person (a token, or a raw resident ID, which
        is hashed with the loaded key and never kept), their housemates'
        items and every finding that concerns them.  filters: see match()."""
        with self._lock:
            ctx = self._live()
            flt, keep = _filter(**filters)
            self._generation += 1
            raise_for(lib.am_person_lookup(ctx, _utf8(id_or_token), flt), ctx)
            del keep
            out = new_struct("am_record_info")
            records = []
            for i in range(lib.am_person_record_count(ctx)):
                raise_for(lib.am_person_record_get(ctx, i, out), ctx)
                records.append(Record._from_c(out, lib.am_person_record_linked(ctx, i)))
            return Person(token=text(lib.am_person_token(ctx)), records=tuple(records),
                          findings=tuple(self._results(ctx)))

    def match(self, rules: str, *, name: str = "<rules>", with_duplicates: bool = False,
              **filters: Any) -> List[Result]:
        """Runs rules (text in the language of rules files) over every record
        and returns their findings, in output order.  Only these rules run;
        implicit duplicates (DUP) too with with_duplicates.  filters narrow
        the answer: kinds (names such as "CONFLICT"), items and agencies
        (codes), min_amount_fen, town (leading digits of an area code)."""
        data = _utf8(rules)
        with self._lock:
            ctx = self._live()
            flt, keep = _filter(**filters)
            self._generation += 1
            raise_for(lib.am_match_rules(ctx, data, len(data), _utf8(name), flt,
                                         lib.AM_MATCH_WITH_DUPLICATES if with_duplicates else 0),
                      ctx)
            del keep
            return self._results(ctx)

    def explain(self, finding_id: str) -> Optional[Explanation]:
        """A finding of the run with every evidence record in full and its
        rule as written; None when the run has no finding of that id."""
        with self._lock:
            ctx = self._live()
            self._generation += 1
            raise_for(lib.am_explain(ctx, _utf8(finding_id)), ctx)
            results = self._results(ctx)
            if not results:
                return None
            return Explanation(result=results[0], rule=self._rule(ctx, results[0].finding.rule_id))

    def rule(self, rule_id: str) -> Rule:
        """A rule as written: of the last match(), else of the run, else DUP."""
        with self._lock:
            return self._rule(self._live(), rule_id)

    def _rule(self, ctx: Any, rule_id: str) -> Rule:
        out = new_struct("am_rule_info")
        raise_for(lib.am_rule_get(ctx, _utf8(rule_id), out), ctx)
        return Rule._from_c(out)

    def _results(self, ctx: Any) -> List[Result]:
        result = new_struct("am_result")
        record = new_struct("am_record_info")
        links = new_struct("am_result_links")
        answers = []
        for i in range(lib.am_result_count(ctx)):
            raise_for(lib.am_result_get(ctx, i, result), ctx)
            raise_for(lib.am_result_links_get(ctx, i, links), ctx)
            evidence = []
            for k in range(result.evidence_count):
                raise_for(lib.am_result_evidence_get(ctx, i, k, record), ctx)
                evidence.append(Record._from_c(record, lib.am_result_evidence_linked(ctx, i, k)))
            answers.append(Result(finding=Finding._from_c(result.finding),
                                  facts=text(result.facts), area=text(result.area),
                                  concerns=text(result.concerns), evidence=tuple(evidence),
                                  linked=text(links.linked),
                                  possible_id_error=text(links.possible_id_error)))
        return answers


def _filter(kinds: Optional[Iterable[str]] = None, items: Optional[Iterable[str]] = None,
            agencies: Optional[Iterable[str]] = None, min_amount_fen: int = 0,
            town: Optional[str] = None) -> Tuple[Any, List[Any]]:
    """An am_filter, and the buffers it points into (keep them alive)."""
    flt = ffi.new("am_filter *")
    keep: List[Any] = [flt]
    kind_values = {text(lib.am_kind_name(k)): k for k in range(lib.AM_KIND__COUNT)}
    for kind in kinds or ():
        if kind not in kind_values:
            raise ValueError(f"unknown finding kind {kind!r}; kinds are "
                             + ", ".join(kind_values))
        flt.kinds |= 1 << kind_values[kind]

    def string(value: str) -> Any:
        buf = ffi.new("char[]", _utf8(value))
        keep.append(buf)
        return buf

    if items:
        flt.items = string(",".join(items))
    if agencies:
        flt.agencies = string(",".join(agencies))
    if town:
        flt.town = string(town)
    flt.min_amount_fen = min_amount_fen
    return flt, keep


class Feed:
    """A declared feed.  Owned by its Run: valid while the Run is open."""

    def __init__(self, run: "Run", handle: Any, name: str) -> None:
        self._run = run
        self._handle = handle
        self.name = name

    def _call(self, fn: Callable[..., int], *args: Any) -> None:
        """Calls fn(feed, *args) under the run's lock; raises for a failed
        status with the run's message."""
        with self._run._lock:
            ctx = self._run._live()
            raise_for(fn(self._handle, *args), ctx)

    def set(self, key: str, value: str) -> None:
        """Sets one key of the feed's spec, as in a [feed NAME] section."""
        self._call(lib.am_feed_set, _utf8(key), _utf8(value))

    def ingest_bytes(self, data: bytes) -> None:
        """Ingests the feed from the bytes of its CSV file (possibly gzip)
        instead of from its file.  A feed can be ingested once."""
        self._call(lib.am_feed_ingest_buffer, data, len(data))

    def tokenise(self, out_path: PathLike, *, keep_name: bool = False) -> None:
        """Writes the feed's file to out_path with IDs replaced by tokens and,
        unless keep_name, the name column dropped: what an agency sends."""
        self._call(lib.am_tokenise_feed, _path(out_path), int(keep_name))


class Run(_Context):
    """One reconciliation: load a centre (or configure in code), ingest,
    reconcile, then read the findings or write the output directory."""

    def __init__(self, centre: Optional[PathLike] = None, *, threads: int = 1,
                 run_date: Optional[str] = None, memory_limit: Optional[int] = None,
                 partitions: Optional[int] = None,
                 temp_dir: Optional[PathLike] = None) -> None:
        """memory_limit, partitions and temp_dir: as set_memory_limit,
        set_partitions and set_temp_dir, over what the centre file sets."""
        super().__init__(threads)
        try:
            if run_date is not None:
                self.set_run_date(run_date)
            if centre is not None:
                self.load_centre(centre)
            if temp_dir is not None:
                self.set_temp_dir(temp_dir)
            if memory_limit is not None:
                self.set_memory_limit(memory_limit)
            if partitions is not None:
                self.set_partitions(partitions)
        except BaseException:
            self.close()
            raise

    # -- configuration ------------------------------------------------------

    def load_centre(self, path: PathLike) -> None:
        """Loads a centre file: catalogue, key, rules and feeds."""
        self._call(lib.am_load_centre, _path(path))

    def load_centre_text(self, text_: str, *, name: str = "<centre>",
                         base_dir: Optional[PathLike] = None) -> None:
        """As load_centre, from text; base_dir resolves relative paths."""
        data = _utf8(text_)
        self._call(lib.am_load_centre_mem, data, len(data), _utf8(name),
                   _path(base_dir) if base_dir is not None else ffi.NULL)

    def load_catalogue(self, directory: PathLike) -> None:
        """Loads agencies.csv, items.csv and facts.csv from a directory."""
        self._call(lib.am_load_catalogue, _path(directory))

    def load_rules(self, path: PathLike) -> None:
        """Adds the rules of a rules file."""
        self._call(lib.am_load_rules, _path(path))

    def load_rules_text(self, rules: str, *, name: str = "<rules>") -> None:
        """Adds rules given as text; name is used in messages."""
        data = _utf8(rules)
        self._call(lib.am_load_rules_mem, data, len(data), _utf8(name))

    def set_window(self, start: str, end: str) -> None:
        """The reconciliation window, "YYYY-MM-DD" to "YYYY-MM-DD" inclusive."""
        self._call(lib.am_set_window, _utf8(start), _utf8(end))

    def set_run_date(self, date: str) -> None:
        """The date of this run, "YYYY-MM-DD" (the library never reads the clock)."""
        self._call(lib.am_set_run_date, _utf8(date))

    def set_memory_limit(self, size: int) -> None:
        """Reconciles partition by partition on disk to stay under about
        size bytes (at least 128 MiB), with the outputs of a run in memory
        (docs/partitions.md).  Before ingest(); such a run writes the same
        outputs and snapshot, and answers no questions."""
        self._call(lib.am_set_memory_limit, size)

    def set_partitions(self, n: int) -> None:
        """Partitions the run into at least n partitions (1 to 4096),
        whatever the memory.  Before ingest()."""
        self._call(lib.am_set_partitions, n)

    def set_temp_dir(self, directory: PathLike) -> None:
        """Where a partitioned run keeps its partition files (default
        /var/tmp); they are removed when the run ends."""
        self._call(lib.am_set_temp_dir, _path(directory))

    def set_drift_share(self, per_mille: int) -> None:
        """How far a feed's row count may move against the previous run."""
        self._call(lib.am_set_drift_share, per_mille)

    def load_previous(self, directory: PathLike) -> None:
        """Reads the previous run's outputs, for delta and suppression."""
        self._call(lib.am_load_previous, _path(directory))

    @property
    def previous_missing(self) -> Optional[str]:
        """The directory load_previous was given when it did not exist yet
        (the first night), else None."""
        with self._lock:
            missing = lib.am_previous_missing(self._live())
            return None if missing == ffi.NULL else text(missing)

    def load_outcomes(self, path: PathLike) -> None:
        """Loads caseworkers' outcomes (finding_id, outcome, date[, note]).
        Rows that cannot be read are skipped: see skipped_outcomes()."""
        self._call(lib.am_load_outcomes, _path(path))

    def skipped_outcomes(self) -> Iterator[SkippedOutcome]:
        """The rows of the outcomes files loaded so far that were skipped."""
        def make(ctx: Any, i: int) -> SkippedOutcome:
            file, line, reason = ffi.new("char **"), ffi.new("uint64_t *"), ffi.new("char **")
            raise_for(lib.am_outcome_skipped_get(ctx, i, file, line, reason), ctx)
            return SkippedOutcome(file=text(file[0]), line=line[0], reason=text(reason[0]))
        return self._items(lib.am_outcome_skipped_count, make)

    def set_csv_bom(self, bom: bool) -> None:
        """Whether the CSV files write_outputs writes open with a UTF-8 byte
        order mark (the default, for Excel and WPS) or not."""
        self._call(lib.am_set_csv_bom, int(bom))

    def add_feed(self, name: str, /, **spec: str) -> Feed:
        """Declares a feed in code; spec holds the keys of a [feed NAME]
        section (agency, kind, person_id, name, file, ...), set in order."""
        with self._lock:
            ctx = self._live()
            out = ffi.new("am_feed **")
            raise_for(lib.am_feed_new(ctx, _utf8(name), out), ctx)
            feed = Feed(self, out[0], name)
        for key, value in spec.items():
            feed.set(key, value)
        return feed

    def feed(self, name: str) -> Feed:
        """A declared feed by name; KeyError if there is none."""
        with self._lock:
            handle = lib.am_feed_find(self._live(), _utf8(name))
        if handle == ffi.NULL:
            raise KeyError(name)
        return Feed(self, handle, name)

    # -- the run ------------------------------------------------------------

    def ingest(self, progress: Optional[Callable[[Progress], None]] = None) -> None:
        """Reads every declared feed from its file.  progress, if given, is
        called every 65536 rows of a feed and when each feed ends; if it
        raises, ingestion stops and the exception propagates from here."""
        if progress is None:
            self._call(lib.am_ingest)
            return
        report = progress
        raised: List[BaseException] = []

        def on_progress(_user: Any, p: Any) -> int:
            try:
                report(Progress._from_c(p))
                return 0
            except BaseException as e:  # noqa: B902 - carried out of C and re-raised
                raised.append(e)
                return 1

        callback = ffi.callback("am_progress_fn", on_progress)
        with self._lock:
            ctx = self._live()
            raise_for(lib.am_set_progress_fn(ctx, callback, ffi.NULL), ctx)
            try:
                status = lib.am_ingest(ctx)
            finally:
                lib.am_set_progress_fn(ctx, ffi.NULL, ffi.NULL)
            if raised:
                raise raised[0]
            raise_for(status, ctx)

    def reconcile(self) -> int:
        """Runs every rule over the ingested records; returns how many
        findings there are (read them with findings())."""
        with self._lock:
            ctx = self._live()
            self._generation += 1
            raise_for(lib.am_reconcile(ctx, ffi.NULL, ffi.NULL), ctx)
            return int(lib.am_finding_count(ctx))

    def review(self) -> None:
        """Reviews the findings against the previous run and the outcomes
        (write_outputs does so when this was not called)."""
        with self._lock:
            ctx = self._live()
            self._generation += 1
            raise_for(lib.am_review(ctx), ctx)

    def write_outputs(self, directory: PathLike, wall_seconds: Optional[float] = None) -> None:
        """Writes findings.csv, rejects.csv, summary.json, ... into directory,
        replacing it atomically.  wall_seconds goes into summary.json."""
        with self._lock:
            ctx = self._live()
            self._generation += 1
            raise_for(lib.am_write_outputs(ctx, _path(directory),
                                           -1.0 if wall_seconds is None else wall_seconds), ctx)

    def write_snapshot(self, path: PathLike) -> None:
        """Saves the reconciled run to one file for Snapshot to open."""
        self._call(lib.am_snapshot_write, _path(path))

    # -- what the run found -----------------------------------------------

    def findings(self) -> Iterator[Finding]:
        """The findings of the last reconcile(), in output order."""
        def make(ctx: Any, i: int) -> Finding:
            out = new_struct("am_finding")
            raise_for(lib.am_finding_get(ctx, i, out), ctx)
            return Finding._from_c(out)
        return self._items(lib.am_finding_count, make)

    def rejects(self) -> Iterator[Reject]:
        """Every rejected row, in feed order then line order."""
        def make(ctx: Any, i: int) -> Reject:
            out = new_struct("am_reject_row")
            raise_for(lib.am_reject_get(ctx, i, out), ctx)
            return Reject._from_c(out)
        return self._items(lib.am_reject_count, make)

    def feed_stats(self) -> List[FeedStats]:
        """Each declared feed's counts, in declaration order."""
        def make(ctx: Any, i: int) -> FeedStats:
            out = new_struct("am_feed_stats")
            raise_for(lib.am_feed_stats_get(ctx, i, out), ctx)
            return FeedStats._from_c(out, ctx, i)
        return list(self._items(lib.am_feed_count, make))

    def reviews(self) -> Iterator[Review]:
        """What the review says about each finding (findings() order)."""
        def make(ctx: Any, i: int) -> Review:
            finding = new_struct("am_finding")
            raise_for(lib.am_finding_get(ctx, i, finding), ctx)
            out = new_struct("am_finding_review")
            raise_for(lib.am_finding_review_get(ctx, i, out), ctx)
            return Review._from_c(text(finding.id), out)
        return self._items(lib.am_finding_count, make)

    def delta(self) -> Iterator[DeltaRow]:
        """The rows of delta.csv (none without a previous run)."""
        def make(ctx: Any, i: int) -> DeltaRow:
            out = new_struct("am_delta_row")
            raise_for(lib.am_delta_get(ctx, i, out), ctx)
            return DeltaRow._from_c(out)
        return self._items(lib.am_delta_count, make)

    def findings_frame(self) -> "pandas.DataFrame":
        """The findings as a pandas DataFrame (needs pandas)."""
        return _frame(self.findings(), Finding)

    def rejects_frame(self) -> "pandas.DataFrame":
        """The rejects as a pandas DataFrame (needs pandas)."""
        return _frame(self.rejects(), Reject)


class Snapshot(_Context):
    """A saved run opened for questions (person, match, explain, rule).

    The key is needed only to look people up by raw ID: give key_file, or
    a centre file that names the key."""

    def __init__(self, path: PathLike, *, key_file: Optional[PathLike] = None,
                 centre: Optional[PathLike] = None, threads: int = 1) -> None:
        self._window: Optional[Window] = None
        super().__init__(threads)
        try:
            if key_file is not None:
                self.load_key_file(key_file)
            if centre is not None:
                self._call(lib.am_load_centre, _path(centre))
            self._call(lib.am_snapshot_open, _path(path))
        except BaseException:
            self.close()
            raise

    def verify(self) -> None:
        """Verifies every checksum of the snapshot now (FormatError if not)."""
        self._call(lib.am_snapshot_verify)

    def window(self, journal: Optional[PathLike] = None) -> "Window":
        """Opens the window over this snapshot (verifying it whole first):
        checks of one applicant at a time, and grants recorded in the
        journal (default: the snapshot's path + ".journal").  The Snapshot
        answers nothing else until the Window is closed."""
        return Window(self, journal)

    def close(self) -> None:
        """Closes an open Window first, then as Run.close()."""
        with self._lock:
            if self._window is not None:
                self._window.close()
            super().close()


class Window:
    """The window over a snapshot: one applicant at a time.  Use as a
    context manager, or close() it before using the Snapshot again."""

    def __init__(self, snapshot: Snapshot, journal: Optional[PathLike]) -> None:
        self._snapshot = snapshot
        with snapshot._lock:
            ctx = snapshot._live()
            out = ffi.new("am_window **")
            raise_for(lib.am_window_open(ctx, _path(journal) if journal is not None
                                         else ffi.NULL, out), ctx)
            self._window: Any = out[0]
            self._finalizer = weakref.finalize(self, lib.am_window_close, self._window)
            snapshot._lent = True
            snapshot._window = self

    def close(self) -> None:
        """Closes the window; the Snapshot may be used again.  Twice does nothing."""
        with self._snapshot._lock:
            self._finalizer()
            self._window = None
            self._snapshot._lent = False
            self._snapshot._window = None

    def __enter__(self) -> "Window":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _live(self) -> Any:
        if self._window is None:
            raise ValueError("operation on a closed Window")
        return self._window

    def check(self, person: str, date: Union[str, datetime.date],
              grants: Iterable[Grant] = ()) -> Check:
        """Checks one person (a token, or a raw resident ID hashed with the
        snapshot's key and never kept) on date, with the proposed grants."""
        keep: List[Any] = []
        proposed = list(grants)
        array = ffi.new("am_grant[]", max(1, len(proposed)))
        for slot, grant in zip(array, proposed):
            _fill_grant(slot, grant, keep)
        request = ffi.new("am_check_request *")
        request.person = _cstr(person, keep)
        request.date = _cstr(str(date), keep)
        request.grants = array
        request.ngrants = len(proposed)
        out = ffi.new("am_check **")
        with self._snapshot._lock:
            status = lib.am_window_check(self._live(), request, out)
            try:
                return self._answer(status, out[0])
            finally:
                lib.am_check_free(out[0])  # NULL is accepted

    def _answer(self, status: int, check: Any) -> Check:
        if status != lib.AM_OK:
            message = text(lib.am_check_errmsg(check)) if check != ffi.NULL else \
                text(lib.am_errmsg(self._snapshot._ctx))
            raise error_for(status, STATUS_NAMES.get(status, f"status {status}"),
                            message or text(lib.am_strerror(status)))
        record = new_struct("am_record_info")
        holdings = []
        for i in range(lib.am_check_holding_count(check)):
            raise_for(lib.am_check_holding_get(check, i, record), None)
            holdings.append(Record._from_c(record))
        finding = new_struct("am_finding")
        findings = []
        for i in range(lib.am_check_finding_count(check)):
            raise_for(lib.am_check_finding_get(check, i, finding), None)
            findings.append(Finding._from_c(finding))
        item = new_struct("am_menu_item")
        menu = []
        for i in range(lib.am_check_menu_count(check)):
            raise_for(lib.am_check_menu_get(check, i, item), None)
            menu.append(MenuItem._from_c(item))
        return Check(person=text(lib.am_check_person(check)), holdings=tuple(holdings),
                     findings=tuple(findings), menu=tuple(menu),
                     journal_ignored=lib.am_check_journal_ignored(check))

    def grant(self, person: str, grant: Grant) -> None:
        """Records a grant made at the window in the journal, so that every
        later check, in any process, sees it."""
        keep: List[Any] = []
        slot = ffi.new("am_grant *")
        _fill_grant(slot, grant, keep)
        message = ffi.new("char[]", 512)
        with self._snapshot._lock:
            status = lib.am_window_grant(self._live(), _cstr(person, keep), slot, message,
                                         len(message))
        if status != lib.AM_OK:
            raise error_for(status, STATUS_NAMES.get(status, f"status {status}"),
                            text(message) or text(lib.am_strerror(status)))


def _cstr(value: str, keep: List[Any]) -> Any:
    buf = ffi.new("char[]", _utf8(value))
    keep.append(buf)
    return buf


def _fill_grant(slot: Any, grant: Grant, keep: List[Any]) -> None:
    slot.item = _cstr(grant.item, keep)
    slot.agency = _cstr(grant.agency, keep) if grant.agency else ffi.NULL
    slot.start = _cstr(str(grant.start), keep)
    slot.end = _cstr(str(grant.end), keep) if grant.end else ffi.NULL
    slot.amount_fen = grant.amount_fen


def _frame(rows: Iterable[Any], cls: type) -> "pandas.DataFrame":
    import dataclasses

    import pandas
    columns = [f.name for f in dataclasses.fields(cls)]
    return pandas.DataFrame([dataclasses.astuple(r) for r in rows], columns=columns)


def generate_key_file(path: PathLike) -> None:
    """Creates a new random key file (mode 0600); never overwrites one."""
    message = ffi.new("char[]", 512)
    status = lib.am_generate_key_file(_path(path), message, len(message))
    if status != lib.AM_OK:
        raise error_for(status, STATUS_NAMES.get(status, f"status {status}"),
                        text(message) or text(lib.am_strerror(status)))


def library_version() -> str:
    """The version of the libaidmatch actually loaded, "MAJOR.MINOR.PATCH"."""
    return text(lib.am_version(ffi.NULL))
