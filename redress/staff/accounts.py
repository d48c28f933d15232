"""Caseworker accounts: creation with keys and TOTP, login, and passphrase changes.

Login checks the argon2 password hash first, then unwraps the private key with the same
passphrase, then opens the TOTP secret sealed to that key and checks the code (or, in its place,
an unused recovery code: redress.staff.recovery_codes). Unknown accounts do the same hashing work as
known ones and fail with the same error.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.keys import (
    KeyPair,
    generate_keypair,
    keypair_from_private,
    unwrap_private_key,
    wrap_private_key,
)
from crypto.params import KdfParams
from crypto.passwords import hash_password, verify_password
from crypto.receipts import RECEIPT_ALPHABET
from crypto.sealing import open_sealed, seal_to
from redress import audit
from redress.audit import Actor, ActorKind, AuditAction
from redress.keys import casekeys, contexts
from redress.staff import recovery_codes, team, totp
from redress.store import clock
from redress.store.models import Caseworker, KeyKind, Role, new_id

ISSUER = "Redress"
MIN_PASSPHRASE_LENGTH = 12
# Failed logins allowed before the account backs off, and the longest back-off.
FREE_ATTEMPTS = 5
MAX_BACKOFF = timedelta(hours=1)


class LoginError(Exception):
    """Wrong username, passphrase or code, or the account is backing off (never says which)."""


class PassphraseError(Exception):
    """The new passphrase is not acceptable."""


@dataclass(frozen=True)
class NewAccount:
    caseworker_id: str
    username: str
    password: str = field(repr=False)
    totp_secret: str = field(repr=False)

    @property
    def provisioning_uri(self) -> str:
        return totp.provisioning_uri(self.totp_secret, self.username, ISSUER)


@dataclass(frozen=True)
class StaffIdentity:
    caseworker_id: str
    username: str
    role: Role
    keypair: KeyPair = field(repr=False)
    must_change_password: bool = False

    @property
    def actor(self) -> Actor:
        """This person, as the audit log names who acted."""
        return Actor.staff(self.caseworker_id)

    def case_key(self, db: Session, case_id: str, kind: KeyKind) -> bytes:
        """This person's own copy of a case key, opened: NoKeyError unless they hold the case
        and are not excluded from it (redress.keys.casekeys)."""
        return casekeys.open_caseworker_key(db, case_id, kind, self.caseworker_id, self.keypair)


def generate_password() -> str:
    """A one-time password: 20 symbols (100 bits) in groups of four."""
    symbols = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(20))
    return "-".join(symbols[i : i + 4] for i in range(0, 20, 4))


def add_caseworker(
    db: Session,
    username: str,
    role: Role,
    *,
    kdf: KdfParams,
    must_change_password: bool = True,
    created_by: str | None = None,
) -> NewAccount:
    """Create an account; `created_by` is the administrator who did in the console.

    None: the operator at the command line (`redress caseworker add`, the demo account), whose
    caseworker or approver account joins the receiving team at once. An administrator's waits
    for an approver in the team to add it (redress.staff.team).
    """
    username = username.strip()
    if not username or db.scalar(select(Caseworker.id).where(Caseworker.username == username)):
        raise ValueError(f"the username {username!r} is empty or already taken")
    password = generate_password()
    secret = totp.new_secret()
    keypair = generate_keypair()
    caseworker_id = new_id()
    now = clock.utcnow()
    worker = Caseworker(
        id=caseworker_id,
        username=username,
        role=role,
        password_hash=hash_password(password, kdf),
        public_key=keypair.public,
        wrapped_private_key=wrap_private_key(keypair.private, password, kdf),
        sealed_totp_secret=seal_to(
            keypair.public, secret.encode(), contexts.totp_secret(caseworker_id)
        ),
        must_change_password=must_change_password,
        created_at=now,
        created_by=created_by,
    )
    db.add(worker)
    # No ORM relationship orders the team row after the account: flush the account first.
    db.flush()
    # The event names whoever acted; an administrator's event names the new account in detail.
    if created_by is None:
        audit.record(
            db,
            AuditAction.ACCOUNT_CREATED,
            Actor(ActorKind.SYSTEM, caseworker_id),
            detail={"role": role.value},
        )
        team.join_by_operator(db, worker)
    else:
        audit.record(
            db,
            AuditAction.ACCOUNT_CREATED,
            Actor.staff(created_by),
            detail={"role": role.value, "account": caseworker_id},
        )
    return NewAccount(caseworker_id, username, password, secret)


def _backoff(failures: int) -> timedelta:
    return min(timedelta(minutes=2 ** (failures - FREE_ATTEMPTS)), MAX_BACKOFF)


def _fail(db: Session, worker: Caseworker | None, now: datetime, reason: str) -> LoginError:
    if worker is not None:
        worker.failed_logins += 1
        if worker.failed_logins >= FREE_ATTEMPTS:
            worker.locked_until = now + _backoff(worker.failed_logins)
        audit.record(
            db, AuditAction.LOGIN_FAILED, Actor.staff(worker.id), detail={"reason": reason}
        )
    return LoginError()


def authenticate(db: Session, username: str, password: str, code: str) -> StaffIdentity:
    now = clock.utcnow()
    worker = db.scalar(select(Caseworker).where(Caseworker.username == username.strip()))
    password_ok = verify_password(worker.password_hash if worker else None, password)
    if worker is None or not worker.active:
        raise _fail(db, None, now, "unknown")
    if worker.locked_until is not None and worker.locked_until > now:
        raise _fail(db, worker, now, "backing off")
    if not password_ok:
        raise _fail(db, worker, now, "password")
    try:
        keypair = keypair_from_private(unwrap_private_key(worker.wrapped_private_key, password))
        if keypair.public != worker.public_key:
            # A wrapped key copied in from another account.
            raise CryptoError("the wrapped key does not belong to this account")
        secret = open_sealed(
            worker.sealed_totp_secret, keypair, contexts.totp_secret(worker.id)
        ).decode()
    except CryptoError:
        raise _fail(db, worker, now, "key integrity") from None
    _check_second_factor(db, worker, secret, code, now)
    worker.failed_logins = 0
    worker.locked_until = None
    audit.record(db, AuditAction.LOGIN, Actor.staff(worker.id))
    return StaffIdentity(
        worker.id, worker.username, worker.role, keypair, worker.must_change_password
    )


def _check_second_factor(
    db: Session, worker: Caseworker, secret: str, code: str, now: datetime
) -> None:
    """Accept a fresh TOTP code, or an unused recovery code (which is then used up)."""
    if recovery_codes.normalise(code) is not None:
        if not recovery_codes.redeem(db, worker.id, code, at=now):
            raise _fail(db, worker, now, "recovery code")
        audit.record(
            db,
            AuditAction.LOGIN_RECOVERY_CODE,
            Actor.staff(worker.id),
            detail={"remaining": recovery_codes.unused_count(db, worker.id)},
        )
        return
    step = totp.accepted_step(secret, code, last_step=worker.totp_last_step, at=now)
    if step is None:
        raise _fail(db, worker, now, "code")
    worker.totp_last_step = step


def confirm_passphrase(db: Session, identity: StaffIdentity, passphrase: str, purpose: str) -> None:
    """Ask a signed-in user to prove they know the passphrase again (failures are audited)."""
    worker = db.get_one(Caseworker, identity.caseworker_id)
    if not verify_password(worker.password_hash, passphrase):
        audit.record(
            db,
            AuditAction.PASSPHRASE_CONFIRM_FAILED,
            Actor.staff(worker.id),
            detail={"purpose": purpose},
        )
        raise PassphraseError("The passphrase is wrong.")


def change_passphrase(
    db: Session, identity: StaffIdentity, current: str, new: str, *, kdf: KdfParams
) -> StaffIdentity:
    """Re-wrap the private key under a new passphrase (content is never re-encrypted)."""
    worker = db.get_one(Caseworker, identity.caseworker_id)
    if not verify_password(worker.password_hash, current):
        raise PassphraseError("The current passphrase is wrong.")
    if len(new) < MIN_PASSPHRASE_LENGTH:
        raise PassphraseError(
            f"The new passphrase must be at least {MIN_PASSPHRASE_LENGTH} characters long."
        )
    if new == current:
        raise PassphraseError("The new passphrase must differ from the current one.")
    worker.password_hash = hash_password(new, kdf)
    worker.wrapped_private_key = wrap_private_key(identity.keypair.private, new, kdf)
    worker.must_change_password = False
    audit.record(db, AuditAction.ACCOUNT_PASSPHRASE_CHANGED, Actor.staff(worker.id))
    return StaffIdentity(worker.id, worker.username, worker.role, identity.keypair, False)
