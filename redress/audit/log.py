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

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from redress.audit.actions import Actor, ActorKind, AuditAction
from redress.audit.snapshot import snapshot
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
    """Recompute the chain in one consistent snapshot of the database (writers go on), up to
    the head read first; the first altered, inserted or deleted entry, or None if intact."""
    with snapshot(db) as connection:
        head = connection.execute(
            select(AuditHead.seq, AuditHead.last_hash).where(AuditHead.id == _HEAD_ID)
        ).one_or_none()
        head_seq, head_hash = (0, GENESIS) if head is None else (int(head[0]), bytes(head[1]))
        previous = GENESIS
        expected_seq = 1
        with Session(bind=connection) as reader:
            entries = reader.scalars(
                select(AuditEvent).where(AuditEvent.seq <= head_seq).order_by(AuditEvent.seq)
            )
            for event in entries:
                if event.seq != expected_seq:
                    return ChainProblem(expected_seq, f"entry {expected_seq} is missing")
                if event.previous_hash != previous:
                    return ChainProblem(event.seq, "does not follow the entry before it")
                if chain_hash(previous, event) != event.hash:
                    return ChainProblem(event.seq, "was altered")
                previous = event.hash
                expected_seq += 1
        last_seq = expected_seq - 1
        if last_seq != head_seq or previous != head_hash:
            return ChainProblem(max(head_seq, last_seq), "entries at the end were deleted")
        # In one snapshot an entry beyond the head was never appended through the head.
        beyond = connection.execute(
            select(func.min(AuditEvent.seq)).where(AuditEvent.seq > head_seq)
        ).scalar_one_or_none()
        if beyond is not None:
            return ChainProblem(int(beyond), "was added after the last recorded entry")
    return None
