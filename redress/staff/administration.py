"""Account administration and what staff see of their own second factor and of the audit log.

Administrators list, create, deactivate and reactivate accounts; they never see a key, a
passphrase after the one-time one, or case content. An account they create is not in the
receiving team, so no case reaches it until an approver in the team adds it. Deactivating an
account ends its sessions at once. The audit log is browsed newest first, a page at a time, with
no N+1 queries.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import segno
from sqlalchemy import Select, delete, func, or_, select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.params import KdfParams
from crypto.sealing import open_sealed
from redress import audit
from redress.audit import Actor, AuditAction
from redress.keys import contexts
from redress.keys.permissions import CASE_HOLDING_ROLES
from redress.staff import accounts, team, totp
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import AuditEvent, Case, Caseworker, Role, SessionRecord

AUDIT_PAGE_SIZE = 50
_QR_TITLE = "QR code to scan with an authenticator app"


class AccountNotFound(Exception):
    """No account has that id."""


class UsernameTaken(Exception):
    """Another account already has that username."""


class SelfDeactivation(Exception):
    """An administrator tried to deactivate their own account."""


class DamagedSecretError(Exception):
    """The sealed TOTP secret failed its integrity check (altered, or moved from elsewhere)."""


@dataclass(frozen=True)
class AccountRow:
    id: str
    username: str
    role: Role
    active: bool
    last_sign_in: datetime | None
    failed_logins: int
    backing_off_until: datetime | None
    # Whether new cases reach the account (redress.staff.team); only case-holding roles join.
    in_team: bool

    @property
    def can_join_team(self) -> bool:
        return self.role in CASE_HOLDING_ROLES


def list_accounts(db: Session) -> list[AccountRow]:
    """Every account with its last sign-in (from the audit log) and failed-login state."""
    last_login = (
        select(AuditEvent.caseworker_id, func.max(AuditEvent.occurred_at).label("at"))
        .where(AuditEvent.action == "login")
        .group_by(AuditEvent.caseworker_id)
        .subquery()
    )
    now = clock.utcnow()
    rows = db.execute(
        select(Caseworker, last_login.c.at, team.member(Caseworker.id))
        .outerjoin(last_login, last_login.c.caseworker_id == Caseworker.id)
        .order_by(Caseworker.username)
    )
    return [
        AccountRow(
            worker.id,
            worker.username,
            worker.role,
            worker.active,
            last_at,
            worker.failed_logins,
            worker.locked_until if worker.locked_until and worker.locked_until > now else None,
            bool(in_team),
        )
        for worker, last_at, in_team in rows
    ]


def create_account(
    db: Session, admin: StaffIdentity, username: str, role: Role, *, kdf: KdfParams
) -> accounts.NewAccount:
    """A new account with a one-time passphrase and TOTP secret, to be shown to the admin once.

    It receives no case until an approver in the receiving team, other than this administrator,
    adds it (redress.staff.team): knowing its credentials gives the administrator nothing to read.
    """
    username = username.strip()
    if db.scalar(select(Caseworker.id).where(Caseworker.username == username)):
        raise UsernameTaken(username)
    return accounts.add_caseworker(db, username, role, kdf=kdf, created_by=admin.caseworker_id)


def set_active(db: Session, admin: StaffIdentity, account_id: str, active: bool) -> None:
    """Deactivate (ending every session of) or reactivate an account; audited if it changed."""
    worker = db.get(Caseworker, account_id)
    if worker is None:
        raise AccountNotFound(account_id)
    if not active and worker.id == admin.caseworker_id:
        raise SelfDeactivation()
    if worker.active == active:
        return
    worker.active = active
    detail: dict[str, str | int | bool | None] = {"account": worker.id}
    if not active:
        ended = db.execute(delete(SessionRecord).where(SessionRecord.caseworker_id == worker.id))
        detail["sessions_ended"] = int(getattr(ended, "rowcount", 0) or 0)
    audit.record(
        db,
        AuditAction.ACCOUNT_REACTIVATED if active else AuditAction.ACCOUNT_DEACTIVATED,
        admin.actor,
        detail=detail,
    )


@dataclass(frozen=True)
class Enrolment:
    """What an authenticator app needs: the secret, as text, as a URI and as a QR code."""

    username: str
    secret: str = field(repr=False)

    @property
    def uri(self) -> str:
        return totp.provisioning_uri(self.secret, self.username, accounts.ISSUER)

    @property
    def qr_svg(self) -> str:
        """Inline SVG markup (no XML declaration, no style attribute: it passes the CSP)."""
        return str(
            segno.make(self.uri, error="m", micro=False).svg_inline(
                scale=4, title=_QR_TITLE, svgclass="qr", lineclass=None, light="#fff"
            )
        )


def own_enrolment(db: Session, identity: StaffIdentity) -> Enrolment:
    """The signed-in user's own TOTP secret, opened with the key their session holds.

    The caller asks for the passphrase first (accounts.confirm_passphrase). A sealed secret that
    was altered or moved from another account raises DamagedSecretError, and the failure is
    audited (the caller commits that record).
    """
    worker = db.get_one(Caseworker, identity.caseworker_id)
    try:
        secret = open_sealed(
            worker.sealed_totp_secret, identity.keypair, contexts.totp_secret(worker.id)
        )
    except CryptoError:
        audit.record(db, AuditAction.TWO_FACTOR_INTEGRITY_FAILED, Actor.staff(worker.id))
        raise DamagedSecretError(worker.id) from None
    audit.record(db, AuditAction.TWO_FACTOR_VIEWED, Actor.staff(worker.id))
    return Enrolment(worker.username, secret.decode())


@dataclass(frozen=True)
class AuditFilter:
    action: str = ""
    case: str = ""
    caseworker_id: str = ""

    def as_detail(self) -> dict[str, str | int | bool | None]:
        return {"action": self.action, "case": self.case, "caseworker": self.caseworker_id}


@dataclass(frozen=True)
class AuditRow:
    seq: int
    occurred_at: datetime
    actor: str
    username: str | None
    action: str
    case_id: str | None
    case_reference: str | None
    detail: str


@dataclass(frozen=True)
class AuditPage:
    rows: list[AuditRow]
    page: int
    pages: int
    total: int


def _filtered(query: Select[Any], filters: AuditFilter) -> Select[Any]:
    if filters.action:
        query = query.where(AuditEvent.action == filters.action)
    if filters.caseworker_id:
        query = query.where(AuditEvent.caseworker_id == filters.caseworker_id)
    if filters.case:
        by_reference = select(Case.id).where(Case.reference == filters.case.upper())
        query = query.where(
            or_(AuditEvent.case_id == filters.case, AuditEvent.case_id.in_(by_reference))
        )
    return query


def audit_page(db: Session, filters: AuditFilter, page: int) -> AuditPage:
    """One page of the log, newest first, with names and references joined in one query."""
    total = db.scalar(_filtered(select(func.count()).select_from(AuditEvent), filters)) or 0
    pages = max(1, -(-total // AUDIT_PAGE_SIZE))
    page = min(max(page, 1), pages)
    query = (
        _filtered(select(AuditEvent), filters)
        .add_columns(Caseworker.username, Case.reference)
        .outerjoin(Caseworker, Caseworker.id == AuditEvent.caseworker_id)
        .outerjoin(Case, Case.id == AuditEvent.case_id)
        .order_by(AuditEvent.seq.desc())
        .limit(AUDIT_PAGE_SIZE)
        .offset((page - 1) * AUDIT_PAGE_SIZE)
    )
    rows = [
        AuditRow(
            event.seq,
            event.occurred_at,
            event.actor,
            username,
            event.action,
            event.case_id,
            reference,
            event.detail,
        )
        for event, username, reference in db.execute(query)
    ]
    return AuditPage(rows, page, pages, total)


def audit_actions(db: Session) -> list[str]:
    return list(db.scalars(select(AuditEvent.action).distinct().order_by(AuditEvent.action)))


def staff_names(db: Session) -> list[tuple[str, str]]:
    return [
        (worker_id, username)
        for worker_id, username in db.execute(
            select(Caseworker.id, Caseworker.username).order_by(Caseworker.username)
        )
    ]
