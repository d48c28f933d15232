"""One-time recovery codes that stand in for a TOTP code when the authenticator is lost.

A code is 16 random Crockford base32 symbols (80 bits from the OS CSPRNG) shown once as four
groups of four (``7QM3-XHD9-P2RW-T4N8``). The server keeps only a keyed BLAKE2b digest of the
normalised code bound to its account, so a database copy yields no usable code and a digest
copied to another account's row matches nothing. The codes are high-entropy, so no Argon2 is
needed. Generating a new set deletes the old one; redeeming marks a code used, atomically, so
the same code never works twice.
"""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from crypto.receipts import RECEIPT_ALPHABET
from redress import audit
from redress.audit import Actor, AuditAction
from redress.store.models import RecoveryCode

CODE_COUNT = 10
GROUPS = 4
GROUP_SIZE = 4
_SYMBOLS = GROUPS * GROUP_SIZE
_DOMAIN = b"redress/recovery-code/v1"
_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1", "U": "V"}
_SEPARATORS = frozenset("-_. ")


def _formatted(symbols: str) -> str:
    return "-".join(symbols[i : i + GROUP_SIZE] for i in range(0, _SYMBOLS, GROUP_SIZE))


def normalise(text: str) -> str | None:
    """The canonical 16 symbols of ``text`` if it is shaped like a recovery code, else None.

    Case and separators are ignored and look-alike letters read as digits, as for receipts.
    A 6-digit TOTP code is never shaped like a recovery code.
    """
    symbols = [
        _LOOK_ALIKES.get(char.upper(), char.upper()) for char in text if char not in _SEPARATORS
    ]
    if len(symbols) != _SYMBOLS or not all(symbol in RECEIPT_ALPHABET for symbol in symbols):
        return None
    return "".join(symbols)


def _digest(caseworker_id: str, normalised: str) -> bytes:
    return digest(f"{caseworker_id}:{normalised}".encode(), domain=_DOMAIN)


def replace_codes(db: Session, caseworker_id: str) -> list[str]:
    """A fresh set of codes for the account (shown once); earlier codes stop working."""
    codes = [
        "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(_SYMBOLS))
        for _ in range(CODE_COUNT)
    ]
    db.execute(delete(RecoveryCode).where(RecoveryCode.caseworker_id == caseworker_id))
    db.add_all(
        RecoveryCode(caseworker_id=caseworker_id, digest=_digest(caseworker_id, code))
        for code in codes
    )
    audit.record(
        db,
        AuditAction.RECOVERY_CODES_GENERATED,
        Actor.staff(caseworker_id),
        detail={"count": CODE_COUNT},
    )
    return [_formatted(code) for code in codes]


def redeem(db: Session, caseworker_id: str, code: str, *, at: datetime) -> bool:
    """Mark the account's unused code matching ``code`` used; False if none does.

    The caller commits. The conditional update makes two concurrent sign-ins with the same
    code race for one row: only one of them sees it change.
    """
    normalised = normalise(code)
    if normalised is None:
        return False
    result = db.execute(
        update(RecoveryCode)
        .where(
            RecoveryCode.caseworker_id == caseworker_id,
            RecoveryCode.digest == _digest(caseworker_id, normalised),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=at)
    )
    return int(getattr(result, "rowcount", 0) or 0) == 1


def unused_count(db: Session, caseworker_id: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(RecoveryCode)
            .where(RecoveryCode.caseworker_id == caseworker_id, RecoveryCode.used_at.is_(None))
        )
        or 0
    )
