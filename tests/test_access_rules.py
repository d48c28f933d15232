"""Who may read a case, as rules of redress.casework.access called directly: grants and
revocations re-seal keys and never touch content, a case keeps a holder, exclusions revoke and
block grants and outweigh a stale copy, and a case is assigned only to a holder.

The console's wiring of these rules (status codes, messages, pages) is tests/test_access.py.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto.keys import KeyPair
from crypto.sealing import open_sealed, seal_to
from redress.casework import access, case_file, caselist
from redress.keys import contexts
from redress.keys.casekeys import NoKeyError
from redress.reporting.submissions import Submission
from redress.staff.identity import StaffIdentity
from redress.store.models import (
    Case,
    CaseField,
    CaseKey,
    Caseworker,
    KeyKind,
    Message,
    ReceivingTeamMember,
    Recipient,
    Role,
)
from tests.helpers import REPORT_TEXT, audited
from tests.support.domain import key_copies, refused

REPLY = "Thank you, we are looking into it."
GRANTED = {KeyKind.THREAD, KeyKind.INTERNAL}


def ciphertexts(db: Session, case_id: str) -> list[bytes]:
    db.expire_all()
    fields = db.scalars(select(CaseField.ciphertext).where(CaseField.case_id == case_id))
    messages = db.scalars(select(Message.ciphertext).where(Message.case_id == case_id))
    return sorted([*fields, *(m for m in messages if m is not None)])


def reads(db: Session, case_id: str, identity: StaffIdentity) -> list[str | None]:
    """The report and the caseworkers' replies, as the identity opens the case."""
    opened = case_file.open_case(db, case_id, identity)
    assert opened.answers is not None
    replies = [m.text for m in opened.messages if m.text is not None]
    return [str(opened.answers["what_happened"]), *replies]


def test_grant_and_revoke_reseal_keys_without_touching_content(
    db: Session,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    alice = domain_sign_in("alice")
    case_id = submit_case().case_id
    bob = domain_sign_in("bob")  # joined after the case arrived: holds nothing
    case_file.reply(db, case_id, alice, REPLY, [])
    db.commit()
    with refused(db, NoKeyError):
        case_file.open_case(db, case_id, bob)
    before = ciphertexts(db, case_id)

    access.grant(db, case_id, alice, bob.caseworker_id)
    db.commit()
    assert reads(db, case_id, bob) == [REPORT_TEXT, REPLY]
    assert ciphertexts(db, case_id) == before
    assert key_copies(db, case_id, bob.caseworker_id) == GRANTED
    assert [
        (h.colleague.username, h.colleague.role, h.kinds) for h in access.holders(db, case_id)
    ] == [
        ("alice", Role.CASEWORKER, frozenset(GRANTED)),
        ("bob", Role.CASEWORKER, frozenset(GRANTED)),
    ]
    assert audited(db, "case.granted") == [{"colleague": bob.caseworker_id}]
    with refused(db, access.AlreadyGrantedError, "bob already holds this case"):
        access.grant(db, case_id, alice, bob.caseworker_id)

    access.revoke(db, case_id, alice, bob.caseworker_id)
    db.commit()
    assert key_copies(db, case_id, bob.caseworker_id) == set()
    with refused(db, NoKeyError):
        case_file.open_case(db, case_id, bob)
    assert audited(db, "case.revoked") == [{"colleague": bob.caseworker_id, "keys": 2}]
    with refused(db, access.NotAHolderError, "does not hold"):
        access.revoke(db, case_id, alice, bob.caseworker_id)
    # Bob holds nothing now, so he can grant or revoke nothing.
    with refused(db, NoKeyError):
        access.grant(db, case_id, bob, bob.caseworker_id)
    with refused(db, NoKeyError):
        access.revoke(db, case_id, bob, alice.caseworker_id)

    # The last holder cannot give the case up: only the recovery key would be left.
    with refused(db, access.LastHolderError, "No other caseworker holds this case"):
        access.revoke(db, case_id, alice, alice.caseworker_id)
    assert key_copies(db, case_id, alice.caseworker_id) == GRANTED
    assert audited(db, "case.revoked") == [{"colleague": bob.caseworker_id, "keys": 2}]

    # With a colleague holding it, Alice may give the case up herself.
    access.grant(db, case_id, alice, bob.caseworker_id)
    access.revoke(db, case_id, alice, alice.caseworker_id)
    db.commit()
    assert key_copies(db, case_id, alice.caseworker_id) == set()
    with refused(db, NoKeyError):
        case_file.open_case(db, case_id, alice)
    assert reads(db, case_id, bob) == [REPORT_TEXT, REPLY]
    assert ciphertexts(db, case_id) == before


def test_grants_go_only_to_active_case_holding_members_of_the_team(
    db: Session,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    alice = domain_sign_in("alice")
    case_id = submit_case().case_id
    auditor = domain_sign_in("audrey", Role.AUDITOR)
    outsider = domain_sign_in("olga")
    db.execute(
        delete(ReceivingTeamMember).where(
            ReceivingTeamMember.caseworker_id == outsider.caseworker_id
        )
    )
    gone = domain_sign_in("gus")
    db.get_one(Caseworker, gone.caseworker_id).active = False
    db.commit()

    for colleague, error in (
        (auditor.caseworker_id, access.NotAColleagueError),
        (gone.caseworker_id, access.NotAColleagueError),
        ("0" * 32, access.NotAColleagueError),
        (outsider.caseworker_id, access.OutsideTeamError),
    ):
        with refused(db, error):
            access.grant(db, case_id, alice, colleague)
    assert audited(db, "case.granted") == []
    assert [c.username for c in access.grantable(db, case_id)] == ["alice"]
    assert [c.username for c in access.colleagues(db, case_id)] == ["alice", "olga"]


def test_exclusion_revokes_blocks_grants_and_outweighs_a_stale_copy(
    db: Session,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
    recovery_keypair: KeyPair,
) -> None:
    alice = domain_sign_in("alice")
    case_id = submit_case().case_id
    bob = domain_sign_in("bob")
    access.grant(db, case_id, alice, bob.caseworker_id)
    db.commit()

    access.exclude(db, case_id, alice, bob.caseworker_id)
    db.commit()
    assert key_copies(db, case_id, bob.caseworker_id) == set()
    with refused(db, NoKeyError):
        case_file.open_case(db, case_id, bob)
    assert audited(db, "case.excluded") == [{"colleague": bob.caseworker_id, "keys": 2}]
    assert [c.username for c in access.exclusions(db, case_id)] == ["bob"]
    assert [c.username for c in access.grantable(db, case_id)] == ["alice"]
    assert [c.username for c in access.colleagues(db, case_id)] == ["alice"]
    with refused(db, access.ExcludedError, "bob is excluded from this case"):
        access.grant(db, case_id, alice, bob.caseworker_id)
    with refused(db, access.AlreadyExcludedError, "bob is already excluded"):
        access.exclude(db, case_id, alice, bob.caseworker_id)
    assert key_copies(db, case_id, bob.caseworker_id) == set()

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
    stale = contexts.case_key(case_id, KeyKind.THREAD, Recipient.CASEWORKER, bob.caseworker_id)
    db.add(
        CaseKey(
            case_id=case_id,
            kind=KeyKind.THREAD,
            recipient=Recipient.CASEWORKER,
            caseworker_id=bob.caseworker_id,
            sealed=seal_to(bob.keypair.public, thread_key, stale),
        )
    )
    db.commit()
    with refused(db, NoKeyError):
        bob.case_key(db, case_id, KeyKind.THREAD)
    with refused(db, NoKeyError):
        case_file.open_case(db, case_id, bob)
    with refused(db, NoKeyError):
        case_file.reply(db, case_id, bob, "hello", [])
    listed = caselist.list_page(db, bob, caselist.CaseFilter())
    assert (listed.rows, listed.total) == ([], 0)

    access.lift_exclusion(db, case_id, alice, bob.caseworker_id)
    db.commit()
    assert audited(db, "case.exclusion_lifted") == [{"colleague": bob.caseworker_id}]
    assert access.exclusions(db, case_id) == []
    with refused(db, access.NotExcludedError, "not excluded"):
        access.lift_exclusion(db, case_id, alice, bob.caseworker_id)
    # The stale copy is a sound one: with the exclusion lifted it opens, so the exclusion alone
    # kept it shut above.
    assert bob.case_key(db, case_id, KeyKind.THREAD) == thread_key


def test_the_last_holder_cannot_be_excluded(
    db: Session,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    alice = domain_sign_in("alice")
    case_id = submit_case().case_id
    with refused(db, access.LastHolderError):
        access.exclude(db, case_id, alice, alice.caseworker_id)
    assert key_copies(db, case_id, alice.caseworker_id) == GRANTED
    assert access.exclusions(db, case_id) == []


def test_a_case_is_assigned_only_to_a_holder(
    db: Session,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    alice = domain_sign_in("alice")
    case_id = submit_case().case_id
    outsider = domain_sign_in("olga")  # joined after the case arrived: holds nothing

    def assignee() -> str | None:
        db.expire_all()
        return db.get_one(Case, case_id).assignee_id

    with refused(db, access.NotAHolderError, "only to a colleague who holds it"):
        access.assign(db, case_id, alice, outsider.caseworker_id)
    with refused(db, NoKeyError):
        access.assign(db, case_id, outsider, outsider.caseworker_id)
    assert assignee() is None

    access.assign(db, case_id, alice, alice.caseworker_id)
    db.commit()
    assert assignee() == alice.caseworker_id
    access.assign(db, case_id, alice, None)
    db.commit()
    assert assignee() is None
    assert audited(db, "case.assigned") == [{"assignee": alice.caseworker_id}, {"assignee": ""}]
