"""Interim measures through the console: proposal, second-person approval, renewal, lifting."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from flask.testing import FlaskClient
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.store import clock
from redress.store.models import AuditEvent, InterimMeasure, MeasureState, Role
from tests.helpers import (
    MEASURE_RATIONALE,
    MEASURE_RENEWAL,
    SignedIn,
    Staff,
    audited,
    csrf_token,
    in_days,
    new_case,
    post_to_case,
    propose_measure,
    review_measure,
    worker_id,
)

LIFTING = "The reseller cut the ministry off; updates may resume."
INTEGRITY = "This item failed an integrity check"


def decide(client: FlaskClient, case_id: str, measure_id: str, verdict: str) -> int:
    return post_to_case(
        client, case_id, f"/cases/{case_id}/approvals/measure/{measure_id}/{verdict}"
    )


def measures(db: Session, case_id: str) -> list[InterimMeasure]:
    db.expire_all()
    return list(db.scalars(select(InterimMeasure).where(InterimMeasure.case_id == case_id)))


def only_measure(db: Session, case_id: str) -> InterimMeasure:
    [measure] = measures(db, case_id)
    return measure


def page(client: FlaskClient, path: str) -> str:
    return client.get(path).get_data(as_text=True)


def page_after(client: FlaskClient, case_id: str, path: str, data: dict[str, str]) -> str:
    """The page answering a refused form post (a 400)."""
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(path, data={"csrf_token": token, **data})
    assert response.status_code == 400
    return response.get_data(as_text=True)


def test_propose_approve_renew_lift(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    staff = {"alice": make_caseworker("alice"), "carol": make_caseworker("carol", Role.APPROVER)}
    case_id = new_case(intake, db).id
    alice, carol = sign_in(staff["alice"]).client, sign_in(staff["carol"]).client
    alice_id, carol_id = worker_id(db, "alice"), worker_id(db, "carol")
    case_page = f"/cases/{case_id}"

    assert propose_measure(alice, case_id, in_days(30)) == 302
    measure = only_measure(db, case_id)
    assert (measure.state, measure.review_on, measure.proposed_by) == (
        MeasureState.PROPOSED,
        date.fromisoformat(in_days(30)),
        alice_id,
    )
    assert measure.proposed_on == clock.today()
    for secret in (MEASURE_RATIONALE.encode(), b"remote_disable"):
        assert secret not in measure.ciphertext
    shown = page(alice, case_page)
    assert "Remote disable – proposed" in shown
    assert MEASURE_RATIONALE in shown
    assert "No approver other than you holds this case" in shown

    # Carol decides once the case is granted to her and she can read the rationale.
    assert "Remote disable" not in page(carol, "/approvals")
    assert decide(carol, case_id, measure.id, "approve") == 404
    assert post_to_case(alice, case_id, f"{case_page}/access/grant", grantee=carol_id) == 302
    queue = page(carol, "/approvals")
    assert "Remote disable" in queue
    assert MEASURE_RATIONALE in queue
    for verdict in ("Approve", "Reject"):
        assert f'aria-label="{verdict} the measure on case ' in queue
    assert decide(carol, case_id, measure.id, "approve") == 302
    measure = only_measure(db, case_id)
    assert (measure.state, measure.decided_by, measure.decided_on) == (
        MeasureState.IN_FORCE,
        carol_id,
        clock.today(),
    )
    assert "No measures are waiting" in page(carol, "/approvals")
    assert decide(carol, case_id, measure.id, "reject") == 409

    # Renewing needs a new review date after today.
    prefix, path = f"review-{measure.id}-", f"{case_page}/measures/{measure.id}/review"
    no_date = {prefix + "reason": MEASURE_RENEWAL, prefix + "renew": "Renew"}
    assert post_to_case(alice, case_id, path, **no_date) == 400
    no_button = {prefix + "reason": LIFTING}
    assert "Please choose Renew or Lift" in page_after(alice, case_id, path, no_button)
    assert review_measure(alice, case_id, measure.id, MEASURE_RENEWAL, renew_to=in_days(-3)) == 400
    assert review_measure(alice, case_id, measure.id, MEASURE_RENEWAL, renew_to=in_days(60)) == 302
    measure = only_measure(db, case_id)
    assert measure.review_on == date.fromisoformat(in_days(60))
    assert measure.state is MeasureState.IN_FORCE
    assert measure.encrypted_reviews is not None
    assert MEASURE_RENEWAL.encode() not in measure.encrypted_reviews
    shown = page(alice, case_page)
    assert f"renewed until {in_days(60)} by alice" in shown
    assert MEASURE_RENEWAL in shown

    # The review date stands out when it is near or past.
    for review_on, flag in (
        (in_days(1), "review due soon"),
        (in_days(-1), "review overdue"),
    ):
        db.execute(update(InterimMeasure).values(review_on=date.fromisoformat(review_on)))
        db.commit()
        assert flag in page(alice, case_page)

    assert review_measure(carol, case_id, measure.id, LIFTING) == 302
    measure = only_measure(db, case_id)
    assert (measure.state, measure.lifted_by, measure.lifted_on) == (
        MeasureState.LIFTED,
        carol_id,
        clock.today(),
    )
    shown = page(alice, case_page)
    assert "Remote disable – lifted" in shown
    assert LIFTING in shown
    timeline = shown.split("<details", 1)[1].split("</details>", 1)[0]
    for step in ("proposed", "approved", "renewed", "lifted"):
        assert f"Interim measure {step}" in timeline
    assert review_measure(alice, case_id, measure.id, MEASURE_RENEWAL, renew_to=in_days(60)) == 409

    for action in ("measure.proposed", "measure.approved", "measure.renewed", "measure.lifted"):
        assert audited(db, action) == [{"measure": measure.id}], action
    details = db.scalars(select(AuditEvent.detail).where(AuditEvent.case_id == case_id))
    for detail in details:
        for text in (MEASURE_RATIONALE, MEASURE_RENEWAL, LIFTING, "remote_disable"):
            assert text not in detail


def test_refusals(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    staff = {
        name: make_caseworker(name, role)
        for name, role in [
            ("alice", Role.CASEWORKER),
            ("carol", Role.APPROVER),
            ("dave", Role.APPROVER),
            ("audrey", Role.AUDITOR),
        ]
    }
    case_id, other_case = new_case(intake, db).id, new_case(intake, db).id
    staff["bob"] = make_caseworker("bob")  # joined after the cases arrived: holds neither
    alice, carol, dave, audrey, bob = (
        sign_in(staff[name]).client for name in ("alice", "carol", "dave", "audrey", "bob")
    )
    grant = f"/cases/{case_id}/access/grant"
    assert post_to_case(alice, case_id, grant, grantee=worker_id(db, "carol")) == 302

    # A past or current review date: a clear error on the field, the text kept, nothing stored.
    for when in (in_days(-1), in_days(0)):
        form = {
            "measure_kind": "suspend_updates",
            "measure_rationale": MEASURE_RATIONALE,
            "measure_review_on": when,
        }
        shown = page_after(alice, case_id, f"/cases/{case_id}/measures", form)
        assert "The review date must be after today" in shown
        assert 'href="#measure_review_on"' in shown
        assert MEASURE_RATIONALE in shown
    assert measures(db, case_id) == []

    # Neither a caseworker not granted the case nor the wrong role can propose.
    assert propose_measure(bob, case_id, in_days(30)) == 404
    assert propose_measure(audrey, case_id, in_days(30)) == 403

    # An approver's own proposal waits for another approver who holds the case.
    assert propose_measure(carol, case_id, in_days(30), kind="suspend_support") == 302
    measure = only_measure(db, case_id)
    assert "Your own proposal: another approver decides" in page(carol, "/approvals")
    assert decide(carol, case_id, measure.id, "approve") == 403
    assert decide(alice, case_id, measure.id, "approve") == 403
    assert decide(dave, case_id, measure.id, "approve") == 404
    assert only_measure(db, case_id).state is MeasureState.PROPOSED

    # Forged ids: unknown, or a measure of another case.
    forged = "0" * 32
    assert decide(dave, case_id, forged, "approve") == 404
    assert review_measure(alice, case_id, forged, MEASURE_RENEWAL, renew_to=in_days(9)) == 404
    other_grant = f"/cases/{other_case}/access/grant"
    assert post_to_case(alice, other_case, other_grant, grantee=worker_id(db, "dave")) == 302
    assert decide(dave, other_case, measure.id, "approve") == 404
    # Only a measure in force is reviewed.
    assert review_measure(alice, case_id, measure.id, MEASURE_RENEWAL, renew_to=in_days(9)) == 409

    # A tampered proposal: shown as failed, audited, cannot be approved but can be rejected.
    assert post_to_case(alice, case_id, grant, grantee=worker_id(db, "dave")) == 302
    flipped = measure.ciphertext[:-1] + bytes([measure.ciphertext[-1] ^ 1])
    db.execute(update(InterimMeasure).values(ciphertext=flipped))
    db.commit()
    shown = page(alice, f"/cases/{case_id}")
    assert INTEGRITY in shown
    assert MEASURE_RATIONALE not in shown
    assert INTEGRITY in page(dave, "/approvals")
    assert audited(db, "measure.integrity_failed")[0] == {"integrity_failures": 1}
    assert decide(dave, case_id, measure.id, "approve") == 409
    assert decide(dave, case_id, measure.id, "reject") == 302
    assert only_measure(db, case_id).state is MeasureState.REJECTED
    assert audited(db, "measure.rejected") == [{"measure": measure.id}]
    assert audited(db, "measure.approved") == []
