"""Changing a case's status, optionally telling the reporter with a templated status update.

The transitions themselves are the rules of :mod:`redress.cases.workflow`; this service applies one
for a caseworker, posts the named system message (its translated text is in
:data:`redress.i18n.texts.SYSTEM_TEXTS`, the thread stores only the name) and audits the change.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.cases import workflow
from redress.cases.messages import append_message
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import Author, Case, CaseStatus, KeyKind

REOPENED = "status:reopened"


def update_template(current: CaseStatus, new: CaseStatus) -> str:
    """The name of the system message announcing a move from `current` to `new`."""
    return REOPENED if current is CaseStatus.CLOSED else f"status:{new.value}"


def next_statuses(current: CaseStatus) -> list[CaseStatus]:
    """The statuses a case may move to, in workflow order."""
    return [status for status in CaseStatus if status in workflow.ALLOWED_TRANSITIONS[current]]


def case_status(db: Session, case_id: str) -> CaseStatus:
    return db.get_one(Case, case_id).status


def change_case_status(
    db: Session,
    case_id: str,
    identity: StaffIdentity,
    new: CaseStatus,
    *,
    tell_reporter: bool,
    feedback_days: int,
) -> None:
    """Apply the transition, post the status update if asked, audit, commit.

    Raises NoKeyError if the case is not granted to this caseworker and
    workflow.TransitionError (with nothing changed) if the transition is not allowed.
    """
    thread_key = identity.case_key(db, case_id, KeyKind.THREAD)
    case = db.get_one(Case, case_id, with_for_update=True)
    current = case.status
    today = clock.today()
    workflow.change_status(case, new, today=today, feedback_days=feedback_days)
    if tell_reporter:
        append_message(
            db,
            case_id,
            thread_key,
            Author.SYSTEM,
            template=update_template(current, new),
            today=today,
        )
    audit.record(
        db,
        AuditAction.CASE_STATUS_CHANGED,
        identity.actor,
        case_id=case_id,
        detail={**{"from": current.value, "to": new.value}, "reporter_told": tell_reporter},
    )
