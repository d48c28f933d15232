"""The receiving team: who is sent each new case, and how an account joins or leaves it.

A new case is sealed to the team's active caseworkers (thread and internal keys) and its active
approvers (identity key), and to the recovery key; to nobody else (redress.reporting.submissions).
An account created in the console by an administrator receives nothing until a second person
adds it: an approver who is in the team and did not create the account. An account the operator
creates at the command line (`redress caseworker add`, the demo account) joins at once: whoever
has the shell can read the database anyway. An approver in the team removes a member, who then
receives no new case; the cases they already hold are revoked case by case
(redress.casework.access). Every change is audited and listed, at day precision, on the team page.

There is one receiving team today; intake channels will each own one (see the model).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Exists, SQLColumnExpression, exists, select
from sqlalchemy.orm import Session, aliased

from redress import audit
from redress.audit import Actor, ActorKind, AuditAction
from redress.keys.permissions import CASE_HOLDING_ROLES, Permission, allows
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import AuditEvent, Caseworker, ReceivingTeamMember, Role

CHANGES_SHOWN = 50
_CHANGES = (AuditAction.TEAM_MEMBER_ADDED, AuditAction.TEAM_MEMBER_REMOVED)


class TeamError(Exception):
    """A refused change to the team; the message is shown to the approver as it is."""


class NotInTeamError(TeamError):
    """Only an approver who is in the receiving team changes it."""


class OwnAccountError(TeamError):
    """The account's creator may not add it: a second person must."""


class UnknownAccountError(TeamError):
    """No account has that id."""


class NotEligibleError(TeamError):
    """Only active caseworker and approver accounts join the team."""


class AlreadyMemberError(TeamError):
    """The account is in the team already."""


class NotAMemberError(TeamError):
    """The account is not in the team."""


class OwnRemovalError(TeamError):
    """An approver may not remove themselves (the last one would leave nobody to add anyone)."""


def member(caseworker_id: str | SQLColumnExpression[str]) -> Exists:
    """True where the account is in the receiving team."""
    return exists().where(ReceivingTeamMember.caseworker_id == caseworker_id)


def is_member(db: Session, caseworker_id: str) -> bool:
    return bool(db.scalar(select(member(caseworker_id))))


def receiving(db: Session, role: Role) -> list[Caseworker]:
    """The team's active members with a role: to whom a new case is sealed."""
    return list(
        db.scalars(
            select(Caseworker)
            .where(Caseworker.active.is_(True), Caseworker.role == role, member(Caseworker.id))
            .order_by(Caseworker.id)
        )
    )


def may_change(db: Session, identity: StaffIdentity) -> bool:
    """Whether this person adds and removes members: an approver in the team."""
    return allows(identity.role, Permission.APPROVE) and is_member(db, identity.caseworker_id)


def join_by_operator(db: Session, worker: Caseworker) -> None:
    """The operator's new account (command line, demo) joins at once, if it can hold cases."""
    if worker.role not in CASE_HOLDING_ROLES:
        return
    db.add(ReceivingTeamMember(caseworker_id=worker.id, added_by=None, added_on=clock.today()))
    audit.record(
        db,
        AuditAction.TEAM_MEMBER_ADDED,
        Actor(ActorKind.SYSTEM, worker.id),
        detail={"account": worker.id},
    )


def _check_approver_in_team(db: Session, identity: StaffIdentity) -> None:
    if not may_change(db, identity):
        raise NotInTeamError("Only an approver in the receiving team can change it.")


def _account(db: Session, account_id: str) -> Caseworker:
    # Locked, so two approvers adding the same account at once add it once (PostgreSQL).
    worker = db.scalar(select(Caseworker).where(Caseworker.id == account_id).with_for_update())
    if worker is None:
        raise UnknownAccountError(account_id)
    return worker


def add_member(db: Session, identity: StaffIdentity, account_id: str) -> None:
    """Add an account to the team: from the next report on, it is sealed to them."""
    _check_approver_in_team(db, identity)
    worker = _account(db, account_id)
    if worker.created_by == identity.caseworker_id:
        raise OwnAccountError(
            f"You created {worker.username}: another approver in the team must add it."
        )
    if not worker.active or worker.role not in CASE_HOLDING_ROLES:
        raise NotEligibleError("Only active caseworker and approver accounts join the team.")
    if is_member(db, worker.id):
        raise AlreadyMemberError(f"{worker.username} is in the receiving team already.")
    db.add(
        ReceivingTeamMember(
            caseworker_id=worker.id, added_by=identity.caseworker_id, added_on=clock.today()
        )
    )
    audit.record(db, AuditAction.TEAM_MEMBER_ADDED, identity.actor, detail={"account": worker.id})


def remove_member(db: Session, identity: StaffIdentity, account_id: str) -> None:
    """Remove a member: new cases no longer reach them; the cases they hold stay held."""
    _check_approver_in_team(db, identity)
    worker = _account(db, account_id)
    if worker.id == identity.caseworker_id:
        raise OwnRemovalError("You cannot remove yourself: ask another approver in the team.")
    row = db.scalar(
        select(ReceivingTeamMember).where(ReceivingTeamMember.caseworker_id == worker.id)
    )
    if row is None:
        raise NotAMemberError(f"{worker.username} is not in the receiving team.")
    db.delete(row)
    audit.record(db, AuditAction.TEAM_MEMBER_REMOVED, identity.actor, detail={"account": worker.id})


@dataclass(frozen=True)
class Member:
    id: str
    username: str
    role: Role
    active: bool
    added_by: str | None  # a username; None: the operator or the upgrade
    added_on: date


@dataclass(frozen=True)
class Waiting:
    """An account that could hold cases but is not in the team."""

    id: str
    username: str
    role: Role
    created_by: str | None  # a username; None: the operator
    created_by_id: str | None
    created_on: date


@dataclass(frozen=True)
class Change:
    day: date
    action: AuditAction
    account: str
    by: str | None  # a username; None: the operator


@dataclass(frozen=True)
class TeamOverview:
    members: list[Member]
    waiting: list[Waiting]
    changes: list[Change]


def members(db: Session) -> list[Member]:
    adder = aliased(Caseworker)
    rows = db.execute(
        select(Caseworker, adder.username, ReceivingTeamMember.added_on)
        .join(ReceivingTeamMember, ReceivingTeamMember.caseworker_id == Caseworker.id)
        .outerjoin(adder, adder.id == ReceivingTeamMember.added_by)
        .order_by(Caseworker.username)
    )
    return [
        Member(worker.id, worker.username, worker.role, worker.active, added_by, added_on)
        for worker, added_by, added_on in rows
    ]


def waiting(db: Session) -> list[Waiting]:
    creator = aliased(Caseworker)
    rows = db.execute(
        select(Caseworker, creator.username)
        .outerjoin(creator, creator.id == Caseworker.created_by)
        .where(
            Caseworker.active.is_(True),
            Caseworker.role.in_(CASE_HOLDING_ROLES),
            ~member(Caseworker.id),
        )
        .order_by(Caseworker.username)
    )
    return [
        Waiting(
            worker.id,
            worker.username,
            worker.role,
            created_by,
            worker.created_by,
            worker.created_at.date(),
        )
        for worker, created_by in rows
    ]


def changes(db: Session) -> list[Change]:
    """The latest additions and removals, newest first, from the audit log."""
    names = {id_: name for id_, name in db.execute(select(Caseworker.id, Caseworker.username))}
    events = db.scalars(
        select(AuditEvent)
        .where(AuditEvent.action.in_([action.value for action in _CHANGES]))
        .order_by(AuditEvent.seq.desc())
        .limit(CHANGES_SHOWN)
    )
    found = []
    for event in events:
        account = str(json.loads(event.detail).get("account", ""))
        by = names.get(event.caseworker_id or "") if event.actor == ActorKind.CASEWORKER else None
        found.append(
            Change(
                event.occurred_at.date(),
                AuditAction(event.action),
                names.get(account, account),
                by,
            )
        )
    return found


def overview(db: Session) -> TeamOverview:
    return TeamOverview(members(db), waiting(db), changes(db))
