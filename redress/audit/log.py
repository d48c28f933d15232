"""The append-only, hash-chained audit log: recording events and verifying the chain.

Each event's hash covers the previous event's hash and a canonical encoding of the event, so
editing, inserting or deleting a row breaks the chain from that row on. Appends are serialised by
advancing the single ``audit_head`` row inside the writer's transaction (a row lock on
PostgreSQL, the database write lock on SQLite). Reporter actions are recorded at day precision
with no identifying detail.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from redress.audit.actions import Actor, ActorKind, AuditAction
from redress.store import clock
from redress.store.models import AuditEvent, AuditHead

GENESIS = bytes(32)
_DOMAIN = b"redress-audit-v1"
_HEAD_ID = 1


def _canonical(event: AuditEvent) -> bytes:
    fields = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "caseworker_id": event.caseworker_id,
        "case_id": event.case_id,
        "action": event.action,
        "detail": event.detail,
    }
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(previous: bytes, event: AuditEvent) -> bytes:
    return digest(previous + _canonical(event), domain=_DOMAIN)


DetailValue = str | int | bool | None


def record(
    db: Session,
    action: AuditAction,
    actor: Actor,
    /,
    *,
    case_id: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> AuditEvent:
    """Append one event in the caller's transaction.

    The time is decided here, by who acted: a reporter's action is recorded at the start of its
    day (never more precisely), anything else at the current UTC time.
    """
    if actor.kind is ActorKind.REPORTER:
        at = clock.start_of_day(clock.today())
    else:
        at = clock.utcnow()
    advanced = db.execute(
        update(AuditHead)
        .where(AuditHead.id == _HEAD_ID)
        .values(seq=AuditHead.seq + 1)
        .returning(AuditHead.seq, AuditHead.last_hash)
    ).one_or_none()
    if advanced is None:
        db.add(AuditHead(id=_HEAD_ID, seq=1, last_hash=GENESIS))
        db.flush()
        seq, previous = 1, GENESIS
    else:
        seq, previous = advanced
    event = AuditEvent(
        seq=seq,
        occurred_at=at,
        actor=actor.kind.value,
        caseworker_id=actor.caseworker_id,
        case_id=case_id,
        action=action.value,
        detail=json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":")),
        previous_hash=previous,
    )
    event.hash = chain_hash(previous, event)
    db.add(event)
    db.execute(update(AuditHead).where(AuditHead.id == _HEAD_ID).values(last_hash=event.hash))
    return event


@dataclass(frozen=True)
class ChainProblem:
    seq: int
    reason: str


def verify_chain(db: Session) -> ChainProblem | None:
    """Recompute the chain; the first altered, inserted or deleted entry, or None if intact."""
    previous = GENESIS
    expected_seq = 1
    for event in db.scalars(select(AuditEvent).order_by(AuditEvent.seq)):
        if event.seq != expected_seq:
            return ChainProblem(expected_seq, f"entry {expected_seq} is missing")
        if event.previous_hash != previous:
            return ChainProblem(event.seq, "does not follow the entry before it")
        if chain_hash(previous, event) != event.hash:
            return ChainProblem(event.seq, "was altered")
        previous = event.hash
        expected_seq += 1
    head = db.get(AuditHead, _HEAD_ID)
    last_seq = expected_seq - 1
    if head is not None and (head.seq != last_seq or head.last_hash != previous):
        return ChainProblem(max(head.seq, last_seq), "entries at the end were deleted")
    return None
