"""A case's timeline: what happened and who did it, oldest first, without any content.

Merges the case's audit events (status changes, triage, notes, tasks, evidence, replies, grants,
disclosures: exact times, in the order they were recorded) with the messages the audit log does
not record, the reporter's and the automatic ones, known to the day only and shown with their
date alone. Task entries also give the task's owner and due date, from the task rows. Reads of
the case (views, downloads) are left out: the audit log keeps them.

Three queries whatever the size of the case (the reporter's own audit entries, kept in the
reporter chain, come with the messages). Nothing here is decrypted: callers check that the
caseworker holds the case first (:func:`redress.casework.investigation.open_investigation` does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date, datetime

from sqlalchemy import (
    Integer,
    String,
    Text,
    cast,
    column,
    literal,
    null,
    select,
    union_all,
)
from sqlalchemy.orm import Session

from redress.audit import READS, ActorKind, AuditAction
from redress.store import clock
from redress.store.models import (
    AuditEvent,
    Author,
    Caseworker,
    Message,
    ReporterAuditEvent,
    Task,
)

# Messages the audit log does not record (a caseworker's reply is "message.sent").
_UNRECORDED_AUTHORS = (Author.REPORTER, Author.SYSTEM)
REPORTER_NAME = ActorKind.REPORTER.value


@dataclass(frozen=True)
class TaskState:
    """A task's current owner (None: a former colleague) and due date."""

    owner: str | None
    due_on: date | None


@dataclass(frozen=True)
class TimelineEntry:
    """One step; :func:`redress.i18n.console.describe_step` puts it in words."""

    at: datetime
    # False when only the day is known (the reporter's actions, messages): show the date alone.
    exact: bool
    # The audit action, or None for a message the audit log does not record.
    action: AuditAction | None
    # For a message: who wrote it (the reporter, or the system's automatic updates).
    author: Author | None
    who: str | None
    detail: dict[str, object] = field(default_factory=dict)
    # For a task's steps: the task as it stands now.
    task: TaskState | None = None


def _audit(db: Session, case_id: str, tasks: dict[str, TaskState]) -> list[TimelineEntry]:
    rows = db.execute(
        select(AuditEvent, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == AuditEvent.caseworker_id)
        .where(AuditEvent.case_id == case_id, AuditEvent.action.not_in(READS))
        .order_by(AuditEvent.seq)
    )
    entries = []
    for event, username in rows:
        detail = json.loads(event.detail)
        by_reporter = event.actor == REPORTER_NAME
        entries.append(
            TimelineEntry(
                event.occurred_at,
                not by_reporter,
                AuditAction(event.action),
                None,
                REPORTER_NAME if by_reporter else username,
                detail,
                tasks.get(str(detail.get("task"))),
            )
        )
    return entries


def _tasks(db: Session, case_id: str) -> dict[str, TaskState]:
    """Each task's owner and due date, by task id (the titles are encrypted and left out)."""
    rows = db.execute(
        select(Task, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == Task.owner_id)
        .where(Task.case_id == case_id)
    )
    return {task.id: TaskState(owner, task.due_on) for task, owner in rows}


def _known_to_the_day(db: Session, case_id: str) -> list[TimelineEntry]:
    """In one query: the reporter's own audit entries (their chain keeps the day only), then the
    reporter's and the automatic messages the audit log does not record."""
    events = select(
        ReporterAuditEvent.occurred_on.label("day"),
        literal(Author.REPORTER.value, String).label("author"),
        ReporterAuditEvent.action.label("action"),
        ReporterAuditEvent.detail.label("detail"),
        literal(0, Integer).label("part"),
        ReporterAuditEvent.seq.label("seq"),
    ).where(ReporterAuditEvent.case_id == case_id)
    messages = select(
        Message.sent_on,
        cast(Message.author, String),
        cast(null(), String),
        cast(null(), Text),
        literal(1, Integer),
        Message.seq,
    ).where(Message.case_id == case_id, Message.author.in_(_UNRECORDED_AUTHORS))
    entries = []
    ordered = union_all(events, messages).order_by(column("part"), column("seq"))
    for day, author_value, action, detail, part, _seq in db.execute(ordered):
        author = Author(author_value)
        at = clock.start_of_day(day)
        if part == 0:
            entries.append(
                TimelineEntry(
                    at, False, AuditAction(action), None, REPORTER_NAME, json.loads(detail)
                )
            )
        else:
            who = REPORTER_NAME if author is Author.REPORTER else None
            entries.append(TimelineEntry(at, False, None, author, who))
    return entries


def build_timeline(db: Session, case_id: str) -> list[TimelineEntry]:
    """Every recorded step of the case, oldest first; within a day, what is known only to the
    day comes first."""
    day_only = _known_to_the_day(db, case_id)
    reporter_events = [entry for entry in day_only if entry.action is not None]
    messages = [entry for entry in day_only if entry.action is None]
    entries = [*reporter_events, *_audit(db, case_id, _tasks(db, case_id)), *messages]
    # sorted() is stable: entries at the same moment keep the order they were recorded in.
    return sorted(entries, key=lambda entry: entry.at)
