"""Grievance workflow rules: allowed status transitions and deadlines, enforced here."""

from __future__ import annotations

from datetime import date, timedelta

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


def acknowledgement_due(received_on: date, days: int) -> date:
    return received_on + timedelta(days=days)


def change_status(case: Case, new: CaseStatus, *, today: date, feedback_days: int) -> None:
    """Move a case to `new`, setting the dates that transition implies."""
    if new not in ALLOWED_TRANSITIONS[case.status]:
        raise TransitionError(case.status, new)
    if new is S.ACKNOWLEDGED:
        case.acknowledged_on = today
        case.feedback_due = today + timedelta(days=feedback_days)
    if new is S.CLOSED:
        case.closed_on = today
    elif case.status is S.CLOSED:
        case.closed_on = None
    case.status = new


def is_overdue(case: Case, today: date) -> bool:
    if case.status is S.RECEIVED:
        return today > case.acknowledgement_due
    if case.status is not S.CLOSED and case.feedback_due is not None:
        return today > case.feedback_due
    return False
