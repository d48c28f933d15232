"""Per-case keys: created with a case, sealed to each recipient, opened by whoever holds a copy.

Who can open what:
- the thread key (report, attachments, messages both ways): the caseworkers of the receiving
  team when the case arrived, every colleague the case is granted to later, the reporter, and
  the organisation recovery key;
- the internal key (notes, evidence, decision rationale): the same caseworkers and the recovery
  key, never the reporter;
- the identity key (an employee's confidential name and contact): the receiving team's
  approvers when the case arrived and the recovery key, until an approved disclosure re-seals it
  to one caseworker.
Who is in the receiving team is decided in redress.staff.team; this module seals to whoever its
caller names. Granting re-seals keys for a new holder; it never re-encrypts content.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import ColumnElement, Exists, SQLColumnExpression, and_, exists, select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.keys import KeyPair, random_key
from crypto.sealing import open_sealed, seal_to
from redress import audit
from redress.audit import Actor, AuditAction
from redress.keys import contexts
from redress.store.models import CaseExclusion, CaseKey, Caseworker, KeyKind, Recipient


class NoKeyError(Exception):
    """This holder has no sealed copy of the case key (the case is not granted to them), or
    they are excluded from the case (a stale copy left from before the exclusion counts for
    nothing)."""


class DamagedKeyError(NoKeyError):
    """This holder's sealed copy failed its integrity check: treated as not held.

    The work in progress was rolled back and the failure recorded in its place: a caller that
    refuses the request commits, so the record stays.
    """


@dataclass(frozen=True)
class CaseSecrets:
    thread_key: bytes = field(repr=False)
    internal_key: bytes = field(repr=False)
    identity_key: bytes = field(repr=False)

    def key(self, kind: KeyKind) -> bytes:
        return {
            KeyKind.THREAD: self.thread_key,
            KeyKind.INTERNAL: self.internal_key,
            KeyKind.IDENTITY: self.identity_key,
        }[kind]


def new_case_secrets() -> CaseSecrets:
    return CaseSecrets(random_key(), random_key(), random_key())


def _sealed(
    case_id: str,
    kind: KeyKind,
    key: bytes,
    recipient: Recipient,
    public: bytes,
    caseworker_id: str | None = None,
) -> CaseKey:
    context = contexts.case_key(case_id, kind, recipient, caseworker_id)
    return CaseKey(
        case_id=case_id,
        kind=kind,
        recipient=recipient,
        caseworker_id=caseworker_id,
        sealed=seal_to(public, key, context),
    )


def seal_new_case(
    case_id: str,
    secrets: CaseSecrets,
    *,
    caseworkers: Iterable[Caseworker],
    approvers: Iterable[Caseworker],
    reporter_public: bytes,
    recovery_public: bytes,
    with_identity: bool,
) -> list[CaseKey]:
    """Sealed copies for a new case, to the receiving team its caller names and nobody else.

    Thread key: reporter, the team's caseworkers, recovery. Internal key: the team's caseworkers,
    recovery. Identity key (only when the reporter gave a confidential identity): the team's
    approvers and recovery.
    """
    holders = {
        KeyKind.THREAD: list(caseworkers),
        KeyKind.INTERNAL: list(caseworkers),
        KeyKind.IDENTITY: list(approvers) if with_identity else [],
    }
    rows = [
        _sealed(case_id, KeyKind.THREAD, secrets.thread_key, Recipient.REPORTER, reporter_public)
    ]
    for kind, workers in holders.items():
        if kind is KeyKind.IDENTITY and not with_identity:
            continue
        key = secrets.key(kind)
        rows.append(_sealed(case_id, kind, key, Recipient.RECOVERY, recovery_public))
        rows.extend(
            _sealed(case_id, kind, key, Recipient.CASEWORKER, worker.public_key, worker.id)
            for worker in workers
        )
    return rows


def seal_to_caseworker(case_id: str, kind: KeyKind, key: bytes, worker: Caseworker) -> CaseKey:
    """A new sealed copy of an open case key for one more caseworker (a grant or a disclosure)."""
    return _sealed(case_id, kind, key, Recipient.CASEWORKER, worker.public_key, worker.id)


def excluded(
    case_id: str | SQLColumnExpression[str], caseworker_id: str | SQLColumnExpression[str]
) -> Exists:
    """True where the caseworker is excluded from the case (conflict of interest)."""
    return exists().where(
        CaseExclusion.case_id == case_id, CaseExclusion.caseworker_id == caseworker_id
    )


def open_caseworker_copy(
    sealed: bytes, case_id: str, kind: KeyKind, caseworker_id: str, keypair: KeyPair
) -> bytes:
    """Open a caseworker's sealed copy already read from the store (no exclusion check)."""
    context = contexts.case_key(case_id, kind, Recipient.CASEWORKER, caseworker_id)
    return open_sealed(sealed, keypair, context)


def _own_copy(case_id: str, kind: KeyKind, caseworker_id: str) -> ColumnElement[bool]:
    """The caseworker's sealed copy of one of the case's keys, unless they are excluded."""
    return and_(
        CaseKey.case_id == case_id,
        CaseKey.kind == kind,
        CaseKey.recipient == Recipient.CASEWORKER,
        CaseKey.caseworker_id == caseworker_id,
        ~excluded(case_id, caseworker_id),
    )


def holds(db: Session, case_id: str, kind: KeyKind, caseworker_id: str) -> bool:
    """Whether the caseworker holds a copy of this key of the case (and is not excluded)."""
    return db.scalar(select(CaseKey.id).where(_own_copy(case_id, kind, caseworker_id))) is not None


def open_caseworker_key(
    db: Session, case_id: str, kind: KeyKind, caseworker_id: str, keypair: KeyPair
) -> bytes:
    sealed = db.scalar(select(CaseKey.sealed).where(_own_copy(case_id, kind, caseworker_id)))
    if sealed is None:
        raise NoKeyError(case_id)
    try:
        return open_caseworker_copy(sealed, case_id, kind, caseworker_id, keypair)
    except CryptoError:
        db.rollback()
        audit.record(
            db,
            AuditAction.CASE_KEY_INTEGRITY_FAILED,
            Actor.staff(caseworker_id),
            case_id=case_id,
            detail={"kind": kind.value, "integrity_failures": 1},
        )
        raise DamagedKeyError(case_id) from None


def open_reporter_thread_key(db: Session, case_id: str, keypair: KeyPair) -> bytes:
    sealed = db.scalar(
        select(CaseKey.sealed).where(
            CaseKey.case_id == case_id,
            CaseKey.kind == KeyKind.THREAD,
            CaseKey.recipient == Recipient.REPORTER,
        )
    )
    if sealed is None:
        raise NoKeyError(case_id)
    context = contexts.case_key(case_id, KeyKind.THREAD, Recipient.REPORTER, None)
    return open_sealed(sealed, keypair, context)
