"""Interim measures: proposed by a caseworker, put in force by a second person, reviewed, lifted.

A caseworker or approver holding a case proposes a measure (suspend updates, suspend support,
remote disable) with a rationale and a review date. An approver other than the proposer who
holds the case, and so can read the rationale, approves or rejects it. Anyone holding the case
reviews a measure in force: renews it to a new review date or lifts it, giving a reason.

Who can read what: the kind and rationale, and the review log (renewals and lifting with their
reasons), are under the case's internal key (granted caseworkers and approvers, the recovery
key); the workflow (state, review date, who and which day) is in clear for deadlines. The kind
is encrypted too, so a stolen database does not tell which case led to a remote disable; audit
entries name the measure only.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from redress import audit
from redress.audit import AuditAction
from redress.casework import approvals
from redress.keys import casekeys, contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import (
    Caseworker,
    InterimMeasure,
    KeyKind,
    MeasureState,
    new_id,
)

TEXT_MAX_LENGTH = 5000
# A review date must fall after today and at most this far ahead: a measure is interim.
REVIEW_MAX_DAYS = 366
ACTIVE = (MeasureState.PROPOSED, MeasureState.IN_FORCE)


class MeasureKind(enum.StrEnum):
    """What a measure does; stored encrypted only."""

    SUSPEND_UPDATES = "suspend_updates"
    SUSPEND_SUPPORT = "suspend_support"
    REMOTE_DISABLE = "remote_disable"


class ReviewAction(enum.StrEnum):
    RENEWED = "renewed"
    LIFTED = "lifted"


_REVIEW_ACTIONS = {
    ReviewAction.RENEWED: AuditAction.MEASURE_RENEWED,
    ReviewAction.LIFTED: AuditAction.MEASURE_LIFTED,
}


class MeasureError(Exception):
    """A refused step on an interim measure; the message is shown as it is."""


class ReviewDateError(MeasureError):
    """The review date is not after today, or too far ahead."""


class MeasureTextError(MeasureError):
    """An empty or over-long rationale or reason."""


class UnknownMeasureError(MeasureError):
    """No such measure on this case (a forged or stale id)."""


class NotInForceError(MeasureError):
    """Only a measure in force can be renewed or lifted."""


class UnreadableMeasureError(MeasureError, approvals.ApprovalError):
    """The measure's ciphertext failed its integrity check, so it cannot be acted on."""


@dataclass(frozen=True)
class Review:
    action: ReviewAction
    on: date
    by: str | None
    reason: str
    # The new review date of a renewal.
    review_on: date | None


@dataclass(frozen=True)
class MeasureView:
    id: str
    state: MeasureState
    review_on: date
    proposed_by: str | None
    proposed_on: date
    decided_by: str | None
    decided_on: date | None
    lifted_by: str | None
    lifted_on: date | None
    own: bool
    # None when the ciphertext failed its integrity check.
    kind: MeasureKind | None
    rationale: str | None
    # None when the review log failed its integrity check.
    reviews: tuple[Review, ...] | None

    @property
    def intact(self) -> bool:
        return self.kind is not None and self.reviews is not None


@dataclass(frozen=True)
class PendingMeasure:
    """A proposal in the approvals queue, on a case the approver holds."""

    id: str
    case_id: str
    reference: str
    proposer: str | None
    proposed_on: date
    review_on: date
    own: bool
    # None when the ciphertext failed its integrity check.
    kind: MeasureKind | None
    rationale: str | None

    @property
    def intact(self) -> bool:
        return self.kind is not None


def _checked_text(text: str) -> str:
    if not text.strip() or len(text) > TEXT_MAX_LENGTH:
        raise MeasureTextError(f"Please write 1 to {TEXT_MAX_LENGTH} characters.")
    return text


def _checked_date(review_on: date) -> date:
    today = clock.today()
    if not today < review_on <= today + timedelta(days=REVIEW_MAX_DAYS):
        raise ReviewDateError(
            f"The review date must be after today and within {REVIEW_MAX_DAYS} days."
        )
    return review_on


def _content(key: bytes, measure: InterimMeasure) -> tuple[MeasureKind, str] | None:
    """The kind and rationale, or None if they failed their integrity check."""
    try:
        context = contexts.interim_measure(measure.case_id, measure.id)
        data = open_record(key, measure.ciphertext, context)
        return MeasureKind(data["kind"]), str(data["rationale"])
    except (UnreadableRecordError, ValueError, KeyError, TypeError):
        return None


def _review_log(key: bytes, measure: InterimMeasure) -> list[dict[str, str]] | None:
    """The stored review entries, or None if they failed their integrity check."""
    if measure.encrypted_reviews is None:
        return [] if measure.review_count == 0 else None
    context = contexts.interim_measure_reviews(measure.case_id, measure.id, measure.review_count)
    try:
        entries = open_record(key, measure.encrypted_reviews, context)["reviews"]
        if not isinstance(entries, list) or len(entries) != measure.review_count:
            return None
        return [{str(name): str(value) for name, value in entry.items()} for entry in entries]
    except (UnreadableRecordError, ValueError, KeyError, TypeError, AttributeError):
        return None


def propose(
    db: Session,
    case_id: str,
    identity: StaffIdentity,
    kind: MeasureKind,
    rationale: str,
    review_on: date,
) -> str:
    """Record a proposal awaiting a second person; audited. NoKeyError if not granted,
    ReviewDateError or MeasureTextError for a bad date or text (nothing stored then)."""
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    measure_id = new_id()
    data = {"kind": kind.value, "rationale": _checked_text(rationale)}
    db.add(
        InterimMeasure(
            id=measure_id,
            case_id=case_id,
            state=MeasureState.PROPOSED,
            review_on=_checked_date(review_on),
            proposed_by=identity.caseworker_id,
            proposed_on=clock.today(),
            ciphertext=seal_record(key, data, contexts.interim_measure(case_id, measure_id)),
        )
    )
    audit.record(
        db,
        AuditAction.MEASURE_PROPOSED,
        identity.actor,
        case_id=case_id,
        detail={"measure": measure_id},
    )
    return measure_id


def _locked(db: Session, case_id: str, measure_id: str) -> InterimMeasure:
    measure = db.scalar(
        select(InterimMeasure)
        .where(InterimMeasure.id == measure_id, InterimMeasure.case_id == case_id)
        .with_for_update()
    )
    if measure is None:
        raise UnknownMeasureError(measure_id)
    return measure


def _settle(measure: InterimMeasure, approve: bool, by: str, at: datetime) -> None:
    measure.state = MeasureState.IN_FORCE if approve else MeasureState.REJECTED
    measure.decided_by = by
    measure.decided_on = at.date()


STEP = approvals.Step(
    model=InterimMeasure,
    proposer=InterimMeasure.proposed_by,
    proposed=InterimMeasure.proposed_on,
    state=InterimMeasure.state,
    awaiting=MeasureState.PROPOSED,
    held=KeyKind.INTERNAL,
    settle=_settle,
    approved=AuditAction.MEASURE_APPROVED,
    rejected=AuditAction.MEASURE_REJECTED,
    noun="measure",
    own_item="Another approver must decide your own proposal.",
    decided_before="This proposal was already decided.",
)


def decide(
    db: Session, case_id: str, measure_id: str, identity: StaffIdentity, *, approve: bool
) -> None:
    """An approver's decision on a proposal they can read (redress.casework.approvals).

    NoKeyError if they do not hold the case; UnreadableMeasureError when approving a proposal
    that failed its integrity check (it can still be rejected).
    """
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)

    def readable(measure: InterimMeasure) -> None:
        if _content(key, measure) is None:
            raise UnreadableMeasureError(
                "This item failed an integrity check; it cannot be approved."
            )

    approvals.decide(db, STEP, case_id, measure_id, identity, approve=approve, check=readable)


def review(
    db: Session,
    case_id: str,
    measure_id: str,
    identity: StaffIdentity,
    reason: str,
    *,
    renew_to: date | None,
) -> None:
    """Renew a measure in force to `renew_to`, or lift it (renew_to None), with a reason.

    Audited. NoKeyError if not granted, UnknownMeasureError, NotInForceError, ReviewDateError,
    MeasureTextError, or UnreadableMeasureError if its review log failed its integrity check.
    """
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    measure = _locked(db, case_id, measure_id)
    if measure.state is not MeasureState.IN_FORCE:
        raise NotInForceError("Only a measure in force can be renewed or lifted.")
    entries = _review_log(key, measure)
    if entries is None:
        raise UnreadableMeasureError("This item failed an integrity check; it cannot be reviewed.")
    action = ReviewAction.LIFTED if renew_to is None else ReviewAction.RENEWED
    today = clock.today()
    entry = {"action": action.value, "on": today.isoformat(), "by": identity.caseworker_id}
    entry["reason"] = _checked_text(reason)
    if renew_to is None:
        measure.state = MeasureState.LIFTED
        measure.lifted_by = identity.caseworker_id
        measure.lifted_on = today
    else:
        measure.review_on = _checked_date(renew_to)
        entry["review_on"] = renew_to.isoformat()
    entries.append(entry)
    measure.review_count = len(entries)
    context = contexts.interim_measure_reviews(case_id, measure.id, measure.review_count)
    measure.encrypted_reviews = seal_record(key, {"reviews": entries}, context)
    audit.record(
        db, _REVIEW_ACTIONS[action], identity.actor, case_id=case_id, detail={"measure": measure.id}
    )


def _reviews(
    entries: list[dict[str, str]] | None, names: dict[str, str]
) -> tuple[Review, ...] | None:
    if entries is None:
        return None
    try:
        return tuple(
            Review(
                ReviewAction(entry["action"]),
                date.fromisoformat(entry["on"]),
                names.get(entry["by"]),
                entry["reason"],
                date.fromisoformat(entry["review_on"]) if "review_on" in entry else None,
            )
            for entry in entries
        )
    except (KeyError, ValueError):
        return None


def _names(db: Session, ids: set[str | None]) -> dict[str, str]:
    """Usernames of the given caseworkers (one query)."""
    wanted = {found for found in ids if found}
    if not wanted:
        return {}
    rows = db.execute(select(Caseworker.id, Caseworker.username).where(Caseworker.id.in_(wanted)))
    return {worker_id: username for worker_id, username in rows}


def list_for_case(db: Session, case_id: str, identity: StaffIdentity) -> list[MeasureView]:
    """The case's measures, decrypted: proposed and in force first, soonest review first, then
    the rejected and lifted ones. Integrity failures are audited (their count). NoKeyError if
    the case is not granted."""
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    measures = db.scalars(select(InterimMeasure).where(InterimMeasure.case_id == case_id)).all()
    opened = [(m, _content(key, m), _review_log(key, m)) for m in measures]
    names = _names(
        db,
        {
            *(who for m in measures for who in (m.proposed_by, m.decided_by, m.lifted_by)),
            *(entry.get("by") for _m, _c, log in opened for entry in log or ()),
        },
    )
    views = [
        MeasureView(
            measure.id,
            measure.state,
            measure.review_on,
            names.get(measure.proposed_by or ""),
            measure.proposed_on,
            names.get(measure.decided_by or ""),
            measure.decided_on,
            names.get(measure.lifted_by or ""),
            measure.lifted_on,
            measure.proposed_by == identity.caseworker_id,
            content[0] if content else None,
            content[1] if content else None,
            _reviews(log, names),
        )
        for measure, content, log in opened
    ]
    views.sort(key=lambda m: (m.state not in ACTIVE, m.review_on, m.id))
    _record_failures(db, identity, sum(not view.intact for view in views), case_id)
    return views


def _record_failures(
    db: Session, identity: StaffIdentity, failures: int, case_id: str | None = None
) -> None:
    if failures:
        audit.record(
            db,
            AuditAction.MEASURE_INTEGRITY_FAILED,
            identity.actor,
            case_id=case_id,
            detail={"integrity_failures": failures},
        )


def pending(db: Session, identity: StaffIdentity) -> list[PendingMeasure]:
    """Proposals on cases this approver holds (not excluded from), oldest first, decrypted.

    Integrity failures are audited (their count).
    """
    me = identity.caseworker_id
    found = []
    for measure, reference, username, sealed in approvals.pending(db, STEP, identity):
        content = None
        if sealed is not None:
            try:
                key = casekeys.open_caseworker_copy(
                    sealed, measure.case_id, KeyKind.INTERNAL, me, identity.keypair
                )
            except CryptoError:
                pass
            else:
                content = _content(key, measure)
        found.append(
            PendingMeasure(
                measure.id,
                measure.case_id,
                reference,
                username,
                measure.proposed_on,
                measure.review_on,
                measure.proposed_by == me,
                content[0] if content else None,
                content[1] if content else None,
            )
        )
    _record_failures(db, identity, sum(not item.intact for item in found))
    return found
