"""Caseworker accounts: creation with keys and TOTP, sign-in, and passphrase changes.

Sign-in comes in two steps with a commit between them (caseworker.auth.login does this):
:func:`claim_sign_in` counts the attempt as failed before anything is checked (and finds the
account backing off, if it is), then :func:`check_sign_in` checks the argon2 password hash,
unwraps the private key with the same passphrase, opens the TOTP secret sealed to that key and
uses up the code (or, in its place, an unused recovery code: redress.staff.recovery_codes). Each
count and each use is one atomic step in the database (redress.staff.attempts), so parallel
attempts, in any number of processes, get no more tries than sequential ones, and a code signs
in once. Unknown accounts and backing-off ones do the same hashing work as the others and fail
with the same error.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.keys import (
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
from redress.keys import contexts
from redress.staff import attempts, recovery_codes, team, totp
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import Caseworker, Role, new_id

ISSUER = "Redress"
MIN_PASSPHRASE_LENGTH = 12


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


@dataclass(frozen=True)
class SignInClaim:
    """One sign-in attempt, already counted as failed (see :func:`claim_sign_in`)."""

    caseworker_id: str | None  # None: no active account has the username
    refused: bool  # the account was backing off: the attempt fails whatever it holds
    at: datetime


def claim_sign_in(db: Session, username: str) -> SignInClaim:
    """Count an attempt to sign in as `username` as failed, before anything is checked.

    The caller commits this straight away and only then calls :func:`check_sign_in`: a guess is
    counted before it can be tried, so parallel guesses cannot outrun the back-off, and no lock
    is held while the passphrase is being hashed.
    """
    now = clock.utcnow()
    worker_id = db.scalar(
        select(Caseworker.id).where(Caseworker.username == username.strip(), Caseworker.active)
    )
    if worker_id is None:
        return SignInClaim(None, refused=False, at=now)
    granted = attempts.claim(db, worker_id, now)
    return SignInClaim(worker_id, refused=not granted, at=now)


def _fail(db: Session, worker: Caseworker | None, reason: str) -> LoginError:
    """The one error of every failure, audited for an account (its attempt is already counted)."""
    if worker is not None:
        audit.record(
            db, AuditAction.LOGIN_FAILED, Actor.staff(worker.id), detail={"reason": reason}
        )
    return LoginError()


def check_sign_in(db: Session, claim: SignInClaim, password: str, code: str) -> StaffIdentity:
    """Check a claimed attempt; LoginError unless the passphrase and the code are right, the
    code unused and the account was not backing off. The caller commits either way."""
    worker = db.get(Caseworker, claim.caseworker_id) if claim.caseworker_id else None
    # Always the same hashing work: for an unknown account (a dummy hash), and for one backing
    # off (its own hash, the result unused), as for any other.
    password_ok = verify_password(worker.password_hash if worker else None, password)
    if worker is None or not worker.active:
        raise _fail(db, None, "unknown")
    if claim.refused:
        raise _fail(db, worker, "backing off")
    if not password_ok:
        raise _fail(db, worker, "password")
    try:
        keypair = keypair_from_private(unwrap_private_key(worker.wrapped_private_key, password))
        if keypair.public != worker.public_key:
            # A wrapped key copied in from another account.
            raise CryptoError("the wrapped key does not belong to this account")
        secret = open_sealed(
            worker.sealed_totp_secret, keypair, contexts.totp_secret(worker.id)
        ).decode()
    except CryptoError:
        raise _fail(db, worker, "key integrity") from None
    recovery_code = _use_second_factor(db, worker, secret, code, claim.at)
    attempts.succeeded(db, worker.id)
    # Audited last: every account row change above comes before the audit chain's lock.
    if recovery_code:
        audit.record(
            db,
            AuditAction.LOGIN_RECOVERY_CODE,
            Actor.staff(worker.id),
            detail={"remaining": recovery_codes.unused_count(db, worker.id)},
        )
    audit.record(db, AuditAction.LOGIN, Actor.staff(worker.id))
    return StaffIdentity(
        worker.id, worker.username, worker.role, keypair, worker.must_change_password
    )


def authenticate(db: Session, username: str, password: str, code: str) -> StaffIdentity:
    """Claim and check an attempt in one transaction (the CLI and tests).

    As safe as the two steps with a commit between, since the claim holds the account's lock
    until the caller commits, but that lock (on SQLite, the database's write lock) is then held
    through the hashing: the console commits the claim first (caseworker.auth.login).
    """
    return check_sign_in(db, claim_sign_in(db, username), password, code)


def _use_second_factor(
    db: Session, worker: Caseworker, secret: str, code: str, now: datetime
) -> bool:
    """Use up a fresh TOTP code, or an unused recovery code (True); LoginError if neither."""
    if recovery_codes.normalise(code) is not None:
        if not recovery_codes.redeem(db, worker.id, code, at=now):
            raise _fail(db, worker, "recovery code")
        return True
    # The step read with the account may be stale: claiming it is what decides.
    step = totp.accepted_step(secret, code, last_step=worker.totp_last_step, at=now)
    if step is None or not attempts.claim_totp_step(db, worker.id, step):
        raise _fail(db, worker, "code")
    return False


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
