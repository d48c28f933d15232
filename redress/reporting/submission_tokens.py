"""Protection against a double-submitted report form, without losing the receipt.

The report form carries a random one-time token. Storing a report also stores, under the token's
digest, the receipt encrypted with a key derived from the token itself. A second copy of the same
submission (a double click, a reload) finds that row, stores nothing, and shows the same receipt,
decrypted with the token it carries. The server never holds the token at rest, so a copy of the
database cannot read the pending receipt. When the reporter confirms the receipt, the encrypted
receipt is erased and the row only marks the form as spent.

A pending receipt is offered again for 15 minutes; that exact expiry is encrypted with it. In
clear the row keeps only the day from which it has certainly expired (``purge_after``, a function
of the day it was stored), so it dates the submission to the day. A confirmed form stays spent
until that day. Rows are deleted from their purge day on, when the next report is stored and by
`redress purge`.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta

from sqlalchemy import delete, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
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


def _key(token: str) -> bytes:
    return digest(_raw(token), domain=_KEY_DOMAIN)


def remember_receipt(db: Session, token: str, receipt: str) -> None:
    """Add (in the caller's transaction) the receipt for a second copy of this form."""
    row_id = token_id(token)
    expires = clock.utcnow() + LIFETIME
    db.add(
        SubmissionToken(
            id=row_id,
            encrypted_receipt=seal_record(
                _key(token),
                {"receipt": receipt, "expires": expires.isoformat()},
                contexts.pending_receipt(row_id),
            ),
            purge_after=clock.purge_day(LIFETIME),
        )
    )


def _forget(db: Session, row: SubmissionToken) -> None:
    """The form's row has expired: delete it now, so the form can be stored again."""
    db.delete(row)
    db.flush()


def check_unused(db: Session, token: str) -> None:
    """Raise AlreadySubmittedError if this form was stored within the last minutes, or was
    stored and its receipt confirmed (the form is spent until its row's purge day)."""
    row_id = token_id(token)
    row = db.get(SubmissionToken, row_id, populate_existing=True)
    if row is None:
        return
    if row.purge_after <= clock.today():
        _forget(db, row)
        return
    if not row.encrypted_receipt:
        raise AlreadySubmittedError(None)
    try:
        pending = open_record(_key(token), row.encrypted_receipt, contexts.pending_receipt(row_id))
        receipt = str(pending["receipt"])
        expires = datetime.fromisoformat(pending["expires"])
    except (UnreadableRecordError, KeyError, TypeError, ValueError):
        raise AlreadySubmittedError(None) from None
    if expires <= clock.utcnow():
        _forget(db, row)
        return
    raise AlreadySubmittedError(receipt)


def mark_confirmed(db: Session, row_id: str) -> None:
    """Erase the pending receipt once the reporter has confirmed saving it."""
    db.execute(
        update(SubmissionToken).where(SubmissionToken.id == row_id).values(encrypted_receipt=b"")
    )


def purge_expired(db: Session) -> int:
    """Delete (in the caller's transaction) every row past its purge day; how many."""
    result = db.execute(delete(SubmissionToken).where(SubmissionToken.purge_after <= clock.today()))
    return int(getattr(result, "rowcount", 0) or 0)
