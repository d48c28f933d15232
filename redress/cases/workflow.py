"""Grievance workflow rules: the allowed status transitions and the dates each one sets.

The deadlines themselves, and how near they are, are redress.cases.deadlines's."""

from __future__ import annotations

from datetime import date

from redress.cases import deadlines
from redress.store.models import Case, CaseStatus

S = CaseStatus
ALLOWED_TRANSITIONS: dict[CaseStatus, frozenset[CaseStatus]] = {
    S.RECEIVED: frozenset({S.ACKNOWLEDGED}),
    S.ACKNOWLEDGED: frozenset({S.IN_ASSESSMENT, S.CLOSED}),
    S.IN_ASSESSMENT: frozenset({S.UNDER_INVESTIGATION, S.CLOSED}),
    S.UNDER_INVESTIGATION: frozenset({S.DECIDED, S.CLOSED}),
    S.DECIDED: frozenset({S.REMEDY_IN_PROGRESS, S.CLOSED}),
    S.REMEDY_IN_PROGRESS: frozenset({S.CLOSED}),
    # Reopening returns a closed case to assessment.
    S.CLOSED: frozenset({S.IN_ASSESSMENT}),
}


class TransitionError(Exception):
    def __init__(self, current: CaseStatus, requested: CaseStatus) -> None:
        super().__init__(f"a case cannot go from {current.value} to {requested.value}")
        self.current = current
        self.requested = requested


def change_status(case: Case, new: CaseStatus, *, today: date, feedback_days: int) -> None:
    """Move a case to `new`, setting the dates that transition implies."""
    if new not in ALLOWED_TRANSITIONS[case.status]:
        raise TransitionError(case.status, new)
    if new is S.ACKNOWLEDGED:
        case.acknowledged_on = today
        case.feedback_due = deadlines.feedback_due(today, feedback_days)
    if new is S.CLOSED:
        case.closed_on = today
    elif case.status is S.CLOSED:
        case.closed_on = None
    case.status = new
