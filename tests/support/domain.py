"""Builders for direct tests of the domain functions (redress.casework and the floors below).

No Flask: a console user is signed in by the core's own sign-in steps (the passphrase, a TOTP
code, the private key unwrapped, the organisation index key handed on, as caseworker/auth.py's
login does), and a case is submitted by the reporter's submission path (the function intake's
report form calls). Keys are real throughout. The ``domain_sign_in`` and ``submit_case``
fixtures (tests/conftest.py) wrap :func:`sign_in_identity` and :func:`submit_case`.

Domain functions never commit: a test commits after a step, as a view does, and after a refusal
rolls back with :func:`refused`, as a view does.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from contextlib import contextmanager

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from redress.keys.blind_index import distribute_index_key
from redress.reporting import submission_tokens, submissions
from redress.staff import accounts
from redress.staff.identity import StaffIdentity
from redress.store.config import Config
from redress.store.models import CaseKey, KeyKind, Recipient
from tests.helpers import REPORT_TEXT, Authenticator, Staff

# The question of the report form that holds what happened (redress.i18n.questions).
WHAT_HAPPENED = "what_happened"


def sign_in_identity(
    db: Session,
    config: Config,
    staff: Staff,
    passphrase: str | None = None,
    authenticator: Authenticator | None = None,
) -> StaffIdentity:
    """Sign ``staff`` in as the console does, without the console: their passphrase (the
    one-time one unless given) and a fresh TOTP code checked, the key unwrapped, the index key
    handed on; committed. The identity the console would keep for the session."""
    authenticator = authenticator or Authenticator(staff.account.totp_secret)
    identity = accounts.authenticate(
        db, staff.account.username, passphrase or staff.passphrase, authenticator.next_code()
    )
    distribute_index_key(db, identity.caseworker_id, identity.keypair, config.recovery_public_key)
    db.commit()
    return identity


def submit_case(
    db: Session,
    config: Config,
    text: str = REPORT_TEXT,
    identity: Mapping[str, str] | None = None,
) -> submissions.Submission:
    """A report sent by the submission path intake uses (with ``identity``, a confidential
    identity such as ``{"name": "Jane Roe"}``), without files; committed. Its keys are sealed to
    the receiving team at that moment, as for any report."""
    submission = submissions.submit_report(
        db,
        config,
        {WHAT_HAPPENED: text},
        [],
        identity,
        form_token=submission_tokens.new_token(),
    )
    db.commit()
    return submission


@contextmanager
def refused(db: Session, error: type[Exception], match: str | None = None) -> Iterator[None]:
    """The domain call inside raises ``error`` (its message matching ``match``); then the
    transaction is rolled back, as the console does with a refused request."""
    with pytest.raises(error, match=match):
        yield
    db.rollback()


def key_copies(db: Session, case_id: str, caseworker_id: str) -> set[KeyKind]:
    """The kinds of the case's keys sealed to the caseworker."""
    db.expire_all()
    return set(
        db.scalars(
            select(CaseKey.kind).where(
                CaseKey.case_id == case_id,
                CaseKey.recipient == Recipient.CASEWORKER,
                CaseKey.caseworker_id == caseworker_id,
            )
        )
    )


def flip_last_byte(data: bytes) -> bytes:
    """``data`` with its last bit flipped: a ciphertext altered in storage."""
    return data[:-1] + bytes([data[-1] ^ 1])
