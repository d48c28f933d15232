"""The append-only, hash-chained audit log: recording events and verifying the chains.

There are two chains. Staff and system actions go to the *staff chain* with their exact time.
A reporter's action goes to the *reporter chain*, with its day only: in one chain with staff
events, its place between two exact-time neighbours would date it to the gap between them. Each
event's hash covers the previous event's hash of its chain and a canonical encoding of the event,
so editing, inserting or deleting a row breaks its chain from that row on. Appends to a chain are
serialised by advancing its head row inside the writer's transaction (a row lock on PostgreSQL,
the database write lock on SQLite).

Verification reads one consistent snapshot (:mod:`redress.audit.snapshot`), the heads first, so
appends made while it runs are neither half seen nor taken for a truncated log.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TypeVar

from sqlalchemy import Connection, func, select, update
from sqlalchemy.orm import Session

from crypto.digests import digest
from redress.audit.actions import REPORTER_ACTIONS, Actor, ActorKind, AuditAction
from redress.audit.snapshot import snapshot
from redress.store import clock
from redress.store.models import AuditEvent, AuditHead, ReporterAuditEvent, ReporterAuditHead

GENESIS = bytes(32)
_DOMAIN = b"redress-audit-v1"
_REPORTER_DOMAIN = b"redress-reporter-audit-v1"
_HEAD_ID = 1
STAFF_CHAIN = "staff"
REPORTER_CHAIN = "reporter"


def _json(fields: Mapping[str, object]) -> bytes:
    return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


def chain_hash(previous: bytes, event: AuditEvent) -> bytes:
    """The hash of a staff-chain event (docs/crypto-format.md §13)."""
    fields = {
        "seq": event.seq,
        "occurred_at": event.occurred_at.isoformat(),
        "actor": event.actor,
        "caseworker_id": event.caseworker_id,
        "case_id": event.case_id,
        "action": event.action,
        "detail": event.detail,
    }
    return digest(previous + _json(fields), domain=_DOMAIN)


def reporter_chain_hash(previous: bytes, event: ReporterAuditEvent) -> bytes:
    """The hash of a reporter-chain event (docs/crypto-format.md §13)."""
    fields = {
        "seq": event.seq,
        "occurred_on": event.occurred_on.isoformat(),
        "case_id": event.case_id,
        "action": event.action,
        "detail": event.detail,
    }
    return digest(previous + _json(fields), domain=_REPORTER_DOMAIN)


DetailValue = str | int | bool | None


def _advance(db: Session, head: type[AuditHead] | type[ReporterAuditHead]) -> tuple[int, bytes]:
    """Lock and advance a chain's head in the caller's transaction: the new entry's sequence
    number and the hash it follows."""
    advanced = db.execute(
        update(head)
        .where(head.id == _HEAD_ID)
        .values(seq=head.seq + 1)
        .returning(head.seq, head.last_hash)
    ).one_or_none()
    if advanced is None:
        db.add(head(id=_HEAD_ID, seq=1, last_hash=GENESIS))
        db.flush()
        return 1, GENESIS
    seq, previous = advanced
    return int(seq), bytes(previous)


def record(
    db: Session,
    action: AuditAction,
    actor: Actor,
    /,
    *,
    case_id: str | None = None,
    detail: Mapping[str, DetailValue] | None = None,
) -> AuditEvent | ReporterAuditEvent:
    """Append one event in the caller's transaction, to the chain of whoever acted.

    A reporter's action goes to the reporter chain with today's date (never more precisely);
    anything else to the staff chain at the current UTC time.
    """
    encoded = json.dumps(dict(detail or {}), sort_keys=True, separators=(",", ":"))
    if actor.kind is ActorKind.REPORTER:
        if action not in REPORTER_ACTIONS:
            raise ValueError(f"{action} is not something a reporter does")
        seq, previous = _advance(db, ReporterAuditHead)
        reporter_event = ReporterAuditEvent(
            seq=seq,
            occurred_on=clock.today(),
            case_id=case_id,
            action=action.value,
            detail=encoded,
            previous_hash=previous,
        )
        reporter_event.hash = reporter_chain_hash(previous, reporter_event)
        db.add(reporter_event)
        db.execute(
            update(ReporterAuditHead)
            .where(ReporterAuditHead.id == _HEAD_ID)
            .values(last_hash=reporter_event.hash)
        )
        return reporter_event
    seq, previous = _advance(db, AuditHead)
    event = AuditEvent(
        seq=seq,
        occurred_at=clock.utcnow(),
        actor=actor.kind.value,
        caseworker_id=actor.caseworker_id,
        case_id=case_id,
        action=action.value,
        detail=encoded,
        previous_hash=previous,
    )
    event.hash = chain_hash(previous, event)
    db.add(event)
    db.execute(update(AuditHead).where(AuditHead.id == _HEAD_ID).values(last_hash=event.hash))
    return event


@dataclass(frozen=True)
class ChainProblem:
    """The first entry of a chain that fails verification, and why."""

    seq: int
    reason: str
    chain: str = STAFF_CHAIN


@dataclass(frozen=True)
class ChainsState:
    """Both chains as one snapshot showed them."""

    staff: ChainProblem | None
    reporter: ChainProblem | None
    staff_entries: int
    reporter_entries: int

    @property
    def problems(self) -> list[ChainProblem]:
        return [problem for problem in (self.staff, self.reporter) if problem is not None]


_Event = TypeVar("_Event", AuditEvent, ReporterAuditEvent)


def _verify(
    connection: Connection,
    events: type[_Event],
    head_model: type[AuditHead] | type[ReporterAuditHead],
    chain: str,
    hash_of: Callable[[bytes, _Event], bytes],
) -> tuple[ChainProblem | None, int]:
    """Verify one chain up to the head it reads first; the problem found (or None) and the
    number of entries the head records."""
    head = connection.execute(
        select(head_model.seq, head_model.last_hash).where(head_model.id == _HEAD_ID)
    ).one_or_none()
    head_seq, head_hash = (0, GENESIS) if head is None else (int(head[0]), bytes(head[1]))

    def problem(seq: int, reason: str) -> tuple[ChainProblem, int]:
        return ChainProblem(seq, reason, chain), head_seq

    previous = GENESIS
    expected_seq = 1
    with Session(bind=connection) as reader:
        entries = reader.scalars(select(events).where(events.seq <= head_seq).order_by(events.seq))
        for event in entries:
            if event.seq != expected_seq:
                return problem(expected_seq, f"entry {expected_seq} is missing")
            if event.previous_hash != previous:
                return problem(event.seq, "does not follow the entry before it")
            if hash_of(previous, event) != event.hash:
                return problem(event.seq, "was altered")
            previous = event.hash
            expected_seq += 1
    last_seq = expected_seq - 1
    if last_seq != head_seq or previous != head_hash:
        return problem(max(head_seq, last_seq), "entries at the end were deleted")
    # In one snapshot an entry beyond the head was never appended through the head.
    beyond = connection.execute(select(func.min(events.seq)).where(events.seq > head_seq))
    first_beyond = beyond.scalar_one_or_none()
    if first_beyond is not None:
        return problem(int(first_beyond), "was added after the last recorded entry")
    return None, head_seq


def verify_chains(db: Session) -> ChainsState:
    """Recompute both chains in one consistent snapshot of the database (writers go on)."""
    with snapshot(db) as connection:
        staff, staff_entries = _verify(connection, AuditEvent, AuditHead, STAFF_CHAIN, chain_hash)
        reporter, reporter_entries = _verify(
            connection, ReporterAuditEvent, ReporterAuditHead, REPORTER_CHAIN, reporter_chain_hash
        )
    return ChainsState(staff, reporter, staff_entries, reporter_entries)


def verify_chain(db: Session) -> ChainProblem | None:
    """The first altered, inserted or deleted entry of either chain (staff first), or None."""
    state = verify_chains(db)
    return state.staff or state.reporter
