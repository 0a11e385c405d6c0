"""What the library hands out, as immutable dataclasses.

Every value is copied out of the library's memory when the object is made,
so these objects outlive the run that produced them.  Lists the library
writes ';'-separated (items, agencies, evidence) are tuples here; dates
are datetime.date, None where the library gives "".
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Dict, Optional, Tuple

from ._lib import ffi, lib, text


def _date(p: Any) -> Optional[datetime.date]:
    s = text(p)
    return datetime.date.fromisoformat(s) if s else None


def _split(p: Any) -> Tuple[str, ...]:
    s = text(p)
    return tuple(s.split(";")) if s else ()


@dataclass(frozen=True)
class Finding:
    """One finding, as a row of findings.csv holds it."""
    id: str
    kind: str                 # DUPLICATE, HOUSEHOLD_DUPLICATE, CONFLICT, MISSING, ...
    rule_id: str
    unit: str                 # "person" or "household"
    subject: str              # person or household token
    items: Tuple[str, ...]
    agencies: Tuple[str, ...]
    period_start: datetime.date
    period_end: datetime.date
    overlap_days: int
    amount_fen: int           # money at stake in fen (0.01 yuan)
    evidence: Tuple[str, ...]  # "feed:line" of every record involved
    policy_source: str
    priority: str             # "high", "normal" or "low"

    @property
    def amount_yuan(self) -> Decimal:
        """The money at stake in yuan, exactly."""
        return Decimal(self.amount_fen).scaleb(-2)

    @classmethod
    def _from_c(cls, f: Any) -> "Finding":
        return cls(
            id=text(f.id), kind=text(lib.am_kind_name(f.kind)), rule_id=text(f.rule_id),
            unit=text(f.unit), subject=text(f.subject), items=_split(f.items),
            agencies=_split(f.agencies),
            period_start=datetime.date.fromisoformat(text(f.period_start)),
            period_end=datetime.date.fromisoformat(text(f.period_end)),
            overlap_days=f.overlap_days, amount_fen=f.amount_fen, evidence=_split(f.evidence),
            policy_source=text(f.policy_source), priority=text(f.priority))


@dataclass(frozen=True)
class Reject:
    """One input row that was not ingested, and why."""
    feed: str
    line: int      # physical line where the row starts, 1-based
    reason: str    # stable snake_case name, as in rejects.csv
    detail: str    # never repeats a raw ID or name

    @classmethod
    def _from_c(cls, r: Any) -> "Reject":
        return cls(feed=text(r.feed), line=r.line, reason=text(lib.am_reject_name(r.reason)),
                   detail=text(r.detail))


@dataclass(frozen=True)
class FeedStats:
    """A feed's counts: rows_read == rows_ingested + rows_rejected."""
    name: str
    agency: str
    path: str
    file_xxh3: str
    encoding: str
    rows_read: int
    rows_ingested: int
    rows_rejected: int
    by_reason: Dict[str, int]  # every reject reason with a non-zero count
    bytes_read: int

    @classmethod
    def _from_c(cls, s: Any, ctx: Any, i: int) -> "FeedStats":
        counts = ((r, lib.am_feed_rejected(ctx, i, r)) for r in range(lib.AM_REJECT__COUNT))
        by_reason = {text(lib.am_reject_name(r)): n for r, n in counts if n}
        return cls(name=text(s.name), agency=text(s.agency), path=text(s.path),
                   file_xxh3=text(s.file_xxh3), encoding=text(s.encoding),
                   rows_read=s.rows_read, rows_ingested=s.rows_ingested,
                   rows_rejected=s.rows_rejected, by_reason=by_reason, bytes_read=s.bytes_read)


@dataclass(frozen=True)
class Review:
    """What the review says about one finding (against the previous run and
    the caseworkers' outcomes)."""
    finding_id: str
    facts: str                        # facts fingerprint
    change: str                       # "new" or "persisting"
    first_seen: Optional[datetime.date]
    outcome: str                      # "none", "confirmed", "error_corrected", "no_issue"
    outcome_date: Optional[datetime.date]
    suppressed: bool
    area: str                         # six-digit area code, "" when unknown

    @classmethod
    def _from_c(cls, finding_id: str, r: Any) -> "Review":
        return cls(finding_id=finding_id, facts=text(r.facts),
                   change=text(lib.am_change_name(r.change)), first_seen=_date(r.first_seen),
                   outcome=text(lib.am_outcome_name(r.outcome)),
                   outcome_date=_date(r.outcome_date), suppressed=bool(r.suppressed),
                   area=text(r.area))


@dataclass(frozen=True)
class DeltaRow:
    """One row of delta.csv."""
    finding_id: str
    change: str  # "new", "persisting" or "resolved"
    first_seen: Optional[datetime.date]
    last_seen: Optional[datetime.date]

    @classmethod
    def _from_c(cls, d: Any) -> "DeltaRow":
        return cls(finding_id=text(d.finding_id), change=text(lib.am_change_name(d.change)),
                   first_seen=_date(d.first_seen), last_seen=_date(d.last_seen))


@dataclass(frozen=True)
class SkippedOutcome:
    """A row of an outcomes file that could not be read, and what was expected."""
    file: str    # the file as named to load_outcomes
    line: int
    reason: str  # never the row's text


@dataclass(frozen=True)
class Progress:
    """Where ingestion is, as the progress callback receives it."""
    feed: str
    feed_index: int
    feed_count: int
    rows: int
    bytes_read: int
    bytes_total: int
    done: bool

    @classmethod
    def _from_c(cls, p: Any) -> "Progress":
        return cls(feed=text(p.feed), feed_index=p.feed_index, feed_count=p.feed_count,
                   rows=p.rows, bytes_read=p.bytes_read, bytes_total=p.bytes_total,
                   done=bool(p.done))


@dataclass(frozen=True)
class Record:
    """One record in full: a payment or a registry fact."""
    relation: str      # person(): "self" or "member"; evidence: "evidence"
    person: str        # token
    household: str     # household token, "" when none
    feed: str
    agency: str
    line: int
    code: str          # item or fact code
    code_name: str     # its Chinese name
    is_fact: bool
    start: Optional[datetime.date]  # None: a fact in force since ever
    end: Optional[datetime.date]    # None: a fact still in force
    amount_fen: int
    value: int         # a fact's value (a grade), 0 when none
    area: str
    linked: str = ""   # person(), explain(): the probability ("0.995") of the link
                       # that joined the row's damaged ID to the person; "" when
                       # its ID was read as written

    @classmethod
    def _from_c(cls, r: Any, linked: Any = None) -> "Record":
        return cls(relation=text(r.relation), person=text(r.person), household=text(r.household),
                   feed=text(r.feed), agency=text(r.agency), line=r.line, code=text(r.code),
                   code_name=text(r.code_name), is_fact=bool(r.is_fact), start=_date(r.start),
                   end=_date(r.end), amount_fen=r.amount_fen, value=r.value, area=text(r.area),
                   linked=text(linked) if linked else "")


@dataclass(frozen=True)
class Result:
    """A finding in the answer to a question, with what the question adds."""
    finding: Finding
    facts: str                 # facts fingerprint
    area: str                  # six-digit area code, "" when unknown
    concerns: str              # person(): "subject", "household" or "evidence"; else ""
    evidence: Tuple[Record, ...]  # person() and explain(): its evidence records in full
    linked: str = ""           # the lowest link probability among its evidence records
                               # that came in through a link from a damaged ID, or ""
    possible_id_error: str = ""  # MISSING: review rows of its items pointing at its
                                 # subject, "feed:line;..."; else ""


@dataclass(frozen=True)
class Rule:
    """A rule as written."""
    id: str
    kind: str    # "exclusive", "entitles", "household_unique", "ends_at",
                 # "disqualifies", or "duplicate" for DUP
    text: str
    origin: str  # the file it was read from; "" for DUP
    line: int    # its first line there; 0 for DUP
    source: str  # the policy it cites

    @classmethod
    def _from_c(cls, r: Any) -> "Rule":
        return cls(id=text(r.id), kind=text(r.kind), text=text(r.text), origin=text(r.origin),
                   line=r.line, source=text(r.source))


@dataclass(frozen=True)
class Person:
    """The answer to person(): their records, their housemates' items, and
    every finding that concerns them."""
    token: str
    records: Tuple[Record, ...]
    findings: Tuple[Result, ...]


@dataclass(frozen=True)
class Grant:
    """A grant proposed at the window (Window.check) or made (Window.grant)."""
    item: str                    # item code of the catalogue
    start: datetime.date         # the first day paid, or a one-off's day
    end: Optional[datetime.date] = None  # None: a one-off's start, or the end
                                         # of the month for a periodic item
    agency: Optional[str] = None  # None: the item's own agency
    amount_fen: int = 0


@dataclass(frozen=True)
class MenuItem:
    """An item a rule entitles the person or their household to on the
    date of a check, which they do not hold then."""
    item: str
    name_zh: str
    name_en: str
    agency: str
    unit: str           # "person" or "household"
    rule_id: str        # the entitles rule
    policy_source: str

    @classmethod
    def _from_c(cls, m: Any) -> "MenuItem":
        return cls(item=text(m.item), name_zh=text(m.name_zh), name_en=text(m.name_en),
                   agency=text(m.agency), unit=text(m.unit), rule_id=text(m.rule_id),
                   policy_source=text(m.policy_source))


@dataclass(frozen=True)
class Check:
    """The answer to Window.check: what the person and their household hold
    on the date, the findings the proposed grants would raise, the menu."""
    person: str                       # token
    holdings: Tuple[Record, ...]
    findings: Tuple[Finding, ...]     # evidence names a proposal "proposal/AGENCY:N"
    menu: Tuple[MenuItem, ...]
    journal_ignored: int              # journal lines cut short or failing their checksum

    @property
    def clear(self) -> bool:
        """No finding would arise."""
        return not self.findings


@dataclass(frozen=True)
class Explanation:
    """The answer to explain(): the finding with its evidence, and its rule."""
    result: Result
    rule: Rule


def new_struct(name: str) -> Any:
    """A zeroed C struct for the library to fill."""
    return ffi.new(name + " *")
