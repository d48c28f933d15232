"""Deadlines and their urgency, in one place, in Python and in SQL.

A case's *current deadline* is its acknowledgement date while it is received, then its feedback
date until it is closed; each interim measure in force is due for review on its review date. A
deadline is *overdue* the day after it and *due soon* from DUE_SOON_DAYS before. The same rule
is written twice, once per form, side by side: :func:`current_due` / :func:`current_due_sql`
and :func:`urgency_of` / :func:`urgency_sql` (tests/test_deadlines.py holds the two forms to
the same answers). Which deadline a transition sets is :mod:`redress.cases.workflow`'s.
"""

from __future__ import annotations

import enum
from datetime import date, timedelta

from sqlalchemy import ColumnElement, ScalarSelect, SQLColumnExpression, case, func, select

from redress.store.models import Case, CaseStatus, InterimMeasure, MeasureState

DUE_SOON_DAYS = 2


class Urgency(enum.StrEnum):
    OVERDUE = "overdue"
    DUE_SOON = "due_soon"


def acknowledgement_due(received_on: date, days: int) -> date:
    return received_on + timedelta(days=days)


def acknowledgement_days(received_on: date, acknowledgement_due: date) -> int:
    """The acknowledgement deadline a case was given, in days: the setting in force when it was
    received (a later change of the setting leaves it as it was)."""
    return (acknowledgement_due - received_on).days


def feedback_due(acknowledged_on: date, days: int) -> date:
    return acknowledged_on + timedelta(days=days)


def current_due(case_: Case) -> date | None:
    """The case's current deadline."""
    if case_.status is CaseStatus.RECEIVED:
        return case_.acknowledgement_due
    if case_.status is not CaseStatus.CLOSED:
        return case_.feedback_due
    return None


def current_due_sql() -> ColumnElement[date | None]:
    """The case's current deadline, in SQL (:func:`current_due`)."""
    return case(
        (Case.status == CaseStatus.RECEIVED, Case.acknowledgement_due),
        (Case.status != CaseStatus.CLOSED, Case.feedback_due),
        else_=None,
    )


def urgency_of(due: date | None, today: date) -> Urgency | None:
    """How near a deadline is: overdue the day after it, due soon from DUE_SOON_DAYS before."""
    if due is None:
        return None
    if due < today:
        return Urgency.OVERDUE
    if due <= today + timedelta(days=DUE_SOON_DAYS):
        return Urgency.DUE_SOON
    return None


def has_passed(due: date | None, today: date) -> bool:
    """Whether the deadline is overdue (:func:`urgency_of`): a task given a date already past,
    say."""
    return urgency_of(due, today) is Urgency.OVERDUE


def urgency_sql(due: SQLColumnExpression[date | None], today: date) -> ColumnElement[str | None]:
    """The urgency of a deadline, in SQL (:func:`urgency_of`)."""
    return case(
        (due < today, Urgency.OVERDUE.value),
        (due <= today + timedelta(days=DUE_SOON_DAYS), Urgency.DUE_SOON.value),
        else_=None,
    )


def due_within(
    due: SQLColumnExpression[date | None], level: Urgency, today: date
) -> ColumnElement[bool]:
    """True in SQL where the deadline has this urgency, as a date range an index can serve."""
    if level is Urgency.OVERDUE:
        return due < today
    return due.between(today, today + timedelta(days=DUE_SOON_DAYS))


def is_overdue(case_: Case, today: date) -> bool:
    return urgency_of(current_due(case_), today) is Urgency.OVERDUE


def next_review_sql() -> ScalarSelect[date]:
    """The earliest review date of the case's interim measures in force, in SQL."""
    return (
        select(func.min(InterimMeasure.review_on))
        .where(InterimMeasure.case_id == Case.id, InterimMeasure.state == MeasureState.IN_FORCE)
        .correlate(Case)
        .scalar_subquery()
    )
