"""Access to a case through the console: the routes that grant, revoke, exclude, lift an
exclusion, assign, and request and decide an identity disclosure, the approvals queue and the
case page's access section, each wired to its rule.

The rules themselves are tested directly in tests/test_access_rules.py and
tests/test_disclosure_rules.py; who may use each route, in tests/test_permission_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.reporting.submissions import Submission
from redress.store.models import Case, DisclosureRequest, DisclosureStatus, Role
from tests.helpers import (
    REPORT_TEXT,
    SignedIn,
    audited,
    get_page,
    post_answer,
    post_redirect,
    post_to_case,
)
from tests.support.domain import flip_last_byte

REASON = "We must reach the reporter about a safety risk."
LAST_HOLDER = "No other caseworker holds this case"


def assignee(db: Session, case_id: str) -> str | None:
    db.expire_all()
    return db.get_one(Case, case_id).assignee_id


def test_the_access_routes_wire_the_rules_to_the_console(
    sign_in: Callable[..., SignedIn], submit_case: Callable[..., Submission], db: Session
) -> None:
    alice = sign_in("alice")
    case_id = submit_case().case_id
    bob = sign_in("bob")  # joined after the case arrived: holds nothing
    case_page = f"/cases/{case_id}"
    access = f"{case_page}/access"
    get_page(bob.client, case_page, 404)

    # Assigning: only to a holder; nobody is the empty choice.
    refused = post_answer(alice.client, f"{access}/assign", 409, assignee=bob.id)
    assert "A case can be assigned only to a colleague who holds it." in refused
    assert post_redirect(alice.client, f"{access}/assign", assignee=alice.id) == (
        f"{case_page}?access=assigned#access"
    )
    assert assignee(db, case_id) == alice.id
    assert case_id in get_page(alice.client, "/?assignee=me")
    assert case_id not in get_page(alice.client, "/?assignee=none")
    assert post_redirect(alice.client, f"{access}/assign", assignee="") == (
        f"{case_page}?access=assigned#access"
    )
    assert assignee(db, case_id) is None

    # Granting: the colleague reads the case at once; twice is refused with the reason.
    assert post_redirect(alice.client, f"{access}/grant", grantee=bob.id) == (
        f"{case_page}?access=granted#access"
    )
    shown = get_page(bob.client, case_page)
    assert REPORT_TEXT in shown
    assert "alice (caseworker)" in shown
    assert "Access granted." in get_page(alice.client, f"{case_page}?access=granted")
    again = post_answer(alice.client, f"{access}/grant", 409, grantee=bob.id)
    assert "bob already holds this case." in again

    # Revoking: gone at once; one who holds nothing changes nothing; the last holder stays.
    assert post_redirect(alice.client, f"{access}/revoke/{bob.id}") == (
        f"{case_page}?access=revoked#access"
    )
    get_page(bob.client, case_page, 404)
    assert post_to_case(bob.client, case_id, f"{access}/grant", grantee=bob.id) == 404
    assert post_to_case(bob.client, case_id, f"{access}/revoke/{alice.id}") == 404
    assert LAST_HOLDER in post_answer(alice.client, f"{access}/revoke/{alice.id}", 409)
    get_page(alice.client, case_page)

    # Excluding: gone at once and no grant while it stands; lifting it, once.
    assert post_to_case(alice.client, case_id, f"{access}/grant", grantee=bob.id) == 302
    assert post_redirect(alice.client, f"{access}/exclude", excluded=bob.id) == (
        f"{case_page}?access=excluded#access"
    )
    get_page(bob.client, case_page, 404)
    excluded = post_answer(alice.client, f"{access}/grant", 409, grantee=bob.id)
    assert "bob is excluded from this case" in excluded
    lift = f"{access}/exclusions/{bob.id}/lift"
    assert post_redirect(alice.client, lift) == f"{case_page}?access=lifted#access"
    assert "That colleague is not excluded from this case." in post_answer(alice.client, lift, 409)

    # With a colleague holding it, Alice gives the case up and is sent to her case list.
    assert post_to_case(alice.client, case_id, f"{access}/grant", grantee=bob.id) == 302
    assert post_redirect(alice.client, f"{access}/revoke/{alice.id}") == "/"
    get_page(alice.client, case_page, 404)
    assert REPORT_TEXT in get_page(bob.client, case_page)


def test_the_disclosure_routes_wire_the_rules_to_the_console(
    sign_in: Callable[..., SignedIn], submit_case: Callable[..., Submission], db: Session
) -> None:
    alice, carol = sign_in("alice"), sign_in("carol", Role.APPROVER)
    case_id = submit_case(identity={"name": "Jane Roe"}).case_id
    other_case = submit_case(identity={"name": "Someone Else"}).case_id
    case_page, request_path = f"/cases/{case_id}", f"/cases/{case_id}/access/disclosure"
    assert "Jane Roe" not in get_page(alice.client, case_page)

    # Requesting: a reason is needed, and one request at a time.
    assert "Please give a reason." in post_answer(
        alice.client, request_path, 400, disclosure_reason=""
    )
    location = post_redirect(alice.client, request_path, disclosure_reason=REASON)
    assert location == f"{case_page}?access=requested#access"
    assert "Disclosure requested. An approver will decide." in get_page(alice.client, location)
    twice = post_answer(alice.client, request_path, 409, disclosure_reason=REASON)
    assert "You already have a request for this identity." in twice
    db.expire_all()
    [request_id] = db.scalars(select(DisclosureRequest.id))
    decide = f"{case_page}/approvals/disclosure/{request_id}"

    # Carol holds the identity key but not the case: she cannot read the reason, so cannot
    # approve it yet; under another case the request is unknown.
    queue = get_page(carol.client, "/approvals")
    assert "Reason visible once the case is granted to you" in queue
    assert REASON not in queue
    unreadable = post_answer(carol.client, f"{decide}/approve", 409)
    assert "You can approve only a reason you can read" in unreadable
    other_path = f"/cases/{other_case}/approvals/disclosure/{request_id}/approve"
    assert post_to_case(carol.client, other_case, other_path) == 404

    assert post_to_case(alice.client, case_id, f"{case_page}/access/grant", grantee=carol.id) == 302
    queue = get_page(carol.client, "/approvals")
    assert REASON in queue
    assert 'aria-label="Approve the request on case ' in queue
    location = post_redirect(carol.client, f"{decide}/approve")
    assert location == "/approvals?decided=approve&kind=disclosure"
    approved = get_page(carol.client, location)
    assert "Request approved: the identity key was sealed to the requester." in approved
    assert "This request was already decided." in post_answer(carol.client, f"{decide}/reject", 409)

    # The identity is shown only when asked, and each view is audited.
    shown = get_page(alice.client, case_page)
    assert "Show the identity" in shown
    assert "Jane Roe" not in shown
    assert audited(db, "identity.viewed") == []
    for views in (1, 2):
        assert "Jane Roe" in get_page(alice.client, f"{case_page}?show_identity=1")
        assert audited(db, "identity.viewed") == [{"integrity_failures": 0}] * views

    # An approver may ask, but another approver decides.
    own_reason = "Needed to arrange protection."
    assert post_to_case(carol.client, case_id, request_path, disclosure_reason=own_reason) == 302
    assert "Your own request: another approver decides" in get_page(carol.client, "/approvals")
    db.expire_all()
    own = db.scalar(select(DisclosureRequest.id).where(DisclosureRequest.requester_id == carol.id))
    own_decision = f"{case_page}/approvals/disclosure/{own}/approve"
    refused = post_answer(carol.client, own_decision, 403)
    assert "Another approver must decide your own request." in refused
    # Carol holds the identity key and the case, and is still never shown the identity.
    assert "Jane Roe" not in get_page(carol.client, f"{case_page}?show_identity=1")

    # A tampered reason can only be rejected; the requester is told of the rejection.
    other_page = f"/cases/{other_case}"
    other_request = f"{other_page}/access/disclosure"
    assert (
        post_to_case(alice.client, other_case, other_request, disclosure_reason="Curious.") == 302
    )
    grant_other = f"{other_page}/access/grant"
    assert post_to_case(alice.client, other_case, grant_other, grantee=carol.id) == 302
    db.expire_all()
    tampered = db.scalars(
        select(DisclosureRequest).where(DisclosureRequest.case_id == other_case)
    ).one()
    db.execute(
        update(DisclosureRequest)
        .where(DisclosureRequest.id == tampered.id)
        .values(encrypted_reason=flip_last_byte(tampered.encrypted_reason))
    )
    db.commit()
    queue = get_page(carol.client, "/approvals")
    assert "This item failed an integrity check" in queue
    assert "Approve the request" not in queue
    tampered_decision = f"{other_page}/approvals/disclosure/{tampered.id}"
    post_answer(carol.client, f"{tampered_decision}/approve", 409)
    assert post_redirect(carol.client, f"{tampered_decision}/reject") == (
        "/approvals?decided=reject&kind=disclosure"
    )
    db.expire_all()
    assert db.get_one(DisclosureRequest, tampered.id).status is DisclosureStatus.REJECTED
    shown = get_page(alice.client, f"{other_page}?show_identity=1")
    assert "Your last disclosure request was rejected." in shown
    assert "Someone Else" not in shown
    assert audited(db, "identity.viewed") == [{"integrity_failures": 0}] * 2
