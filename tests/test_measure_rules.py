"""Interim measures, as rules of redress.casework.measures called directly: proposal, the second
person's decision, renewal and lifting, and every refusal, with what is stored and audited.

The console's wiring of these rules (status codes, messages, pages) is tests/test_measures.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

import pytest
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.casework import access, approvals, measures
from redress.casework.measures import MeasureKind, ReviewAction
from redress.keys.casekeys import NoKeyError
from redress.reporting.submissions import Submission
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import AuditEvent, InterimMeasure, MeasureState, Role
from tests.helpers import MEASURE_RATIONALE, MEASURE_RENEWAL, audited
from tests.support.domain import flip_last_byte, refused

LIFTING = "The reseller cut the ministry off; updates may resume."


def days(count: int) -> timedelta:
    return timedelta(days=count)


def stored(db: Session, case_id: str) -> list[InterimMeasure]:
    db.expire_all()
    return list(db.scalars(select(InterimMeasure).where(InterimMeasure.case_id == case_id)))


def only_measure(db: Session, case_id: str) -> InterimMeasure:
    [measure] = stored(db, case_id)
    return measure


@pytest.fixture
def people(
    domain_sign_in: Callable[..., StaffIdentity],
) -> dict[str, StaffIdentity]:
    """Alice (caseworker) and the approvers Carol and Dave, all in the team before any case."""
    return {
        "alice": domain_sign_in("alice"),
        "carol": domain_sign_in("carol", Role.APPROVER),
        "dave": domain_sign_in("dave", Role.APPROVER),
    }


def test_a_measure_is_proposed_approved_renewed_and_lifted(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, carol = people["alice"], people["carol"]
    case_id = submit_case().case_id
    today = clock.today()

    measure_id = measures.propose(
        db, case_id, alice, MeasureKind.REMOTE_DISABLE, MEASURE_RATIONALE, today + days(30)
    )
    db.commit()
    measure = only_measure(db, case_id)
    assert measure.id == measure_id
    assert (measure.state, measure.review_on, measure.proposed_by, measure.proposed_on) == (
        MeasureState.PROPOSED,
        today + days(30),
        alice.caseworker_id,
        today,
    )
    # The kind and the rationale are stored encrypted only.
    for secret in (MEASURE_RATIONALE.encode(), b"remote_disable"):
        assert secret not in measure.ciphertext
    [shown] = measures.list_for_case(db, case_id, alice)
    assert (shown.kind, shown.rationale, shown.state, shown.proposed_by, shown.own) == (
        MeasureKind.REMOTE_DISABLE,
        MEASURE_RATIONALE,
        MeasureState.PROPOSED,
        "alice",
        True,
    )
    assert shown.reviews == ()

    # Carol holds only the identity key from submission: no internal key, no queue, no decision.
    assert measures.pending(db, carol) == []
    with refused(db, NoKeyError):
        measures.decide(db, case_id, measure_id, carol, approve=True)
    access.grant(db, case_id, alice, carol.caseworker_id)
    db.commit()
    [waiting] = measures.pending(db, carol)
    assert (waiting.id, waiting.case_id, waiting.proposer, waiting.own) == (
        measure_id,
        case_id,
        "alice",
        False,
    )
    assert (waiting.kind, waiting.rationale, waiting.review_on) == (
        MeasureKind.REMOTE_DISABLE,
        MEASURE_RATIONALE,
        today + days(30),
    )

    measures.decide(db, case_id, measure_id, carol, approve=True)
    db.commit()
    measure = only_measure(db, case_id)
    assert (measure.state, measure.decided_by, measure.decided_on) == (
        MeasureState.IN_FORCE,
        carol.caseworker_id,
        today,
    )
    assert measures.pending(db, carol) == []
    for verdict in (False, True):
        with refused(db, approvals.AlreadyDecidedError, "already decided"):
            measures.decide(db, case_id, measure_id, carol, approve=verdict)

    # Renewing needs a new review date after today and within the limit, and a reason.
    for wrong in (today - days(3), today, today + days(measures.REVIEW_MAX_DAYS + 1)):
        with refused(db, measures.ReviewDateError, "must be after today"):
            measures.review(db, case_id, measure_id, alice, MEASURE_RENEWAL, renew_to=wrong)
    with refused(db, measures.MeasureTextError):
        measures.review(db, case_id, measure_id, alice, "  ", renew_to=today + days(60))
    assert only_measure(db, case_id).encrypted_reviews is None
    measures.review(db, case_id, measure_id, alice, MEASURE_RENEWAL, renew_to=today + days(60))
    db.commit()
    measure = only_measure(db, case_id)
    assert (measure.state, measure.review_on, measure.review_count) == (
        MeasureState.IN_FORCE,
        today + days(60),
        1,
    )
    assert measure.encrypted_reviews is not None
    assert MEASURE_RENEWAL.encode() not in measure.encrypted_reviews
    [shown] = measures.list_for_case(db, case_id, alice)
    assert shown.reviews == (
        measures.Review(ReviewAction.RENEWED, today, "alice", MEASURE_RENEWAL, today + days(60)),
    )

    # Anyone holding the case lifts it, an approver included.
    measures.review(db, case_id, measure_id, carol, LIFTING, renew_to=None)
    db.commit()
    measure = only_measure(db, case_id)
    assert (measure.state, measure.lifted_by, measure.lifted_on, measure.review_on) == (
        MeasureState.LIFTED,
        carol.caseworker_id,
        today,
        today + days(60),
    )
    [shown] = measures.list_for_case(db, case_id, alice)
    assert (shown.state, shown.decided_by, shown.lifted_by) == (
        MeasureState.LIFTED,
        "carol",
        "carol",
    )
    assert [(r.action, r.by, r.reason, r.review_on) for r in shown.reviews or ()] == [
        (ReviewAction.RENEWED, "alice", MEASURE_RENEWAL, today + days(60)),
        (ReviewAction.LIFTED, "carol", LIFTING, None),
    ]
    with refused(db, measures.NotInForceError, "Only a measure in force"):
        measures.review(db, case_id, measure_id, alice, MEASURE_RENEWAL, renew_to=today + days(9))

    # Each step audited once, naming the measure only.
    for action in ("measure.proposed", "measure.approved", "measure.renewed", "measure.lifted"):
        assert audited(db, action) == [{"measure": measure_id}], action
    assert audited(db, "measure.rejected") == []
    details = db.scalars(select(AuditEvent.detail).where(AuditEvent.case_id == case_id))
    for detail in details:
        for text in (MEASURE_RATIONALE, MEASURE_RENEWAL, LIFTING, "remote_disable"):
            assert text not in detail


def test_a_refused_proposal_stores_nothing(
    db: Session,
    people: dict[str, StaffIdentity],
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    alice = people["alice"]
    case_id = submit_case().case_id
    bob = domain_sign_in("bob")  # joined after the case arrived: holds none of its keys
    today = clock.today()
    refusals: list[tuple[type[Exception], str, date]] = [
        (measures.ReviewDateError, MEASURE_RATIONALE, today - days(1)),
        (measures.ReviewDateError, MEASURE_RATIONALE, today),
        (measures.ReviewDateError, MEASURE_RATIONALE, today + days(measures.REVIEW_MAX_DAYS + 1)),
        (measures.MeasureTextError, "", today + days(30)),
        (measures.MeasureTextError, " \n ", today + days(30)),
        (measures.MeasureTextError, "x" * (measures.TEXT_MAX_LENGTH + 1), today + days(30)),
    ]
    for error, rationale, review_on in refusals:
        with pytest.raises(error):
            measures.propose(db, case_id, alice, MeasureKind.SUSPEND_UPDATES, rationale, review_on)
        # Refused before anything was added to the transaction.
        assert stored(db, case_id) == []
        assert audited(db, "measure.proposed") == []
        db.rollback()
    with refused(db, NoKeyError):
        measures.propose(
            db, case_id, bob, MeasureKind.SUSPEND_UPDATES, MEASURE_RATIONALE, today + days(30)
        )
    # The longest review date and rationale allowed are taken.
    longest = "x" * measures.TEXT_MAX_LENGTH
    last_day = today + days(measures.REVIEW_MAX_DAYS)
    measures.propose(db, case_id, alice, MeasureKind.SUSPEND_SUPPORT, longest, last_day)
    db.commit()
    assert only_measure(db, case_id).review_on == last_day


def test_an_approver_never_decides_their_own_proposal_nor_an_unknown_one(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, carol, dave = people["alice"], people["carol"], people["dave"]
    case_id, other_case = submit_case().case_id, submit_case().case_id
    access.grant(db, case_id, alice, carol.caseworker_id)
    db.commit()
    today = clock.today()

    # An approver may propose; another approver who holds the case decides.
    measure_id = measures.propose(
        db, case_id, carol, MeasureKind.SUSPEND_SUPPORT, MEASURE_RATIONALE, today + days(30)
    )
    db.commit()
    [own] = measures.pending(db, carol)
    assert (own.id, own.own, own.rationale) == (measure_id, True, MEASURE_RATIONALE)
    with refused(db, approvals.SelfApprovalError, "Another approver must decide"):
        measures.decide(db, case_id, measure_id, carol, approve=True)
    with refused(db, approvals.SelfApprovalError):
        measures.decide(db, case_id, measure_id, carol, approve=False)
    # Dave holds the identity key only: not the internal key the rationale is under.
    assert measures.pending(db, dave) == []
    with refused(db, NoKeyError):
        measures.decide(db, case_id, measure_id, dave, approve=True)
    assert only_measure(db, case_id).state is MeasureState.PROPOSED

    # Forged ids: none such, or a measure of another case, even one the approver holds.
    access.grant(db, case_id, alice, dave.caseworker_id)
    access.grant(db, other_case, alice, dave.caseworker_id)
    db.commit()
    with refused(db, approvals.UnknownItemError):
        measures.decide(db, case_id, "0" * 32, dave, approve=True)
    with refused(db, approvals.UnknownItemError):
        measures.decide(db, other_case, measure_id, dave, approve=True)
    with refused(db, measures.UnknownMeasureError):
        measures.review(db, case_id, "0" * 32, alice, MEASURE_RENEWAL, renew_to=today + days(9))
    with refused(db, measures.UnknownMeasureError):
        measures.review(db, other_case, measure_id, alice, MEASURE_RENEWAL, renew_to=None)
    # Only a measure in force is reviewed.
    with refused(db, measures.NotInForceError):
        measures.review(db, case_id, measure_id, alice, MEASURE_RENEWAL, renew_to=today + days(9))
    with refused(db, measures.NotInForceError):
        measures.review(db, case_id, measure_id, alice, LIFTING, renew_to=None)
    assert only_measure(db, case_id).state is MeasureState.PROPOSED
    assert audited(db, "measure.approved") == []

    measures.decide(db, case_id, measure_id, dave, approve=False)
    db.commit()
    measure = only_measure(db, case_id)
    assert (measure.state, measure.decided_by, measure.decided_on) == (
        MeasureState.REJECTED,
        dave.caseworker_id,
        today,
    )
    assert audited(db, "measure.rejected") == [{"measure": measure_id}]
    with refused(db, measures.NotInForceError):
        measures.review(db, case_id, measure_id, alice, LIFTING, renew_to=None)


def test_a_tampered_measure_is_shown_as_failed_audited_and_only_rejected(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, carol, dave = people["alice"], people["carol"], people["dave"]
    case_id = submit_case().case_id
    for approver in (carol, dave):
        access.grant(db, case_id, alice, approver.caseworker_id)
    today = clock.today()
    measure_id = measures.propose(
        db, case_id, alice, MeasureKind.SUSPEND_UPDATES, MEASURE_RATIONALE, today + days(30)
    )
    db.commit()
    tampered = flip_last_byte(only_measure(db, case_id).ciphertext)
    db.execute(update(InterimMeasure).values(ciphertext=tampered))
    db.commit()

    [shown] = measures.list_for_case(db, case_id, alice)
    assert (shown.intact, shown.kind, shown.rationale) == (False, None, None)
    db.commit()
    assert audited(db, "measure.integrity_failed") == [{"integrity_failures": 1}]
    [waiting] = measures.pending(db, dave)
    assert (waiting.id, waiting.intact, waiting.kind, waiting.rationale) == (
        measure_id,
        False,
        None,
        None,
    )
    db.commit()
    assert audited(db, "measure.integrity_failed") == [{"integrity_failures": 1}] * 2
    with refused(db, measures.UnreadableMeasureError, "failed an integrity check"):
        measures.decide(db, case_id, measure_id, dave, approve=True)
    measures.decide(db, case_id, measure_id, dave, approve=False)
    db.commit()
    assert only_measure(db, case_id).state is MeasureState.REJECTED
    assert audited(db, "measure.rejected") == [{"measure": measure_id}]
    assert audited(db, "measure.approved") == []


def test_a_tampered_review_log_refuses_the_next_review(
    db: Session, people: dict[str, StaffIdentity], submit_case: Callable[..., Submission]
) -> None:
    alice, carol = people["alice"], people["carol"]
    case_id = submit_case().case_id
    access.grant(db, case_id, alice, carol.caseworker_id)
    today = clock.today()
    measure_id = measures.propose(
        db, case_id, alice, MeasureKind.SUSPEND_UPDATES, MEASURE_RATIONALE, today + days(30)
    )
    measures.decide(db, case_id, measure_id, carol, approve=True)
    measures.review(db, case_id, measure_id, alice, MEASURE_RENEWAL, renew_to=today + days(60))
    db.commit()
    reviews = only_measure(db, case_id).encrypted_reviews
    assert reviews is not None
    db.execute(update(InterimMeasure).values(encrypted_reviews=flip_last_byte(reviews)))
    db.commit()

    [shown] = measures.list_for_case(db, case_id, alice)
    assert (shown.intact, shown.rationale, shown.reviews) == (False, MEASURE_RATIONALE, None)
    db.commit()
    assert audited(db, "measure.integrity_failed") == [{"integrity_failures": 1}]
    with refused(db, measures.UnreadableMeasureError, "cannot be reviewed"):
        measures.review(db, case_id, measure_id, carol, LIFTING, renew_to=None)
    measure = only_measure(db, case_id)
    assert (measure.state, measure.review_count) == (MeasureState.IN_FORCE, 1)
    assert audited(db, "measure.lifted") == []
