"""Seeded cases (bench/bench_caselist.py's seeder) given deadlines and interim measures, so the
case list has one of each kind of urgency to flag and filter: shared by the direct tests of the
list's rules and the test of the list page."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.store.models import Case, CaseStatus, InterimMeasure, MeasureState


def deadline_setups(prefix: str, today: date) -> dict[str, dict[str, Any]]:
    """Statuses and deadlines for the six seeded cases ``{prefix}0000000`` to ``...5``: an
    acknowledgement overdue, due soon, not yet near; a feedback deadline overdue (the
    acknowledgement's, met long ago, no longer counts), due today; and a closed case, which
    has no deadline."""
    return {
        f"{prefix}0000000": {
            "status": CaseStatus.RECEIVED,
            "acknowledgement_due": today - timedelta(1),
        },
        f"{prefix}0000001": {
            "status": CaseStatus.RECEIVED,
            "acknowledgement_due": today + timedelta(2),
        },
        f"{prefix}0000002": {
            "status": CaseStatus.RECEIVED,
            "acknowledgement_due": today + timedelta(3),
        },
        f"{prefix}0000003": {
            "status": CaseStatus.UNDER_INVESTIGATION,
            "acknowledgement_due": today - timedelta(100),
            "feedback_due": today - timedelta(1),
        },
        f"{prefix}0000004": {"status": CaseStatus.DECIDED, "feedback_due": today},
        f"{prefix}0000005": {"status": CaseStatus.CLOSED, "feedback_due": today - timedelta(30)},
    }


def set_deadlines(db: Session, setups: dict[str, dict[str, Any]]) -> None:
    """Give each case, by reference, its values; committed."""
    for reference, values in setups.items():
        db.execute(update(Case).where(Case.reference == reference).values(**values))
    db.commit()


def add_measure(
    db: Session, reference: str, state: MeasureState, review_on: date, today: date
) -> None:
    """An interim measure on the case, proposed ten days ago, whose ciphertext the list never
    opens; not committed."""
    case_id = db.scalar(select(Case.id).where(Case.reference == reference))
    assert case_id is not None, reference
    db.add(
        InterimMeasure(
            case_id=case_id,
            state=state,
            review_on=review_on,
            proposed_on=today - timedelta(10),
            ciphertext=b"never opened by the list",
        )
    )
