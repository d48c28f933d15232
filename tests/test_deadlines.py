"""The deadline rule in Python and in SQL gives the same answers, day by day around each edge."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import literal, select
from sqlalchemy.orm import Session

from redress.cases import deadlines
from redress.cases.deadlines import Urgency
from redress.store.models import Case, CaseStatus, Reporter

TODAY = date(2026, 6, 15)


@pytest.mark.parametrize("offset", range(-3, 5))
def test_urgency_in_python_and_in_sql_agree(db: Session, offset: int) -> None:
    due = TODAY + timedelta(days=offset)
    in_sql = db.scalar(select(deadlines.urgency_sql(literal(due), TODAY)))
    in_python = deadlines.urgency_of(due, TODAY)
    assert in_sql == (in_python.value if in_python else None)
    for level in Urgency:
        within = db.scalar(select(deadlines.due_within(literal(due), level, TODAY)))
        assert bool(within) == (in_python is level), (offset, level)


def test_the_edges_of_the_rule() -> None:
    assert deadlines.urgency_of(TODAY - timedelta(days=1), TODAY) is Urgency.OVERDUE
    assert deadlines.urgency_of(TODAY, TODAY) is Urgency.DUE_SOON
    assert deadlines.urgency_of(TODAY + timedelta(days=deadlines.DUE_SOON_DAYS), TODAY) is (
        Urgency.DUE_SOON
    )
    assert deadlines.urgency_of(TODAY + timedelta(days=deadlines.DUE_SOON_DAYS + 1), TODAY) is None
    assert deadlines.urgency_of(None, TODAY) is None


def test_the_current_deadline_in_python_and_in_sql_agree(db: Session) -> None:
    reporter = Reporter(lookup_token=bytes(32), public_key=bytes(32), created_on=TODAY)
    db.add(reporter)
    db.flush()
    for number, status in enumerate(CaseStatus):
        db.add(
            Case(
                reference=f"REF{number}",
                reporter_id=reporter.id,
                status=status,
                received_on=TODAY,
                acknowledgement_due=TODAY + timedelta(days=7),
                feedback_due=TODAY + timedelta(days=90),
            )
        )
    db.flush()
    rows = db.execute(select(Case, deadlines.current_due_sql())).all()
    assert len(rows) == len(CaseStatus)
    for case, in_sql in rows:
        assert in_sql == deadlines.current_due(case), case.status
    assert {deadlines.current_due(case) for case, _ in rows} == {
        TODAY + timedelta(days=7),
        TODAY + timedelta(days=90),
        None,
    }
