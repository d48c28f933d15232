"""Reading the reporter chain for auditors: entries newest first, with the day only.

The staff chain is paged and filtered by :mod:`redress.staff.administration`; the reporter chain
is short by comparison (one entry per report received) and is shown beside it.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from redress.store.models import Case, ReporterAuditEvent

PAGE_SIZE = 50


@dataclass(frozen=True)
class ReporterEventRow:
    seq: int
    occurred_on: date
    action: str
    case_id: str | None
    case_reference: str | None
    detail: str


@dataclass(frozen=True)
class ReporterEventsPage:
    rows: list[ReporterEventRow]
    page: int
    pages: int
    total: int


def _of_case(query: Select[Any], case: str) -> Select[Any]:
    if not case:
        return query
    by_reference = select(Case.id).where(Case.reference == case.upper())
    return query.where(
        or_(ReporterAuditEvent.case_id == case, ReporterAuditEvent.case_id.in_(by_reference))
    )


def reporter_events(db: Session, *, case: str = "", page: int = 1) -> ReporterEventsPage:
    """One page of the reporter chain, newest first; `case` (an id or a reference) narrows it."""
    total = db.scalar(_of_case(select(func.count()).select_from(ReporterAuditEvent), case)) or 0
    pages = max(1, -(-total // PAGE_SIZE))
    page = min(max(page, 1), pages)
    query = (
        _of_case(select(ReporterAuditEvent), case)
        .add_columns(Case.reference)
        .outerjoin(Case, Case.id == ReporterAuditEvent.case_id)
        .order_by(ReporterAuditEvent.seq.desc())
        .limit(PAGE_SIZE)
        .offset((page - 1) * PAGE_SIZE)
    )
    rows = [
        ReporterEventRow(
            event.seq, event.occurred_on, event.action, event.case_id, reference, event.detail
        )
        for event, reference in db.execute(query)
    ]
    return ReporterEventsPage(rows, page, pages, total)
