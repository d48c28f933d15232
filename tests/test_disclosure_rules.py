"""Disclosing a reporter's confidential identity, as rules of redress.casework.disclosure called
directly: the request, the second person who must read its reason, the identity key handed over,
every view audited, and every refusal.

The console's wiring of these rules (status codes, messages, pages) is tests/test_access.py.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.casework import access, approvals, disclosure
from redress.keys.casekeys import NoKeyError
from redress.reporting.submissions import Submission
from redress.staff.identity import StaffIdentity
from redress.store.models import DisclosureRequest, DisclosureStatus, KeyKind, Role
from tests.helpers import audited
from tests.support.domain import flip_last_byte, key_copies, refused

REASON = "We must reach the reporter about a safety risk."
JANE = {"name": "Jane Roe"}


def only_request(db: Session, case_id: str, requester_id: str) -> DisclosureRequest:
    db.expire_all()
    [found] = db.scalars(
        select(DisclosureRequest).where(
            DisclosureRequest.case_id == case_id, DisclosureRequest.requester_id == requester_id
        )
    )
    return found


@pytest.fixture
def people(domain_sign_in: Callable[..., StaffIdentity]) -> dict[str, StaffIdentity]:
    """Caseworkers Alice and Bob, approvers Carol and Dave, all in the team before any case:
    the approvers hold each case's identity key from submission, nothing else."""
    return {
        "alice": domain_sign_in("alice"),
        "bob": domain_sign_in("bob"),
        "carol": domain_sign_in("carol", Role.APPROVER),
        "dave": domain_sign_in("dave", Role.APPROVER),
    }


def test_an_approver_who_read_the_reason_hands_the_identity_key_over_and_views_are_audited(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    case_id = submit_case(identity=JANE).case_id
    other_case = submit_case(identity={"name": "Someone Else"}).case_id
    assert key_copies(db, case_id, alice.caseworker_id) == {KeyKind.THREAD, KeyKind.INTERNAL}
    assert key_copies(db, case_id, carol.caseworker_id) == {KeyKind.IDENTITY}
    assert disclosure.standing(db, case_id, alice) == disclosure.CaseDisclosure(True, None, False)
    with refused(db, NoKeyError):
        disclosure.view_identity(db, case_id, alice)

    request_id = disclosure.request_disclosure(db, case_id, alice, REASON)
    db.commit()
    request = only_request(db, case_id, alice.caseworker_id)
    assert (request.id, request.status, request.decided_by) == (
        request_id,
        DisclosureStatus.PENDING,
        None,
    )
    assert REASON.encode() not in request.encrypted_reason
    assert audited(db, "disclosure.requested") == [{"request": request_id}]
    assert disclosure.standing(db, case_id, alice).status is DisclosureStatus.PENDING
    with refused(db, disclosure.AlreadyRequestedError, "already have a request"):
        disclosure.request_disclosure(db, case_id, alice, REASON)

    # Carol holds the identity key but not the case: she sees the request, not its reason, and
    # cannot approve what she cannot read.
    [waiting] = disclosure.pending(db, carol)
    assert (waiting.id, waiting.case_id, waiting.requester, waiting.reason, waiting.own) == (
        request_id,
        case_id,
        "alice",
        None,
        False,
    )
    assert waiting.intact
    db.commit()
    assert audited(db, "disclosure.queue_viewed") == [{"requests": 1, "integrity_failures": 0}]
    with refused(db, disclosure.UnreadableReasonError, "only a reason you can read"):
        disclosure.decide(db, case_id, request_id, carol, approve=True)
    # A request of one case is unknown under another, even one whose identity key she holds.
    with refused(db, approvals.UnknownItemError):
        disclosure.decide(db, other_case, request_id, carol, approve=True)
    # A caseworker holds no identity key to hand over.
    with refused(db, NoKeyError):
        disclosure.decide(db, case_id, request_id, bob, approve=True)
    assert KeyKind.IDENTITY not in key_copies(db, case_id, alice.caseworker_id)
    assert audited(db, "disclosure.approved") == []

    access.grant(db, case_id, alice, carol.caseworker_id)
    db.commit()
    [waiting] = disclosure.pending(db, carol)
    assert (waiting.reason, waiting.intact) == (REASON, True)
    disclosure.decide(db, case_id, request_id, carol, approve=True)
    db.commit()
    request = only_request(db, case_id, alice.caseworker_id)
    assert (request.status, request.decided_by) == (DisclosureStatus.APPROVED, carol.caseworker_id)
    assert request.decided_at is not None
    assert key_copies(db, case_id, alice.caseworker_id) == set(KeyKind)
    assert KeyKind.IDENTITY not in key_copies(db, other_case, alice.caseworker_id)
    assert audited(db, "disclosure.approved") == [
        {"request": request_id, "requester": alice.caseworker_id}
    ]
    with refused(db, approvals.AlreadyDecidedError, "already decided"):
        disclosure.decide(db, case_id, request_id, carol, approve=False)
    with refused(db, disclosure.AlreadyRequestedError):
        disclosure.request_disclosure(db, case_id, alice, REASON)

    # Disclosed, but shown only when asked, and each view audited.
    assert disclosure.standing(db, case_id, alice) == disclosure.CaseDisclosure(
        True, DisclosureStatus.APPROVED, True
    )
    assert audited(db, "identity.viewed") == []
    for views in (1, 2):
        assert disclosure.view_identity(db, case_id, alice) == JANE
        db.commit()
        assert audited(db, "identity.viewed") == [{"integrity_failures": 0}] * views

    # Bob, who holds the case, never holds the identity key; Carol holds it, and is never shown it.
    assert key_copies(db, case_id, bob.caseworker_id) == {KeyKind.THREAD, KeyKind.INTERNAL}
    for colleague in (bob, carol):
        assert not disclosure.standing(db, case_id, colleague).disclosed
        with refused(db, NoKeyError):
            disclosure.view_identity(db, case_id, colleague)
    assert audited(db, "identity.viewed") == [{"integrity_failures": 0}] * 2


def test_own_requests_rejections_and_a_tampered_reason_seal_nothing(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, carol, dave = people["alice"], people["carol"], people["dave"]
    case_id = submit_case(identity=JANE).case_id
    access.grant(db, case_id, alice, carol.caseworker_id)
    db.commit()

    # An approver may ask, but another approver decides.
    own_id = disclosure.request_disclosure(db, case_id, carol, "Needed to arrange protection.")
    db.commit()
    [own] = disclosure.pending(db, carol)
    assert (own.id, own.own, own.reason) == (own_id, True, "Needed to arrange protection.")
    with refused(db, approvals.SelfApprovalError, "Another approver must decide"):
        disclosure.decide(db, case_id, own_id, carol, approve=True)
    assert only_request(db, case_id, carol.caseworker_id).status is DisclosureStatus.PENDING
    assert audited(db, "disclosure.approved") == []
    # Rejecting needs no reading: Dave, not granted the case, may reject.
    disclosure.decide(db, case_id, own_id, dave, approve=False)
    db.commit()
    rejected = only_request(db, case_id, carol.caseworker_id)
    assert (rejected.status, rejected.decided_by) == (DisclosureStatus.REJECTED, dave.caseworker_id)
    # Carol holds the identity key as an approver, and is still not shown the identity.
    assert disclosure.standing(db, case_id, carol) == disclosure.CaseDisclosure(
        True, DisclosureStatus.REJECTED, False
    )
    with refused(db, NoKeyError):
        disclosure.view_identity(db, case_id, carol)

    # A tampered reason cannot be approved; rejecting it seals nothing to the requester.
    request_id = disclosure.request_disclosure(db, case_id, alice, "Curious.")
    db.commit()
    request = only_request(db, case_id, alice.caseworker_id)
    db.execute(
        update(DisclosureRequest)
        .where(DisclosureRequest.id == request_id)
        .values(encrypted_reason=flip_last_byte(request.encrypted_reason))
    )
    db.commit()
    [waiting] = disclosure.pending(db, carol)
    assert (waiting.id, waiting.reason, waiting.intact) == (request_id, None, False)
    db.commit()
    assert audited(db, "disclosure.queue_viewed")[-1] == {"integrity_failures": 1, "requests": 1}
    with refused(db, disclosure.UnreadableReasonError):
        disclosure.decide(db, case_id, request_id, carol, approve=True)
    disclosure.decide(db, case_id, request_id, dave, approve=False)
    db.commit()
    assert audited(db, "disclosure.rejected") == [
        {"request": own_id, "requester": carol.caseworker_id},
        {"request": request_id, "requester": alice.caseworker_id},
    ]
    assert KeyKind.IDENTITY not in key_copies(db, case_id, alice.caseworker_id)
    assert disclosure.standing(db, case_id, alice) == disclosure.CaseDisclosure(
        True, DisclosureStatus.REJECTED, False
    )
    with refused(db, NoKeyError):
        disclosure.view_identity(db, case_id, alice)
    assert audited(db, "identity.viewed") == []
    # After a rejection, a new request may be made, and it is the one that stands even when
    # both were made within the same second (times are kept to the second).
    disclosure.request_disclosure(db, case_id, alice, REASON)
    db.execute(
        update(DisclosureRequest)
        .where(DisclosureRequest.case_id == case_id)
        .values(created_at=request.created_at)
    )
    db.commit()
    assert disclosure.standing(db, case_id, alice).status is DisclosureStatus.PENDING


def test_no_identity_no_request_and_a_requester_who_lost_the_case_gets_nothing(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, bob, carol = people["alice"], people["bob"], people["carol"]
    anonymous = submit_case().case_id
    assert disclosure.standing(db, anonymous, alice) == disclosure.CaseDisclosure(
        False, None, False
    )
    with refused(db, disclosure.NoIdentityError):
        disclosure.request_disclosure(db, anonymous, alice, REASON)
    assert audited(db, "disclosure.requested") == []

    case_id = submit_case(identity=JANE).case_id
    request_id = disclosure.request_disclosure(db, case_id, bob, REASON)
    access.grant(db, case_id, alice, carol.caseworker_id)
    access.revoke(db, case_id, alice, bob.caseworker_id)
    db.commit()
    with refused(db, disclosure.RequesterLostAccessError, "no longer holds"):
        disclosure.decide(db, case_id, request_id, carol, approve=True)
    assert key_copies(db, case_id, bob.caseworker_id) == set()
    assert only_request(db, case_id, bob.caseworker_id).status is DisclosureStatus.PENDING
