"""Blind indexes and the organisation index key: equality without the values, sealed like case
keys, handed on at sign-in."""

from __future__ import annotations

from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.keys import KeyPair
from crypto.sealing import open_sealed
from redress.keys import contexts
from redress.keys.blind_index import (
    INDEX_KEY,
    index_digest,
    normalise,
    open_index_key,
    set_case_index,
)
from redress.staff.accounts import authenticate
from redress.store.models import BlindIndex, Case, OrganisationKey, Recipient, Role
from tests.helpers import Authenticator, console_login, submit_report


def holders(db: Session) -> set[tuple[Recipient, str | None]]:
    db.expire_all()
    return {
        (copy.recipient, copy.caseworker_id)
        for copy in db.scalars(select(OrganisationKey).where(OrganisationKey.name == INDEX_KEY))
    }


def test_normalisation_folds_case_width_and_spacing() -> None:
    assert normalise("  ACME\u3000 Corp ") == normalise("acme corp") == "acme corp"
    key = bytes(32)
    assert index_digest(key, "customer", "Acme Corp") == index_digest(key, "customer", "acme  corp")
    assert index_digest(key, "customer", "Acme") != index_digest(key, "country", "Acme")
    assert index_digest(key, "customer", "Acme") != index_digest(
        bytes([1]) * 32, "customer", "Acme"
    )


def test_first_sign_in_creates_the_key_and_later_ones_hand_it_on(
    console_app, make_caseworker, db: Session, recovery_keypair: KeyPair
) -> None:
    alice = make_caseworker("alice")
    bob = make_caseworker("bob")
    auditor = make_caseworker("audra", Role.AUDITOR)
    alice_id, bob_id = alice.account.caseworker_id, bob.account.caseworker_id

    codes = {
        name: Authenticator(staff.account.totp_secret)
        for name, staff in (("alice", alice), ("bob", bob))
    }
    client = console_app.test_client()
    console_login(client, "bob", bob.passphrase, codes["bob"].next_code())
    assert holders(db) == {
        (Recipient.RECOVERY, None),
        (Recipient.CASEWORKER, bob_id),
        (Recipient.CASEWORKER, alice_id),
    }
    assert (Recipient.CASEWORKER, auditor.account.caseworker_id) not in holders(db)

    carol = make_caseworker("carol")
    other = console_app.test_client()
    console_login(other, "alice", alice.passphrase, codes["alice"].next_code())
    assert (Recipient.CASEWORKER, carol.account.caseworker_id) in holders(db)

    codes["carol"] = Authenticator(carol.account.totp_secret)
    keys = []
    for staff in (alice, bob, carol):
        name = staff.account.username
        identity = authenticate(db, name, staff.passphrase, codes[name].next_code())
        keys.append(open_index_key(db, identity.caseworker_id, identity.keypair))
    recovery_copy = db.scalar(
        select(OrganisationKey.sealed).where(OrganisationKey.recipient == Recipient.RECOVERY)
    )
    assert recovery_copy is not None
    keys.append(
        open_sealed(
            recovery_copy,
            recovery_keypair,
            contexts.organisation_key(INDEX_KEY, Recipient.RECOVERY, None),
        )
    )
    assert len(set(keys)) == 1


def test_case_index_replaces_a_facet_and_reveals_only_equality(
    intake: FlaskClient, db: Session
) -> None:
    submit_report(intake, "first")
    submit_report(intake, "second")
    first, second = db.scalars(select(Case.id)).all()
    key = bytes(range(32))
    set_case_index(db, key, first, "country", ["Atlantis", "atlantis ", "Oz"])
    set_case_index(db, key, second, "country", ["ATLANTIS"])
    db.commit()
    rows = db.scalars(select(BlindIndex).where(BlindIndex.facet == "country")).all()
    assert len(rows) == 3
    atlantis = index_digest(key, "country", "Atlantis")
    sharing = {row.case_id for row in rows if row.digest == atlantis}
    assert sharing == {first, second}
    assert all(b"tlantis" not in row.digest for row in rows)
    set_case_index(db, key, first, "country", [])
    db.commit()
    assert {row.case_id for row in db.scalars(select(BlindIndex))} == {second}
