"""A case's timeline: what happened and who did it, oldest first, without any content.

Merges the case's audit events (status changes, triage, notes, tasks, evidence, replies, grants,
disclosures: exact times, in the order they were recorded) with the messages the audit log does
not record, the reporter's and the automatic ones, known to the day only and shown with their
date alone. Task entries also give the task's owner and due date, from the task rows. Reads of
the case (views, downloads) are left out: the audit log keeps them.

Three queries whatever the size of the case. Nothing here is decrypted: callers check that the
caseworker holds the case first (:func:`redress.investigation.open_investigation` does).
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from redress.store import clock
from redress.store.models import AuditEvent, Author, Caseworker, Message, Task

# Reads: the audit log keeps them.
_LEFT_OUT = frozenset({"case.viewed", "attachment.downloaded"})
_LABELS = {
    "case.received": "Report received",
    "triage.saved": "Triage saved",
    "triage.integrity_failed": "Triage failed an integrity check",
    "investigation.integrity_failed": "Investigation items failed an integrity check",
    "note.added": "Note added",
    "message.sent": "Reply sent to the reporter",
    "evidence.added": "Evidence added",
    "task.added": "Task added",
    "task.completed": "Task completed",
    "task.reopened": "Task reopened",
    "case.granted": "Access granted to a colleague",
    "case.revoked": "Access revoked",
    "case.excluded": "Colleague excluded for a conflict of interest",
    "case.exclusion_lifted": "Exclusion lifted",
    "disclosure.requested": "Disclosure of the reporter's identity requested",
    "disclosure.approved": "Disclosure of the reporter's identity approved",
    "disclosure.rejected": "Disclosure of the reporter's identity rejected",
    "identity.viewed": "Reporter's identity viewed",
    "measure.proposed": "Interim measure proposed",
    "measure.approved": "Interim measure approved",
    "measure.rejected": "Interim measure rejected",
    "measure.renewed": "Interim measure renewed",
    "measure.lifted": "Interim measure lifted",
    "measure.integrity_failed": "Interim measures failed an integrity check",
    "case.exported": "Case exported",
}
# Actions whose entry says how many files came with them.
_WITH_FILES = frozenset({"case.received", "message.sent", "evidence.added"})
# Messages the audit log does not record (a caseworker's reply is "message.sent").
_MESSAGES = {
    Author.REPORTER: "Message from the reporter",
    Author.SYSTEM: "Automatic update to the reporter",
}
REPORTER = "reporter"


@dataclass(frozen=True)
class TimelineEntry:
    at: datetime
    # False when only the day is known (the reporter's actions, messages): show the date alone.
    exact: bool
    what: str
    who: str | None


def _status(name: object) -> str:
    return str(name).replace("_", " ")


def _audit_label(action: str, detail: dict[str, object], tasks: dict[str, str]) -> str:
    if action == "case.status_changed":
        return f"Status changed from {_status(detail.get('from'))} to {_status(detail.get('to'))}"
    label = _LABELS.get(action, action)
    files = detail.get("files", detail.get("attachments"))
    if action in _WITH_FILES and files:
        return f"{label} ({files} file{'' if files == 1 else 's'})"
    task = tasks.get(str(detail.get("task")))
    return f"{label} ({task})" if task else label


def _task_text(owner: str | None, task: Task) -> str:
    due = f", due {task.due_on.isoformat()}" if task.due_on else ""
    return f"owner {owner or 'a former colleague'}{due}"


def _audit(db: Session, case_id: str, tasks: dict[str, str]) -> list[TimelineEntry]:
    rows = db.execute(
        select(AuditEvent, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == AuditEvent.caseworker_id)
        .where(AuditEvent.case_id == case_id, AuditEvent.action.not_in(_LEFT_OUT))
        .order_by(AuditEvent.seq)
    )
    return [
        TimelineEntry(
            event.occurred_at,
            event.actor != REPORTER,
            _audit_label(event.action, json.loads(event.detail), tasks),
            REPORTER if event.actor == REPORTER else username,
        )
        for event, username in rows
    ]


def _tasks(db: Session, case_id: str) -> dict[str, str]:
    """Each task's owner and due date, by task id (the titles are encrypted and left out)."""
    rows = db.execute(
        select(Task, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == Task.owner_id)
        .where(Task.case_id == case_id)
    )
    return {task.id: _task_text(owner, task) for task, owner in rows}


def _messages(db: Session, case_id: str) -> list[TimelineEntry]:
    rows = db.execute(
        select(Message.sent_on, Message.author)
        .where(Message.case_id == case_id, Message.author.in_(_MESSAGES))
        .order_by(Message.seq)
    )
    return [
        TimelineEntry(
            clock.start_of_day(sent_on),
            False,
            _MESSAGES[author],
            REPORTER if author is Author.REPORTER else None,
        )
        for sent_on, author in rows
    ]


def build_timeline(db: Session, case_id: str) -> list[TimelineEntry]:
    """Every recorded step of the case, oldest first; within a day, what is known only to the
    day comes first."""
    entries = [*_audit(db, case_id, _tasks(db, case_id)), *_messages(db, case_id)]
    # sorted() is stable: entries at the same moment keep the order they were recorded in.
    return sorted(entries, key=lambda entry: entry.at)
