"""Blind indexes: filtering cases by classification values that are stored only encrypted.

A classification value (a customer, a country, a product...) is stored encrypted with the case.
To filter on it, the case also gets a keyed digest of the normalised value under the
organisation *index key*. The index key is a random 32-byte secret sealed to every staff member
who works on cases and to the recovery key, like a case key; the server never holds it at rest.

A digest reveals equality only: someone with the database sees which cases share a value, not
the value (docs/threat-model.md). Distribution: nobody's private key is unlocked when an account
is created, so a staff member who holds the index key seals it to active case-holding colleagues
who lack a copy each time they sign in; the very first sign-in creates the key.
"""

from __future__ import annotations

import unicodedata
from collections.abc import Iterable

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from crypto.digests import digest
from crypto.errors import CryptoError
from crypto.keys import KeyPair, random_key
from crypto.sealing import open_sealed, seal_to
from redress import audit
from redress.audit import Actor, AuditAction
from redress.keys import contexts
from redress.keys.permissions import CASE_HOLDING_ROLES
from redress.store.models import (
    BlindIndex,
    Caseworker,
    OrganisationKey,
    ReceivingTeamMember,
    Recipient,
)

INDEX_KEY = "index"
_DOMAIN = b"redress-blind-index-v1"


class NoIndexKeyError(Exception):
    """This staff member holds no copy of the index key yet."""


class DamagedIndexKeyError(NoIndexKeyError):
    """This staff member's copy failed its integrity check: treated as not held."""


def normalise(value: str) -> str:
    """Case-, width- and spacing-insensitive form, so "Acme  Corp" and "acme corp" match."""
    folded = unicodedata.normalize("NFKC", value).casefold()
    return " ".join(folded.split())


def index_digest(index_key: bytes, facet: str, value: str) -> bytes:
    return digest(index_key + facet.encode() + b"\x00" + normalise(value).encode(), domain=_DOMAIN)


def _copy(
    key: bytes, recipient: Recipient, caseworker_id: str | None, public: bytes
) -> OrganisationKey:
    return OrganisationKey(
        name=INDEX_KEY,
        recipient=recipient,
        caseworker_id=caseworker_id,
        sealed=seal_to(public, key, contexts.organisation_key(INDEX_KEY, recipient, caseworker_id)),
    )


def open_index_key(db: Session, caseworker_id: str, keypair: KeyPair) -> bytes:
    sealed = db.scalar(
        select(OrganisationKey.sealed).where(
            OrganisationKey.name == INDEX_KEY,
            OrganisationKey.recipient == Recipient.CASEWORKER,
            OrganisationKey.caseworker_id == caseworker_id,
        )
    )
    if sealed is None:
        raise NoIndexKeyError(caseworker_id)
    context = contexts.organisation_key(INDEX_KEY, Recipient.CASEWORKER, caseworker_id)
    try:
        return open_sealed(sealed, keypair, context)
    except CryptoError:
        raise DamagedIndexKeyError(caseworker_id) from None


def _in_team(db: Session, caseworker_id: str) -> bool:
    member = select(ReceivingTeamMember.id).where(
        ReceivingTeamMember.caseworker_id == caseworker_id
    )
    return db.scalar(member) is not None


def distribute_index_key(
    db: Session, caseworker_id: str, keypair: KeyPair, recovery_public: bytes
) -> None:
    """At sign-in: create the index key if none exists, and seal it to colleagues lacking it.

    Only members of the receiving team take part (the staff new cases reach): an account
    waiting to join gets no copy. The caller commits.
    """
    worker = db.get_one(Caseworker, caseworker_id)
    if worker.role not in CASE_HOLDING_ROLES or not _in_team(db, caseworker_id):
        return
    holders = set(
        db.scalars(
            select(OrganisationKey.caseworker_id).where(
                OrganisationKey.name == INDEX_KEY,
                OrganisationKey.recipient == Recipient.CASEWORKER,
            )
        )
    )
    if not holders:
        key = random_key()
        db.add(_copy(key, Recipient.RECOVERY, None, recovery_public))
    elif caseworker_id in holders:
        try:
            key = open_index_key(db, caseworker_id, keypair)
        except DamagedIndexKeyError:
            # Drop the damaged copy; a colleague holding the key re-seals it at their sign-in.
            db.execute(
                delete(OrganisationKey).where(
                    OrganisationKey.name == INDEX_KEY,
                    OrganisationKey.recipient == Recipient.CASEWORKER,
                    OrganisationKey.caseworker_id == caseworker_id,
                )
            )
            audit.record(db, AuditAction.INDEX_KEY_INTEGRITY_FAILED, Actor.staff(caseworker_id))
            return
    else:
        return
    colleagues = db.scalars(
        select(Caseworker).where(
            Caseworker.active.is_(True),
            Caseworker.role.in_(CASE_HOLDING_ROLES),
            Caseworker.id.in_(select(ReceivingTeamMember.caseworker_id)),
        )
    )
    for colleague in colleagues:
        if colleague.id not in holders:
            db.add(_copy(key, Recipient.CASEWORKER, colleague.id, colleague.public_key))


def set_case_index(
    db: Session, index_key: bytes, case_id: str, facet: str, values: Iterable[str]
) -> None:
    """Replace a case's digests for one facet (the caller commits)."""
    db.execute(delete(BlindIndex).where(BlindIndex.case_id == case_id, BlindIndex.facet == facet))
    for value in {normalise(value) for value in values if value.strip()}:
        db.add(
            BlindIndex(case_id=case_id, facet=facet, digest=index_digest(index_key, facet, value))
        )
