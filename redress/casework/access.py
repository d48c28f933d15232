"""Who may read a case: grants, revocations and conflict-of-interest exclusions.

A caseworker holding a case grants it by opening their own sealed copies of the thread and
internal keys and sealing new copies to a colleague's public key; no content is re-encrypted.
Only members of the receiving team are granted cases: an account nobody in the team added
(redress.staff.team) receives no case, new or existing.
Revoking deletes every sealed copy the colleague holds (the identity key's too). A case always
keeps at least one caseworker holding its thread key, so it never becomes readable by the
recovery key alone. An exclusion revokes the colleague's copies and blocks any new grant while it
stands; :func:`redress.keys.casekeys.open_caseworker_key` ignores a copy held despite one.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.keys import casekeys
from redress.keys.permissions import CASE_HOLDING_ROLES
from redress.staff import team
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import Case, CaseExclusion, CaseKey, Caseworker, KeyKind, Recipient, Role

# The keys a grant hands on; the identity key goes only through an approved disclosure.
GRANTED_KINDS = (KeyKind.THREAD, KeyKind.INTERNAL)


class AccessError(Exception):
    """A refused access change; the message is shown to the caseworker as it is."""


class NotAColleagueError(AccessError):
    """The colleague is unknown, inactive or in a role that cannot hold cases."""


class OutsideTeamError(AccessError):
    """The colleague is not in the receiving team."""


class AlreadyGrantedError(AccessError):
    """The colleague already holds the case."""


class ExcludedError(AccessError):
    """The colleague is excluded from the case."""


class NotAHolderError(AccessError):
    """The colleague holds no grant of the case to revoke."""


class LastHolderError(AccessError):
    """Revoking would leave the case readable only through the recovery key."""


class AlreadyExcludedError(AccessError):
    """The colleague is already excluded from the case."""


class NotExcludedError(AccessError):
    """There is no exclusion of this colleague to lift."""


@dataclass(frozen=True)
class Colleague:
    id: str
    username: str
    role: Role


@dataclass(frozen=True)
class Holder:
    colleague: Colleague
    kinds: frozenset[KeyKind]


def _colleague(worker: Caseworker) -> Colleague:
    return Colleague(worker.id, worker.username, worker.role)


def holders(db: Session, case_id: str) -> list[Holder]:
    """Caseworkers holding any sealed copy of the case's keys, by username."""
    rows = db.execute(
        select(Caseworker, CaseKey.kind)
        .join(CaseKey, CaseKey.caseworker_id == Caseworker.id)
        .where(CaseKey.case_id == case_id, CaseKey.recipient == Recipient.CASEWORKER)
        .order_by(Caseworker.username)
    ).all()
    kinds: dict[str, set[KeyKind]] = {}
    workers: dict[str, Caseworker] = {}
    for worker, kind in rows:
        workers[worker.id] = worker
        kinds.setdefault(worker.id, set()).add(kind)
    return [Holder(_colleague(workers[id_]), frozenset(kinds[id_])) for id_ in workers]


def exclusions(db: Session, case_id: str) -> list[Colleague]:
    rows = db.scalars(
        select(Caseworker)
        .join(CaseExclusion, CaseExclusion.caseworker_id == Caseworker.id)
        .where(CaseExclusion.case_id == case_id)
        .order_by(Caseworker.username)
    )
    return [_colleague(worker) for worker in rows]


def colleagues(db: Session, case_id: str) -> list[Colleague]:
    """Active staff who can hold cases and are not excluded from this one, by username."""
    rows = db.scalars(
        select(Caseworker)
        .where(
            Caseworker.active.is_(True),
            Caseworker.role.in_(CASE_HOLDING_ROLES),
            ~casekeys.excluded(case_id, Caseworker.id),
        )
        .order_by(Caseworker.username)
    )
    return [_colleague(worker) for worker in rows]


def grantable(db: Session, case_id: str) -> list[Colleague]:
    """Colleagues the case can be granted to: active members of the receiving team, not
    excluded from it (some may hold it already), by username."""
    rows = db.scalars(
        select(Caseworker)
        .where(
            Caseworker.active.is_(True),
            Caseworker.role.in_(CASE_HOLDING_ROLES),
            team.member(Caseworker.id),
            ~casekeys.excluded(case_id, Caseworker.id),
        )
        .order_by(Caseworker.username)
    )
    return [_colleague(worker) for worker in rows]


def _held_kinds(db: Session, case_id: str, caseworker_id: str) -> set[KeyKind]:
    return set(
        db.scalars(
            select(CaseKey.kind).where(
                CaseKey.case_id == case_id,
                CaseKey.recipient == Recipient.CASEWORKER,
                CaseKey.caseworker_id == caseworker_id,
            )
        )
    )


def _is_excluded(db: Session, case_id: str, caseworker_id: str) -> bool:
    return bool(db.scalar(select(casekeys.excluded(case_id, caseworker_id))))


def grant(db: Session, case_id: str, identity: StaffIdentity, colleague_id: str) -> None:
    """Seal the thread and internal keys to a colleague; NoKeyError unless the actor holds both."""
    keys = {kind: identity.case_key(db, case_id, kind) for kind in GRANTED_KINDS}
    worker = db.get(Caseworker, colleague_id)
    if worker is None or not worker.active or worker.role not in CASE_HOLDING_ROLES:
        raise NotAColleagueError("Cases can be granted only to active caseworkers and approvers.")
    if not team.is_member(db, worker.id):
        raise OutsideTeamError(
            f"{worker.username} is not in the receiving team. An approver in the team adds them "
            "first, under Team."
        )
    if _is_excluded(db, case_id, colleague_id):
        raise ExcludedError(
            f"{worker.username} is excluded from this case. Lift the exclusion first."
        )
    missing = [kind for kind in GRANTED_KINDS if kind not in _held_kinds(db, case_id, worker.id)]
    if not missing:
        raise AlreadyGrantedError(f"{worker.username} already holds this case.")
    db.add_all(casekeys.seal_to_caseworker(case_id, kind, keys[kind], worker) for kind in missing)
    audit.record(
        db,
        AuditAction.CASE_GRANTED,
        identity.actor,
        case_id=case_id,
        detail={"colleague": worker.id},
    )


def assign(db: Session, case_id: str, identity: StaffIdentity, assignee_id: str | None) -> None:
    """Make a colleague who holds the case responsible for it (None: nobody)."""
    identity.case_key(db, case_id, KeyKind.THREAD)
    if assignee_id is not None and KeyKind.THREAD not in _held_kinds(db, case_id, assignee_id):
        raise NotAHolderError("A case can be assigned only to a colleague who holds it.")
    case = db.get_one(Case, case_id)
    case.assignee_id = assignee_id
    audit.record(
        db,
        AuditAction.CASE_ASSIGNED,
        identity.actor,
        case_id=case_id,
        detail={"assignee": assignee_id or ""},
    )


def _remove_copies(db: Session, case_id: str, colleague_id: str) -> int:
    """Delete the colleague's copies unless that leaves no caseworker holding the thread key."""
    thread_holders = set(
        db.scalars(
            select(CaseKey.caseworker_id)
            .where(
                CaseKey.case_id == case_id,
                CaseKey.kind == KeyKind.THREAD,
                CaseKey.recipient == Recipient.CASEWORKER,
            )
            .with_for_update()
        )
    )
    if thread_holders <= {colleague_id}:
        raise LastHolderError(
            "No other caseworker holds this case, so it would become readable only with the "
            "organisation recovery key. Grant it to a colleague first."
        )
    copies = db.scalars(
        select(CaseKey).where(
            CaseKey.case_id == case_id,
            CaseKey.recipient == Recipient.CASEWORKER,
            CaseKey.caseworker_id == colleague_id,
        )
    ).all()
    for copy in copies:
        db.delete(copy)
    return len(copies)


def revoke(db: Session, case_id: str, identity: StaffIdentity, colleague_id: str) -> None:
    """Delete a holder's sealed copies (the actor's own too, if another holder remains)."""
    identity.case_key(db, case_id, KeyKind.THREAD)
    if KeyKind.THREAD not in _held_kinds(db, case_id, colleague_id):
        raise NotAHolderError("That colleague does not hold this case.")
    removed = _remove_copies(db, case_id, colleague_id)
    audit.record(
        db,
        AuditAction.CASE_REVOKED,
        identity.actor,
        case_id=case_id,
        detail={"colleague": colleague_id, "keys": removed},
    )


def exclude(db: Session, case_id: str, identity: StaffIdentity, colleague_id: str) -> None:
    """Exclude a colleague for a conflict of interest, revoking whatever copies they hold."""
    identity.case_key(db, case_id, KeyKind.THREAD)
    worker = db.get(Caseworker, colleague_id)
    if worker is None or worker.role not in CASE_HOLDING_ROLES:
        raise NotAColleagueError("Only caseworkers and approvers can be excluded from a case.")
    if _is_excluded(db, case_id, colleague_id):
        raise AlreadyExcludedError(f"{worker.username} is already excluded from this case.")
    removed = _remove_copies(db, case_id, colleague_id)
    db.add(
        CaseExclusion(
            case_id=case_id,
            caseworker_id=colleague_id,
            created_by=identity.caseworker_id,
            created_at=clock.utcnow(),
        )
    )
    audit.record(
        db,
        AuditAction.CASE_EXCLUDED,
        identity.actor,
        case_id=case_id,
        detail={"colleague": colleague_id, "keys": removed},
    )


def lift_exclusion(db: Session, case_id: str, identity: StaffIdentity, colleague_id: str) -> None:
    """End an exclusion; the colleague holds nothing until granted the case again."""
    identity.case_key(db, case_id, KeyKind.THREAD)
    exclusion = db.scalar(
        select(CaseExclusion).where(
            CaseExclusion.case_id == case_id, CaseExclusion.caseworker_id == colleague_id
        )
    )
    if exclusion is None:
        raise NotExcludedError("That colleague is not excluded from this case.")
    db.delete(exclusion)
    audit.record(
        db,
        AuditAction.CASE_EXCLUSION_LIFTED,
        identity.actor,
        case_id=case_id,
        detail={"colleague": colleague_id},
    )
