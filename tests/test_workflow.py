"""Workflow rules: allowed transitions, deadlines and overdue cases."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from redress.cases.deadlines import acknowledgement_due, is_overdue
from redress.cases.workflow import ALLOWED_TRANSITIONS, TransitionError, change_status
from redress.store.models import Case, CaseStatus

RECEIVED = date(2026, 3, 2)


def received_case() -> Case:
    return Case(
        status=CaseStatus.RECEIVED,
        received_on=RECEIVED,
        acknowledgement_due=acknowledgement_due(RECEIVED, 7),
    )


def test_full_path_sets_dates() -> None:
    case = received_case()
    acknowledged = RECEIVED + timedelta(days=2)
    change_status(case, CaseStatus.ACKNOWLEDGED, today=acknowledged, feedback_days=90)
    assert case.acknowledged_on == acknowledged
    assert case.feedback_due == acknowledged + timedelta(days=90)
    for status in (
        CaseStatus.IN_ASSESSMENT,
        CaseStatus.UNDER_INVESTIGATION,
        CaseStatus.DECIDED,
        CaseStatus.REMEDY_IN_PROGRESS,
        CaseStatus.CLOSED,
    ):
        change_status(case, status, today=acknowledged, feedback_days=90)
    assert case.closed_on == acknowledged
    change_status(case, CaseStatus.IN_ASSESSMENT, today=acknowledged, feedback_days=90)
    assert case.closed_on is None


@pytest.mark.parametrize(
    ("start", "target"),
    [
        (start, target)
        for start in CaseStatus
        for target in CaseStatus
        if target not in ALLOWED_TRANSITIONS[start]
    ],
)
def test_every_other_transition_is_refused(start: CaseStatus, target: CaseStatus) -> None:
    case = received_case()
    case.status = start
    with pytest.raises(TransitionError):
        change_status(case, target, today=RECEIVED, feedback_days=90)
    assert case.status is start


def test_overdue_acknowledgement_and_feedback() -> None:
    case = received_case()
    assert not is_overdue(case, RECEIVED + timedelta(days=7))
    assert is_overdue(case, RECEIVED + timedelta(days=8))
    change_status(case, CaseStatus.ACKNOWLEDGED, today=RECEIVED, feedback_days=90)
    assert not is_overdue(case, RECEIVED + timedelta(days=90))
    assert is_overdue(case, RECEIVED + timedelta(days=91))
