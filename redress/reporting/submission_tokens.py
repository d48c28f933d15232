"""Protection against a double-submitted report form, without losing the receipt.

The report form carries a random one-time token. Storing a report also stores, under the token's
digest, the receipt encrypted with a key derived from the token itself. A second copy of the same
submission (a double click, a reload) finds that row, stores nothing, and shows the same receipt,
decrypted with the token it carries. The server never holds the token at rest, so a copy of the
database cannot read the pending receipt. When the reporter confirms the receipt, the encrypted
receipt is erased and the row only marks the form as spent; rows expire after 15 minutes.
"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from crypto.errors import CryptoError
from crypto.fields import decrypt_field, encrypt_field
from redress.keys import contexts
from redress.store import clock
from redress.store.models import SubmissionToken

LIFETIME = timedelta(minutes=15)
_TOKEN = re.compile(r"\A[0-9a-f]{64}\Z")
_ID_DOMAIN = b"redress-submission-token"
_KEY_DOMAIN = b"redress-submission-receipt-key"


class InvalidTokenError(ValueError):
    """The form's token is missing or malformed."""


class AlreadySubmittedError(Exception):
    """This form was already stored; carries the receipt it was given, unless confirmed since."""

    def __init__(self, receipt: str | None) -> None:
        super().__init__("this form was already submitted")
        self.receipt = receipt


def new_token() -> str:
    return secrets.token_hex(32)


def _raw(token: str) -> bytes:
    if not _TOKEN.match(token):
        raise InvalidTokenError(token)
    return bytes.fromhex(token)


def token_id(token: str) -> str:
    return digest(_raw(token), domain=_ID_DOMAIN).hex()


def remember_receipt(db: Session, token: str, receipt: str) -> None:
    """Add (in the caller's transaction) the receipt for a second copy of this form."""
    row_id = token_id(token)
    key = digest(_raw(token), domain=_KEY_DOMAIN)
    db.add(
        SubmissionToken(
            id=row_id,
            encrypted_receipt=encrypt_field(
                key, receipt.encode(), contexts.pending_receipt(row_id)
            ),
            expires_at=clock.round_up(clock.utcnow() + LIFETIME, 5),
        )
    )


def check_unused(db: Session, token: str) -> None:
    """Raise AlreadySubmittedError if this form was stored within the last minutes."""
    row_id = token_id(token)
    row = db.get(SubmissionToken, row_id, populate_existing=True)
    if row is None or row.expires_at <= clock.utcnow():
        return
    if not row.encrypted_receipt:
        raise AlreadySubmittedError(None)
    key = digest(_raw(token), domain=_KEY_DOMAIN)
    try:
        receipt = decrypt_field(key, row.encrypted_receipt, contexts.pending_receipt(row_id))
    except CryptoError:
        raise AlreadySubmittedError(None) from None
    raise AlreadySubmittedError(receipt.decode())


def mark_confirmed(db: Session, row_id: str) -> None:
    """Erase the pending receipt once the reporter has confirmed saving it."""
    db.execute(
        update(SubmissionToken).where(SubmissionToken.id == row_id).values(encrypted_receipt=b"")
    )


def purge_expired(db: Session) -> None:
    db.execute(delete(SubmissionToken).where(SubmissionToken.expires_at <= clock.utcnow()))
