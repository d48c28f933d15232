"""The case list: the cases a caseworker holds, filtered, sorted and paged, with their deadlines.

A case is listed only if the caseworker holds a sealed copy of its thread key and is not excluded
from it (conflict of interest). Nothing is decrypted here: status, dates and the assignee are
kept in clear, unread messages are counted from their flags, and the classification filters
(category, product, customer, country) match blind-index digests under the organisation index
key, which the caseworker must hold (:mod:`redress.keys.blind_index`).

A page costs a fixed number of queries whatever its size and depth: one for the index key, one
for the counts per status (from which the total is taken), one for the page's rows (unread counts
and deadline urgency computed in SQL for those rows only) and, past the first page, one for the
sort values of the case the page starts after or ends before.

Pages are found by keyset ("seek"), not by offset: a link to the next page names the last case
shown, and the next page is the PAGE_SIZE cases that sort after it. The database then starts
reading where the previous page stopped, so page 1000 costs what page 1 costs, and cases arriving
meanwhile shift no row between pages. The page *number* is only carried in the links, for display.

Deadlines and their urgency are :mod:`redress.cases.deadlines`'s: the list shows and filters by the
urgency of each case's current deadline and of the earliest review date of its interim measures
in force, in SQL, by the same rule the rest of Redress applies in Python.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, TypeVar

from sqlalchemy import (
    ColumnElement,
    Select,
    SQLColumnExpression,
    and_,
    false,
    func,
    or_,
    select,
)
from sqlalchemy.orm import Session

from redress.cases.deadlines import (
    Urgency,
    current_due_sql,
    due_within,
    next_review_sql,
    urgency_of,
    urgency_sql,
)
from redress.casework.triage import cases_matching
from redress.keys import casekeys
from redress.keys.blind_index import NoIndexKeyError, open_index_key
from redress.keys.permissions import CASE_HOLDING_ROLES
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import (
    Author,
    Case,
    CaseExclusion,
    CaseKey,
    CaseStatus,
    Caseworker,
    InterimMeasure,
    KeyKind,
    MeasureState,
    Message,
)
from redress.store.models import Recipient as R

PAGE_SIZE = 50
# The classification facets the list filters on, through blind indexes.
FILTER_FACETS = ("category", "product", "customer", "country")
ME = "me"
UNASSIGNED = "none"
# Any select the list's filters can be applied to.
_Q = TypeVar("_Q", bound="Select[*tuple[Any, ...]]")


@dataclass(frozen=True)
class Position:
    """Which page: the first; the one after or before a case (its id, from a page link); or the
    last. `number` is the page number the link carries, for display only."""

    number: int = 1
    after: str | None = None
    before: str | None = None
    last: bool = False


class Sort(enum.StrEnum):
    NEWEST = "newest"
    OLDEST = "oldest"
    DEADLINE = "deadline"
    ACKNOWLEDGEMENT_DUE = "acknowledgement_due"
    FEEDBACK_DUE = "feedback_due"
    REFERENCE = "reference"


@dataclass(frozen=True)
class CaseFilter:
    """What to list. `assignee` is "" (anyone), ME, UNASSIGNED or a caseworker id; `facets`
    maps some of FILTER_FACETS to a value; empty values filter nothing."""

    status: CaseStatus | None = None
    assignee: str = ""
    facets: Mapping[str, str] = field(default_factory=dict)
    urgency: Urgency | None = None
    unread: bool = False
    sort: Sort = Sort.NEWEST
    position: Position = field(default_factory=Position)

    def __post_init__(self) -> None:
        unknown = set(self.facets) - set(FILTER_FACETS)
        if unknown:
            raise ValueError(f"not a list filter: {', '.join(sorted(unknown))}")

    def used(self) -> list[str]:
        """The names of the filters in use (for the audit log: names only, never values)."""
        plain = {
            "status": self.status,
            "assignee": self.assignee,
            "urgency": self.urgency,
            "unread": self.unread,
        }
        facets = {name: value.strip() for name, value in self.facets.items()}
        return [name for name, value in {**plain, **facets}.items() if value]


@dataclass(frozen=True)
class CaseRow:
    id: str
    reference: str
    status: CaseStatus
    received_on: date
    acknowledgement_due: date
    acknowledged_on: date | None
    feedback_due: date | None
    assignee: str | None
    unread: int
    # The urgency of the case's current deadline (acknowledgement or feedback), if any.
    urgency: Urgency | None
    # The earliest review date of its interim measures in force, and its urgency.
    review_on: date | None
    review_urgency: Urgency | None

    @property
    def stands_out(self) -> Urgency | None:
        """The more pressing of the deadline's and the review's urgency."""
        levels = {self.urgency, self.review_urgency}
        return next((level for level in Urgency if level in levels), None)

    @property
    def acknowledgement_urgency(self) -> Urgency | None:
        return self.urgency if self.status is CaseStatus.RECEIVED else None

    @property
    def feedback_urgency(self) -> Urgency | None:
        return None if self.status is CaseStatus.RECEIVED else self.urgency


@dataclass(frozen=True)
class CasePage:
    rows: list[CaseRow]
    page: int
    pages: int
    total: int
    # Per status, with every filter but the status applied; zero counts included.
    counts: dict[CaseStatus, int]
    # False when the caseworker holds no index key yet: classification filters were ignored.
    facets_available: bool
    # The boundary cases for the previous and next links; None where there is no such page.
    previous_before: str | None
    next_after: str | None


OPEN = tuple(status for status in CaseStatus if status is not CaseStatus.CLOSED)
# A reporter's message no caseworker has read yet.
_UNREAD_MESSAGE = and_(Message.author == Author.REPORTER, Message.read_by_caseworkers.is_(False))


# Each sort as (expression, descending) keys, ending with the unique reference so the order is
# total. A nullable key follows its own IS NULL flag, and the first key is never NULL: _beyond
# relies on both.
SortKeys = tuple[tuple[SQLColumnExpression[Any], bool], ...]
_KEYS: dict[Sort, SortKeys] = {
    Sort.NEWEST: ((Case.received_on, True), (Case.reference, False)),
    Sort.OLDEST: ((Case.received_on, False), (Case.reference, False)),
    Sort.DEADLINE: (
        (current_due_sql().is_(None), False),
        (current_due_sql(), False),
        (Case.reference, False),
    ),
    Sort.ACKNOWLEDGEMENT_DUE: ((Case.acknowledgement_due, False), (Case.reference, False)),
    Sort.FEEDBACK_DUE: (
        (Case.feedback_due.is_(None), False),
        (Case.feedback_due, False),
        (Case.reference, False),
    ),
    Sort.REFERENCE: ((Case.reference, False),),
}


def _order(keys: SortKeys, backwards: bool) -> list[SQLColumnExpression[Any]]:
    return [
        expression.desc() if descending != backwards else expression.asc()
        for expression, descending in keys
    ]


def _after_value(
    expression: SQLColumnExpression[Any], value: Any, descending: bool
) -> ColumnElement[bool] | None:
    """Rows whose key sorts strictly after `value`; None when none can (a NULL value, or the
    last of a flag's two values). A flag (an IS NULL test) sorts false before true."""
    if isinstance(value, bool):
        if value is not descending:  # nothing after true ascending, or after false descending
            return None
        return expression.is_(not value)
    later: ColumnElement[bool] = expression < value if descending else expression > value
    return later


def _beyond(keys: SortKeys, boundary: tuple[Any, ...], backwards: bool) -> ColumnElement[bool]:
    """The rows that sort after the boundary row's values (before them when `backwards`).

    Lexicographic: after it on the first key, or equal on it and after it on the second, and so
    on. A NULL boundary value opens no branch, since every row equal on the keys before it (its
    IS NULL flag) is NULL there too. A first key that is a plain value is also bounded on its
    own, so an index on it can seek to the boundary.
    """
    branches = []
    for position, ((expression, descending), value) in enumerate(zip(keys, boundary, strict=True)):
        later = None if value is None else _after_value(expression, value, descending != backwards)
        if later is not None:
            ties = [
                earlier.is_not_distinct_from(tied)
                for (earlier, _), tied in zip(keys[:position], boundary, strict=False)
            ]
            branches.append(and_(*ties, later))
    if not branches:
        return false()
    (first, descending), start = keys[0], boundary[0]
    if isinstance(start, bool):
        return or_(*branches)
    seek = first <= start if descending != backwards else first >= start
    return and_(seek, or_(*branches))


def _with_urgency(level: Urgency, today: date) -> ColumnElement[bool]:
    """Cases whose current deadline or earliest review date has this urgency, as
    redress.cases.deadlines tells, written as date ranges the indexes and planners can use."""

    def within(due: SQLColumnExpression[date | None], urgent: Urgency) -> ColumnElement[bool]:
        return due_within(due, urgent, today)

    def reviews(urgent: Urgency) -> Select[str]:
        in_force = InterimMeasure.state == MeasureState.IN_FORCE
        return select(InterimMeasure.case_id).where(
            in_force, within(InterimMeasure.review_on, urgent)
        )

    review: ColumnElement[bool] = Case.id.in_(reviews(level))
    if level is Urgency.DUE_SOON:  # the earliest review counts: an overdue one outranks it
        review = and_(review, ~Case.id.in_(reviews(Urgency.OVERDUE)))
    return or_(
        and_(Case.status == CaseStatus.RECEIVED, within(Case.acknowledgement_due, level)),
        and_(Case.status != CaseStatus.RECEIVED, within(Case.feedback_due, level)),
        review,
    )


def _copies_of(caseworker_id: str) -> ColumnElement[bool]:
    """The caseworker's sealed copies of thread keys: one per case they can list."""
    return and_(
        CaseKey.caseworker_id == caseworker_id,
        CaseKey.recipient == R.CASEWORKER,
        CaseKey.kind == KeyKind.THREAD,
    )


def _holds_key(case_id: Any, caseworker_id: str) -> ColumnElement[bool]:
    """The caseworker's sealed copy of the case's thread key (one at most per case)."""
    return and_(_copies_of(caseworker_id), CaseKey.case_id == case_id)


def _visible(query: _Q, caseworker_id: str) -> _Q:
    """Only cases whose thread key is sealed to the caseworker, who is not excluded.

    A semi-join (EXISTS), so a page sorted by an indexed column can stop after its rows.
    """
    holds_key = select(CaseKey.case_id).where(_holds_key(Case.id, caseworker_id)).exists()
    return query.where(holds_key, ~casekeys.excluded(Case.id, caseworker_id))


def _counts_of_all(db: Session, caseworker_id: str) -> dict[CaseStatus, int]:
    """Counts per status of every case the caseworker can list, in one pass over their keys.

    Closed cases pile up over the years while open ones stay few: each of the caseworker's
    thread-key copies is joined to its case only if the case is open, and the copies left
    unjoined are the closed cases, counted without reading them.
    """
    query = (
        select(Case.status, func.count())
        .select_from(CaseKey)
        .outerjoin(Case, and_(Case.id == CaseKey.case_id, Case.status.in_(OPEN)))
        .where(_copies_of(caseworker_id), ~casekeys.excluded(CaseKey.case_id, caseworker_id))
        .group_by(Case.status)
    )
    counts = dict.fromkeys(CaseStatus, 0)
    for status, count in db.execute(query):
        counts[status or CaseStatus.CLOSED] += count
    return counts


def _visible_total(db: Session, caseworker_id: str) -> int:
    """How many cases the caseworker can list, counted from their keys alone: their copies of
    thread keys, less those of cases they are excluded from."""
    copies = select(func.count()).where(_copies_of(caseworker_id))
    stale = select(func.count()).where(
        CaseExclusion.caseworker_id == caseworker_id,
        select(CaseKey.case_id).where(_holds_key(CaseExclusion.case_id, caseworker_id)).exists(),
    )
    return db.scalar(select(copies.scalar_subquery() - stale.scalar_subquery())) or 0


def _index_key(db: Session, identity: StaffIdentity) -> bytes | None:
    try:
        return open_index_key(db, identity.caseworker_id, identity.keypair)
    except NoIndexKeyError:
        return None


def _filtered(
    db: Session,
    query: _Q,
    filters: CaseFilter,
    identity: StaffIdentity,
    index_key: bytes | None,
    today: date,
) -> _Q:
    """Every filter but the status."""
    query = _visible(query, identity.caseworker_id)
    if filters.assignee == UNASSIGNED:
        query = query.where(Case.assignee_id.is_(None))
    elif filters.assignee:
        assignee = identity.caseworker_id if filters.assignee == ME else filters.assignee
        query = query.where(Case.assignee_id == assignee)
    if index_key is not None:
        for facet, value in filters.facets.items():
            if value.strip():
                query = query.where(Case.id.in_(cases_matching(db, index_key, facet, value)))
    if filters.urgency is not None:
        # Implied (a closed case has no deadline), said outright for the status index.
        query = query.where(Case.status.in_(OPEN), _with_urgency(filters.urgency, today))
    if filters.unread:
        # Joined, so the few cases with unread messages drive the query.
        unread = select(Message.case_id).where(_UNREAD_MESSAGE).distinct().subquery()
        query = query.join(unread, unread.c.case_id == Case.id)
    return query


def _counts(
    db: Session, caseworker_id: str, query: Select[CaseStatus, int], narrowed: bool
) -> dict[CaseStatus, int]:
    """Counts per status, with every filter but the status applied.

    Closed cases pile up over the years while open ones stay few, so without filters closed
    cases are never read: PostgreSQL counts them in one pass over the caseworker's keys
    (_counts_of_all); SQLite, whose joins cost more per row but whose index scans cost less,
    counts the open cases and takes them from a count of the caseworker's keys
    (_visible_total). bench/bench_caselist.py measured each way on both engines.
    """
    one_pass = not narrowed and db.get_bind().dialect.name == "postgresql"
    if one_pass:
        return _counts_of_all(db, caseworker_id)
    counts = dict.fromkeys(CaseStatus, 0)
    if not narrowed:
        query = query.where(Case.status.in_(OPEN))
    for status, count in db.execute(query.group_by(Case.status)):
        counts[status] = count
    if not narrowed:
        counts[CaseStatus.CLOSED] = _visible_total(db, caseworker_id) - sum(counts.values())
    return counts


def _boundary(
    db: Session, caseworker_id: str, keys: SortKeys, case_id: str
) -> tuple[Any, ...] | None:
    """The sort values of a case the caseworker can list, or None (a stale or forged link)."""
    query = _visible(select(*(expression for expression, _ in keys)), caseworker_id)
    row = db.execute(query.where(Case.id == case_id)).first()
    return tuple(row) if row is not None else None


@dataclass(frozen=True)
class _Seek:
    """How the page's rows are read: backwards (for a previous or the last page), and whether
    from a boundary case."""

    query: Select[str]
    size: int
    backwards: bool
    anchored: bool


def _seek(
    db: Session,
    chosen: Select[str],
    keys: SortKeys,
    position: Position,
    caseworker_id: str,
    last_page_size: int,
) -> _Seek:
    """The query for the page's ids, one more than a page to tell whether another page lies
    beyond it in reading direction."""
    if position.last:
        query = chosen.order_by(*_order(keys, True)).limit(last_page_size + 1)
        return _Seek(query, last_page_size, backwards=True, anchored=False)
    cursor = position.after or position.before
    boundary = _boundary(db, caseworker_id, keys, cursor) if cursor else None
    backwards = boundary is not None and not position.after
    if boundary is not None:
        chosen = chosen.where(_beyond(keys, boundary, backwards))
    query = chosen.order_by(*_order(keys, backwards)).limit(PAGE_SIZE + 1)
    return _Seek(query, PAGE_SIZE, backwards, anchored=boundary is not None)


def list_page(db: Session, identity: StaffIdentity, filters: CaseFilter) -> CasePage:
    """One page of the caseworker's cases (PAGE_SIZE rows), with the counts per status."""
    today = clock.today()
    index_key = _index_key(db, identity)
    narrowed = bool(
        filters.assignee
        or filters.urgency
        or filters.unread
        or (index_key and any(value.strip() for value in filters.facets.values()))
    )
    counts = _counts(
        db,
        identity.caseworker_id,
        _filtered(db, select(Case.status, func.count()), filters, identity, index_key, today),
        narrowed,
    )
    total = counts[filters.status] if filters.status else sum(counts.values())
    pages = max(1, -(-total // PAGE_SIZE))
    keys = _KEYS[filters.sort]
    chosen = _filtered(db, select(Case.id), filters, identity, index_key, today)
    if filters.status:
        chosen = chosen.where(Case.status == filters.status)
    position = filters.position
    seek = _seek(
        db, chosen, keys, position, identity.caseworker_id, total - (pages - 1) * PAGE_SIZE
    )
    ids = seek.query.subquery()
    unread = (
        select(func.count())
        .where(Message.case_id == Case.id, _UNREAD_MESSAGE)
        .correlate(Case)
        .scalar_subquery()
    )
    query = (
        select(
            Case,
            Caseworker.username,
            unread,
            urgency_sql(current_due_sql(), today),
            next_review_sql(),
        )
        .join(ids, ids.c.id == Case.id)
        .outerjoin(Caseworker, Caseworker.id == Case.assignee_id)
        .order_by(*_order(keys, seek.backwards))
    )
    found = list(db.execute(query))
    if seek.anchored and not found:
        # Nothing left beyond the boundary (cases changed since the link was made).
        fallback = Position(last=True) if position.after else Position()
        return list_page(db, identity, replace(filters, position=fallback))
    beyond = len(found) > seek.size  # another page lies beyond this one, reading on
    found = found[: seek.size]
    if seek.backwards:
        found.reverse()
    rows = [
        CaseRow(
            case.id,
            case.reference,
            case.status,
            case.received_on,
            case.acknowledgement_due,
            case.acknowledged_on,
            case.feedback_due,
            assignee,
            unread_count,
            Urgency(level) if level else None,
            review_on,
            urgency_of(review_on, today),
        )
        for case, assignee, unread_count, level, review_on in found
    ]
    has_previous = beyond if seek.backwards else seek.anchored
    has_next = seek.anchored if seek.backwards else beyond
    if not has_previous:
        number = 1
    elif not has_next:
        number = pages
    else:
        number = min(max(position.number, 2), max(pages - 1, 2))
    return CasePage(
        rows,
        number,
        pages,
        total,
        counts,
        index_key is not None,
        previous_before=rows[0].id if has_previous else None,
        next_after=rows[-1].id if has_next else None,
    )


def colleagues(db: Session) -> list[tuple[str, str]]:
    """(id, username) of the staff who can hold cases, for choosing an assignee."""
    return [
        (worker_id, username)
        for worker_id, username in db.execute(
            select(Caseworker.id, Caseworker.username)
            .where(Caseworker.role.in_(CASE_HOLDING_ROLES))
            .order_by(Caseworker.username)
        )
    ]
