"""Disclosing a reporter's confidential identity: request, second-person decision, audited views.

Who can read what:
- the written reason: holders of the case's internal key (granted caseworkers, recovery);
- the identity: approvers and the recovery key hold the identity key from submission, but none
  of them is shown it; a caseworker sees it only after an approver other than themselves
  approves their request, which seals the identity key to them. Every view is audited.
An approver approves only a reason they can read, so the case must be granted to them first.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from redress import audit
from redress.audit import AuditAction
from redress.cases.fields import IDENTITY_FIELD
from redress.casework import approvals
from redress.keys import casekeys, contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import (
    CaseField,
    Caseworker,
    DisclosureRequest,
    DisclosureStatus,
    KeyKind,
    new_id,
)


class DisclosureError(Exception):
    """A refused disclosure step; the message is shown as it is."""


class NoIdentityError(DisclosureError):
    """The reporter gave no confidential identity."""


class AlreadyRequestedError(DisclosureError):
    """The caseworker already has a pending or granted request for this case."""


class UnreadableReasonError(DisclosureError, approvals.ApprovalError):
    """The approver cannot read the reason (not granted the case, or it failed its check)."""


class RequesterLostAccessError(DisclosureError, approvals.ApprovalError):
    """The requester no longer holds the case."""


@dataclass(frozen=True)
class Pending:
    """A request in the approvals queue; `reason` is None when the approver cannot read it."""

    id: str
    case_id: str
    reference: str
    requester: str | None
    requested_at: datetime
    reason: str | None
    # False when the approver holds the internal key but the reason failed its integrity check.
    intact: bool
    own: bool


@dataclass(frozen=True)
class CaseDisclosure:
    """Where the signed-in caseworker stands on one case's identity."""

    has_identity: bool
    status: DisclosureStatus | None
    # True once an approved request and a sealed identity key both exist for them.
    disclosed: bool


def _identity_field(db: Session, case_id: str) -> CaseField | None:
    return db.scalar(
        select(CaseField).where(CaseField.case_id == case_id, CaseField.name == IDENTITY_FIELD)
    )


def _latest_request(db: Session, case_id: str, caseworker_id: str) -> DisclosureRequest | None:
    return db.scalar(
        select(DisclosureRequest)
        .where(
            DisclosureRequest.case_id == case_id, DisclosureRequest.requester_id == caseworker_id
        )
        # Times are kept to the second: of requests made in the same second, an undecided one is
        # the newest (a new request is refused while one is pending), then the last decided.
        .order_by(
            DisclosureRequest.created_at.desc(),
            DisclosureRequest.decided_at.is_(None).desc(),
            DisclosureRequest.decided_at.desc(),
        )
        .limit(1)
    )


def standing(db: Session, case_id: str, identity: StaffIdentity) -> CaseDisclosure:
    latest = _latest_request(db, case_id, identity.caseworker_id)
    status = latest.status if latest else None
    disclosed = status is DisclosureStatus.APPROVED and casekeys.holds(
        db, case_id, KeyKind.IDENTITY, identity.caseworker_id
    )
    return CaseDisclosure(_identity_field(db, case_id) is not None, status, disclosed)


def request_disclosure(db: Session, case_id: str, identity: StaffIdentity, reason: str) -> str:
    """Record a request with its reason under the internal key; NoKeyError if not granted."""
    internal_key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    now = standing(db, case_id, identity)
    if not now.has_identity:
        raise NoIdentityError("The reporter did not give a confidential identity.")
    if now.status is DisclosureStatus.PENDING or now.disclosed:
        raise AlreadyRequestedError("You already have a request for this identity.")
    request_id = new_id()
    context = contexts.disclosure_reason(case_id, request_id, identity.caseworker_id)
    db.add(
        DisclosureRequest(
            id=request_id,
            case_id=case_id,
            requester_id=identity.caseworker_id,
            encrypted_reason=seal_record(internal_key, {"reason": reason}, context),
            created_at=clock.utcnow(),
        )
    )
    audit.record(
        db,
        AuditAction.DISCLOSURE_REQUESTED,
        identity.actor,
        case_id=case_id,
        detail={"request": request_id},
    )
    return request_id


def _reason(request: DisclosureRequest, internal_key: bytes) -> str:
    context = contexts.disclosure_reason(request.case_id, request.id, request.requester_id)
    reason = open_record(internal_key, request.encrypted_reason, context)["reason"]
    if not isinstance(reason, str):
        raise UnreadableRecordError("the reason is not text")
    return reason


def pending(db: Session, identity: StaffIdentity) -> list[Pending]:
    """Pending requests on cases whose identity key this approver holds, oldest first; audited."""
    me = identity.caseworker_id
    found = []
    for request, reference, requester, sealed in approvals.pending(db, STEP, identity):
        reason = None
        intact = True
        if sealed is not None:
            try:
                key = casekeys.open_caseworker_copy(
                    sealed, request.case_id, KeyKind.INTERNAL, me, identity.keypair
                )
                reason = _reason(request, key)
            except (CryptoError, UnreadableRecordError, KeyError):
                intact = False
        own = request.requester_id == me
        found.append(
            Pending(
                request.id,
                request.case_id,
                reference,
                requester,
                request.created_at,
                reason,
                intact,
                own,
            )
        )
    audit.record(
        db,
        AuditAction.DISCLOSURE_QUEUE_VIEWED,
        identity.actor,
        detail={"requests": len(found), "integrity_failures": sum(not p.intact for p in found)},
    )
    return found


def _settle(request: DisclosureRequest, approve: bool, by: str, at: datetime) -> None:
    request.status = DisclosureStatus.APPROVED if approve else DisclosureStatus.REJECTED
    request.decided_by = by
    request.decided_at = at


STEP = approvals.Step(
    model=DisclosureRequest,
    proposer=DisclosureRequest.requester_id,
    proposed=DisclosureRequest.created_at,
    state=DisclosureRequest.status,
    awaiting=DisclosureStatus.PENDING,
    # The identity key: an approver who could not hand it over does not see the request.
    held=KeyKind.IDENTITY,
    settle=_settle,
    approved=AuditAction.DISCLOSURE_APPROVED,
    rejected=AuditAction.DISCLOSURE_REJECTED,
    noun="request",
    own_item="Another approver must decide your own request.",
    decided_before="This request was already decided.",
    detail=lambda request: {"requester": request.requester_id},
)


def decide(
    db: Session, case_id: str, request_id: str, identity: StaffIdentity, *, approve: bool
) -> None:
    """An approver's decision (redress.casework.approvals). NoKeyError if they hold no identity
    key copy for the case.

    Approving opens the approver's identity key and seals it to the requester; rejecting
    leaves every key as it was.
    """
    identity_key = identity.case_key(db, case_id, KeyKind.IDENTITY)
    approvals.decide(
        db,
        STEP,
        case_id,
        request_id,
        identity,
        approve=approve,
        check=lambda request: _hand_over(db, request, identity, identity_key),
    )


def _hand_over(
    db: Session, request: DisclosureRequest, identity: StaffIdentity, identity_key: bytes
) -> None:
    """Seal the identity key to the requester, once the approver has read the reason."""
    try:
        internal_key = identity.case_key(db, request.case_id, KeyKind.INTERNAL)
        _reason(request, internal_key)
    except (casekeys.NoKeyError, UnreadableRecordError, KeyError):
        raise UnreadableReasonError(
            "You can approve only a reason you can read: ask a colleague to grant you the case."
        ) from None
    requester = db.get_one(Caseworker, request.requester_id)
    if not requester.active or not casekeys.holds(
        db, request.case_id, KeyKind.THREAD, requester.id
    ):
        raise RequesterLostAccessError("The requester no longer holds this case.")
    if not casekeys.holds(db, request.case_id, KeyKind.IDENTITY, requester.id):
        db.add(
            casekeys.seal_to_caseworker(request.case_id, KeyKind.IDENTITY, identity_key, requester)
        )


def view_identity(db: Session, case_id: str, identity: StaffIdentity) -> dict[str, str] | None:
    """The disclosed identity, or None if it failed its integrity check; every view audited.

    NoKeyError unless an approved request of theirs put the identity key in their hands.
    """
    if not standing(db, case_id, identity).disclosed:
        raise casekeys.NoKeyError(case_id)
    key = identity.case_key(db, case_id, KeyKind.IDENTITY)
    field = _identity_field(db, case_id)
    shown: dict[str, str] | None = None
    if field is not None:
        try:
            context = contexts.case_field(case_id, IDENTITY_FIELD)
            value = open_record(key, field.ciphertext, context)
            shown = {str(name): str(given) for name, given in value.items()}
        except UnreadableRecordError:
            shown = None
    audit.record(
        db,
        AuditAction.IDENTITY_VIEWED,
        identity.actor,
        case_id=case_id,
        detail={"integrity_failures": int(shown is None)},
    )
    return shown
