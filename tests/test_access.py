"""Access to a case: grants, revocations, conflict-of-interest exclusions, identity disclosure."""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.keys import KeyPair
from crypto.sealing import open_sealed, seal_to
from redress.keys import contexts
from redress.store.models import (
    AuditEvent,
    Case,
    CaseField,
    CaseKey,
    Caseworker,
    DisclosureRequest,
    DisclosureStatus,
    KeyKind,
    Message,
    Recipient,
    Role,
)
from tests.helpers import (
    REPORT_TEXT,
    SignedIn,
    Staff,
    audited,
    csrf_token,
    new_case,
    post_to_case,
    worker_id,
)

REPORT = REPORT_TEXT
REPLY = "Thank you, we are looking into it."
LAST_HOLDER = "No other caseworker holds this case"


def copies(db: Session, case_id: str, caseworker_id: str) -> set[KeyKind]:
    db.expire_all()
    return set(
        db.scalars(
            select(CaseKey.kind).where(
                CaseKey.case_id == case_id, CaseKey.caseworker_id == caseworker_id
            )
        )
    )


def ciphertexts(db: Session, case_id: str) -> list[bytes]:
    db.expire_all()
    fields = db.scalars(select(CaseField.ciphertext).where(CaseField.case_id == case_id))
    messages = db.scalars(select(Message.ciphertext).where(Message.case_id == case_id))
    return sorted([*fields, *(m for m in messages if m is not None)])


def test_grant_and_revoke_reseal_keys_without_touching_content(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    alice_staff = make_caseworker("alice")
    case_id = new_case(intake, db).id
    bob_staff = make_caseworker("bob")  # joined after the case arrived: holds nothing
    alice, bob = sign_in(alice_staff).client, sign_in(bob_staff).client
    assert post_to_case(alice, case_id, f"/cases/{case_id}/reply", text=REPLY) == 302
    assert bob.get(f"/cases/{case_id}").status_code == 404
    before = ciphertexts(db, case_id)
    bob_id, alice_id = worker_id(db, "bob"), worker_id(db, "alice")

    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=bob_id) == 302
    page = bob.get(f"/cases/{case_id}").get_data(as_text=True)
    assert REPORT in page
    assert REPLY in page
    assert "alice (caseworker)" in page
    assert ciphertexts(db, case_id) == before
    assert copies(db, case_id, bob_id) == {KeyKind.THREAD, KeyKind.INTERNAL}
    assert audited(db, "case.granted") == [{"colleague": bob_id}]
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=bob_id) == 409

    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/revoke/{bob_id}") == 302
    assert copies(db, case_id, bob_id) == set()
    assert bob.get(f"/cases/{case_id}").status_code == 404
    assert audited(db, "case.revoked") == [{"colleague": bob_id, "keys": 2}]
    # Bob holds nothing now, so he can grant nothing back.
    assert post_to_case(bob, case_id, f"/cases/{case_id}/access/grant", grantee=bob_id) == 404
    assert post_to_case(bob, case_id, f"/cases/{case_id}/access/revoke/{alice_id}") == 404

    refused = alice.post(
        f"/cases/{case_id}/access/revoke/{alice_id}",
        data={"csrf_token": csrf_token(alice, f"/cases/{case_id}")},
    )
    assert refused.status_code == 409
    assert LAST_HOLDER in refused.get_data(as_text=True)
    assert copies(db, case_id, alice_id) == {KeyKind.THREAD, KeyKind.INTERNAL}

    # With a colleague holding it, Alice may give the case up herself.
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=bob_id) == 302
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/revoke/{alice_id}") == 302
    assert alice.get(f"/cases/{case_id}").status_code == 404
    assert REPORT in bob.get(f"/cases/{case_id}").get_data(as_text=True)
    assert ciphertexts(db, case_id) == before


def test_exclusion_revokes_blocks_grants_and_outweighs_a_stale_copy(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
    recovery_keypair: KeyPair,
) -> None:
    alice_staff = make_caseworker("alice")
    case_id = new_case(intake, db).id
    bob_staff = make_caseworker("bob")
    alice, bob = sign_in(alice_staff).client, sign_in(bob_staff).client
    bob_id = worker_id(db, "bob")
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=bob_id) == 302

    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/exclude", excluded=bob_id) == 302
    assert copies(db, case_id, bob_id) == set()
    assert bob.get(f"/cases/{case_id}").status_code == 404
    assert audited(db, "case.excluded") == [{"colleague": bob_id, "keys": 2}]
    refused = alice.post(
        f"/cases/{case_id}/access/grant",
        data={"csrf_token": csrf_token(alice, f"/cases/{case_id}"), "grantee": bob_id},
    )
    assert refused.status_code == 409
    assert "bob is excluded from this case" in refused.get_data(as_text=True)
    assert copies(db, case_id, bob_id) == set()

    # A copy sealed to Bob behind the application's back still opens nothing.
    recovery_copy = db.scalar(
        select(CaseKey.sealed).where(
            CaseKey.case_id == case_id,
            CaseKey.kind == KeyKind.THREAD,
            CaseKey.recipient == Recipient.RECOVERY,
        )
    )
    assert recovery_copy is not None
    thread_key = open_sealed(
        recovery_copy,
        recovery_keypair,
        contexts.case_key(case_id, KeyKind.THREAD, Recipient.RECOVERY, None),
    )
    bob_worker = db.get_one(Caseworker, bob_id)
    stale = contexts.case_key(case_id, KeyKind.THREAD, Recipient.CASEWORKER, bob_id)
    db.add(
        CaseKey(
            case_id=case_id,
            kind=KeyKind.THREAD,
            recipient=Recipient.CASEWORKER,
            caseworker_id=bob_id,
            sealed=seal_to(bob_worker.public_key, thread_key, stale),
        )
    )
    db.commit()
    assert bob.get(f"/cases/{case_id}").status_code == 404
    assert post_to_case(bob, case_id, f"/cases/{case_id}/reply", text="hello") == 404
    assert f"/cases/{case_id}" not in bob.get("/").get_data(as_text=True)

    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/exclusions/{bob_id}/lift") == 302
    assert audited(db, "case.exclusion_lifted") == [{"colleague": bob_id}]
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/exclusions/{bob_id}/lift") == 409


def identity_copies(db: Session, caseworker_id: str) -> int:
    return len(copies_of_kind(db, caseworker_id, KeyKind.IDENTITY))


def copies_of_kind(db: Session, caseworker_id: str, kind: KeyKind) -> list[str]:
    db.expire_all()
    return list(
        db.scalars(
            select(CaseKey.case_id).where(
                CaseKey.caseworker_id == caseworker_id, CaseKey.kind == kind
            )
        )
    )


def only_request(db: Session, case_id: str) -> DisclosureRequest:
    db.expire_all()
    [found] = db.scalars(select(DisclosureRequest).where(DisclosureRequest.case_id == case_id))
    return found


def test_disclosure_needs_another_approver_who_read_the_reason_and_every_view_is_audited(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    staff = {
        name: make_caseworker(name, role)
        for name, role in [
            ("alice", Role.CASEWORKER),
            ("bob", Role.CASEWORKER),
            ("carol", Role.APPROVER),
        ]
    }
    case_id = new_case(intake, db, identity_name="Jane Roe").id
    other_case = new_case(intake, db, identity_name="Someone Else").id
    alice, bob, carol = (sign_in(staff[name]).client for name in ("alice", "bob", "carol"))
    alice_id, carol_id = worker_id(db, "alice"), worker_id(db, "carol")
    assert "Jane Roe" not in alice.get(f"/cases/{case_id}").get_data(as_text=True)
    assert alice.get("/approvals").status_code == 403

    reason = "We must reach the reporter about a safety risk."
    path = f"/cases/{case_id}/access/disclosure"
    assert post_to_case(alice, case_id, path, disclosure_reason="") == 400
    assert post_to_case(alice, case_id, path, disclosure_reason=reason) == 302
    assert post_to_case(alice, case_id, path, disclosure_reason=reason) == 409
    request = only_request(db, case_id)
    assert reason.encode() not in request.encrypted_reason
    decide = f"/cases/{case_id}/approvals/disclosure/{request.id}"

    # Carol holds the identity key but not the case: she cannot read the reason, so cannot
    # approve it yet.
    queue = carol.get("/approvals").get_data(as_text=True)
    assert "Reason visible once the case is granted to you" in queue
    assert reason not in queue
    assert post_to_case(carol, case_id, f"{decide}/approve") == 409
    assert post_to_case(bob, case_id, f"{decide}/approve") == 403
    assert (
        post_to_case(
            carol, case_id, f"/cases/{other_case}/approvals/disclosure/{request.id}/approve"
        )
        == 404
    )
    assert identity_copies(db, alice_id) == 0

    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=carol_id) == 302
    queue = carol.get("/approvals").get_data(as_text=True)
    assert reason in queue
    assert 'aria-label="Approve the request on case ' in queue
    assert post_to_case(carol, case_id, f"{decide}/approve") == 302
    assert only_request(db, case_id).status is DisclosureStatus.APPROVED
    assert copies_of_kind(db, alice_id, KeyKind.IDENTITY) == [case_id]
    assert audited(db, "disclosure.approved") == [{"request": request.id, "requester": alice_id}]
    assert post_to_case(carol, case_id, f"{decide}/reject") == 409

    page = alice.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Show the identity" in page
    assert "Jane Roe" not in page
    assert audited(db, "identity.viewed") == []
    for views in (1, 2):
        shown = alice.get(f"/cases/{case_id}?show_identity=1").get_data(as_text=True)
        assert "Jane Roe" in shown
        assert audited(db, "identity.viewed") == [{"integrity_failures": 0}] * views
    # Bob, granted the case, still never sees the identity.
    assert post_to_case(
        alice, case_id, f"/cases/{case_id}/access/grant", grantee=worker_id(db, "bob")
    )
    assert "Jane Roe" not in bob.get(f"/cases/{case_id}?show_identity=1").get_data(as_text=True)


def test_self_approval_rejection_and_a_tampered_reason(
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
        ]
    }
    case_id = new_case(intake, db, identity_name="Jane Roe").id
    alice, carol, dave = (sign_in(staff[name]).client for name in ("alice", "carol", "dave"))
    alice_id, carol_id = worker_id(db, "alice"), worker_id(db, "carol")
    assert post_to_case(alice, case_id, f"/cases/{case_id}/access/grant", grantee=carol_id) == 302

    # An approver may ask, but another approver decides.
    path = f"/cases/{case_id}/access/disclosure"
    assert (
        post_to_case(carol, case_id, path, disclosure_reason="Needed to arrange protection.") == 302
    )
    own = only_request(db, case_id)
    assert "Your own request" in carol.get("/approvals").get_data(as_text=True)
    assert (
        post_to_case(carol, case_id, f"/cases/{case_id}/approvals/disclosure/{own.id}/approve")
        == 403
    )
    assert only_request(db, case_id).status is DisclosureStatus.PENDING
    assert audited(db, "disclosure.approved") == []
    assert (
        post_to_case(dave, case_id, f"/cases/{case_id}/approvals/disclosure/{own.id}/reject") == 302
    )
    assert "Jane Roe" not in carol.get(f"/cases/{case_id}?show_identity=1").get_data(as_text=True)

    # A tampered reason cannot be approved; rejecting seals nothing to the requester.
    assert post_to_case(alice, case_id, path, disclosure_reason="Curious.") == 302
    db.expire_all()
    request = db.scalar(select(DisclosureRequest).where(DisclosureRequest.requester_id == alice_id))
    assert request is not None
    request.encrypted_reason = request.encrypted_reason[:-1] + bytes(
        [request.encrypted_reason[-1] ^ 1]
    )
    db.commit()
    queue = carol.get("/approvals").get_data(as_text=True)
    assert "This item failed an integrity check" in queue
    assert "Approve the request" not in queue
    assert audited(db, "disclosure.queue_viewed")[-1] == {"integrity_failures": 1, "requests": 1}
    decide = f"/cases/{case_id}/approvals/disclosure/{request.id}"
    assert post_to_case(carol, case_id, f"{decide}/approve") == 409
    assert post_to_case(dave, case_id, f"{decide}/reject") == 302
    assert audited(db, "disclosure.rejected") == [
        {"request": own.id, "requester": carol_id},
        {"request": request.id, "requester": alice_id},
    ]
    assert identity_copies(db, alice_id) == 0
    page = alice.get(f"/cases/{case_id}?show_identity=1").get_data(as_text=True)
    assert "Your last disclosure request was rejected." in page
    assert "Jane Roe" not in page
    assert audited(db, "identity.viewed") == []


def test_a_case_is_assigned_only_to_a_holder_and_the_list_filters_by_it(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    alice = make_caseworker("alice")
    case_id = new_case(intake, db).id
    outsider = make_caseworker("olga")
    console = sign_in(alice).client

    def assign(assignee: str) -> int:
        form = {"csrf_token": csrf_token(console, f"/cases/{case_id}"), "assignee": assignee}
        return console.post(f"/cases/{case_id}/access/assign", data=form).status_code

    assert assign(outsider.account.caseworker_id) == 409
    assert assign(alice.account.caseworker_id) == 302
    db.expire_all()
    assert db.get_one(Case, case_id).assignee_id == alice.account.caseworker_id
    assert case_id in console.get("/?assignee=me").get_data(as_text=True)
    assert case_id not in console.get("/?assignee=none").get_data(as_text=True)
    assert assign("") == 302
    db.expire_all()
    assert db.get_one(Case, case_id).assignee_id is None
    actions = list(db.scalars(select(AuditEvent.action).where(AuditEvent.case_id == case_id)))
    assert actions.count("case.assigned") == 2
