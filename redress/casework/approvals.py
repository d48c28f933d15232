"""The one approval step: what a second person must decide before it takes effect.

An item awaiting approval (an identity disclosure request, an interim measure; next, decisions on
products, remedy verification, published summaries and the annual report) is decided here, the
same way for every kind:

- the row is locked (SELECT ... FOR UPDATE), so two approvers deciding at once decide once;
- an item of another case, or none, is unknown (the console answers 404);
- the proposer never decides their own item, whatever their role;
- an item decided before is not decided again;
- the kind's own check runs before an approval (for example: the approver can read what they
  approve), then the decision, who took it and when are set, and the step is audited.

Each kind describes itself once as a :class:`Step`; :func:`pending` is the shared query of the
approvals queue (items awaiting a decision on cases the approver holds and is not excluded from,
with the approver's sealed internal key copy to read them by).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, Protocol, TypeVar

from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from redress import audit
from redress.audit import AuditAction
from redress.keys import casekeys
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import Case, CaseKey, Caseworker, KeyKind, Recipient


class ApprovalError(Exception):
    """A refused decision; the message is shown as it is."""


class UnknownItemError(ApprovalError):
    """No such item on this case (a forged or stale id)."""


class SelfApprovalError(ApprovalError):
    """The proposer may not decide their own item."""


class AlreadyDecidedError(ApprovalError):
    """The item was approved or rejected before."""


class Item(Protocol):
    id: Any
    case_id: Any


T = TypeVar("T", bound=Item)


@dataclass(frozen=True)
class Step(Generic[T]):
    """One kind of item that needs a second person, and how it is decided."""

    model: type[T]
    # The proposer's caseworker id (None once their account is gone).
    proposer: InstrumentedAttribute[Any]
    # When it was proposed: the queue shows the oldest first.
    proposed: InstrumentedAttribute[Any]
    # The item's state, and the state of those still awaiting a decision.
    state: InstrumentedAttribute[Any]
    awaiting: enum.Enum
    # The key copy an approver must hold for the item to be in their queue.
    held: KeyKind
    # Record the decision on the item: approved or not, by whom, when.
    settle: Callable[[T, bool, str, datetime], None]
    approved: AuditAction
    rejected: AuditAction
    # The name the audit entry gives the item ("request", "measure"), and what else it records.
    noun: str
    own_item: str
    decided_before: str
    detail: Callable[[T], Mapping[str, str | None]] = lambda _item: {}


def _locked(db: Session, step: Step[T], case_id: str, item_id: str) -> T:
    model: Any = step.model
    item: T | None = db.scalar(
        select(model).where(model.id == item_id, model.case_id == case_id).with_for_update()
    )
    if item is None:
        raise UnknownItemError(item_id)
    return item


def decide(
    db: Session,
    step: Step[T],
    case_id: str,
    item_id: str,
    identity: StaffIdentity,
    *,
    approve: bool,
    check: Callable[[T], None] | None = None,
) -> T:
    """Decide an item awaiting approval, in the caller's transaction; audited.

    `check` runs before an approval takes effect and refuses it by raising an ApprovalError.
    """
    item = _locked(db, step, case_id, item_id)
    if getattr(item, step.proposer.key) == identity.caseworker_id:
        raise SelfApprovalError(step.own_item)
    if getattr(item, step.state.key) is not step.awaiting:
        raise AlreadyDecidedError(step.decided_before)
    if approve and check is not None:
        check(item)
    step.settle(item, approve, identity.caseworker_id, clock.utcnow())
    audit.record(
        db,
        step.approved if approve else step.rejected,
        identity.actor,
        case_id=case_id,
        detail={step.noun: item.id, **step.detail(item)},
    )
    return item


def pending(
    db: Session, step: Step[T], identity: StaffIdentity
) -> list[tuple[T, str, str | None, bytes | None]]:
    """Items awaiting a decision on cases whose `step.held` key this approver holds (and is not
    excluded from), oldest first: (item, case reference, proposer's username, the approver's
    sealed internal key copy to read the item by, or None where they hold none)."""
    me = identity.caseworker_id
    model: Any = step.model
    proposer = aliased(Caseworker)
    held, internal = aliased(CaseKey), aliased(CaseKey)

    def copy_of(alias: type[CaseKey], kind: KeyKind) -> ColumnElement[bool]:
        return and_(
            alias.case_id == model.case_id,
            alias.kind == kind,
            alias.recipient == Recipient.CASEWORKER,
            alias.caseworker_id == me,
        )

    rows = db.execute(
        select(model, Case.reference, proposer.username, internal.sealed)
        .join(Case, Case.id == model.case_id)
        .join(held, copy_of(held, step.held))
        .outerjoin(internal, copy_of(internal, KeyKind.INTERNAL))
        .outerjoin(proposer, proposer.id == step.proposer)
        .where(step.state == step.awaiting, ~casekeys.excluded(model.case_id, me))
        .order_by(step.proposed, model.id)
    )
    return [(item, reference, username, sealed) for item, reference, username, sealed in rows]
