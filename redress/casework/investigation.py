"""Investigation: internal notes, tasks and evidence files, all under the case's internal key.

Who can read them: caseworkers the case is granted to and the organisation recovery key; never
the reporter (the internal key is not sealed to them, and evidence files are attachments of kind
``internal`` that the reporter's inbox and downloads leave out). Notes and task titles are
UTF-8 JSON with a format number, bound by :func:`redress.keys.contexts.note` (case, note, author)
and :func:`redress.keys.contexts.task` (case, task); a ciphertext moved to another row or case fails
its integrity check, which is shown as such and audited. Evidence keeps its metadata: it is stored
exactly as uploaded, never cleaned.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.fields import FieldContext
from redress import audit
from redress.audit import AuditAction
from redress.cases import deadlines
from redress.cases.attachments import AttachmentView, _view, attach_upload
from redress.cases.uploads import EncryptedUpload
from redress.casework.access import Colleague
from redress.casework.timeline import TimelineEntry, build_timeline
from redress.keys import casekeys, contexts
from redress.keys.permissions import CASE_HOLDING_ROLES
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import (
    Attachment,
    CaseKey,
    Caseworker,
    KeyKind,
    Note,
    Recipient,
    Task,
    new_id,
)

# Version of the JSON inside note and task ciphertexts (docs/crypto-format.md).
NOTE_MAX_LENGTH = 20_000
TASK_TITLE_MAX_LENGTH = 500


class InvalidTextError(ValueError):
    """An empty or over-long note or task title."""


class NotAnOwnerError(Exception):
    """The chosen owner of a task does not hold the case (or is inactive or excluded)."""


class UnknownTaskError(Exception):
    """No such task on this case."""


@dataclass(frozen=True)
class NoteView:
    id: str
    author: str | None
    created_at: datetime
    # None when the ciphertext failed its integrity check.
    text: str | None

    @property
    def intact(self) -> bool:
        return self.text is not None


@dataclass(frozen=True)
class TaskView:
    id: str
    # None when the ciphertext failed its integrity check.
    title: str | None
    owner: str | None
    due_on: date | None
    done_on: date | None
    overdue: bool

    @property
    def intact(self) -> bool:
        return self.title is not None


@dataclass(frozen=True)
class EvidenceView:
    file: AttachmentView
    added_on: date


@dataclass(frozen=True)
class Investigation:
    notes: list[NoteView]
    tasks: list[TaskView]
    evidence: list[EvidenceView]
    # Who a new task may be given to: the colleagues holding the case.
    owners: list[Colleague]
    timeline: list[TimelineEntry]


def _seal(key: bytes, name: str, text: str, context: FieldContext) -> bytes:
    return seal_record(key, {name: text}, context)


def _open(key: bytes, name: str, ciphertext: bytes, context: FieldContext) -> str | None:
    try:
        text = open_record(key, ciphertext, context).get(name)
    except UnreadableRecordError:
        return None
    return text if isinstance(text, str) else None


def _checked(text: str, limit: int) -> str:
    if not text.strip() or len(text) > limit:
        raise InvalidTextError(f"text must be 1 to {limit} characters")
    return text


def add_note(db: Session, case_id: str, identity: StaffIdentity, text: str) -> str:
    """Encrypt and store a note by this caseworker; audited. NoKeyError if not granted."""
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    note_id = new_id()
    author = identity.caseworker_id
    context = contexts.note(case_id, note_id, author)
    db.add(
        Note(
            id=note_id,
            case_id=case_id,
            author_id=author,
            created_at=clock.utcnow(),
            ciphertext=_seal(key, "text", _checked(text, NOTE_MAX_LENGTH), context),
        )
    )
    audit.record(
        db, AuditAction.NOTE_ADDED, identity.actor, case_id=case_id, detail={"note": note_id}
    )
    return note_id


def _notes(db: Session, case_id: str, key: bytes) -> list[NoteView]:
    rows = db.execute(
        select(Note, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == Note.author_id)
        .where(Note.case_id == case_id)
        .order_by(Note.created_at.desc(), Note.id)
    )
    return [
        NoteView(
            note.id,
            username,
            note.created_at,
            _open(key, "text", note.ciphertext, contexts.note(case_id, note.id, note.author_id)),
        )
        for note, username in rows
    ]


def notes(db: Session, case_id: str, identity: StaffIdentity) -> list[NoteView]:
    """The case's notes, newest first; integrity failures audited. NoKeyError if not granted."""
    found = _notes(db, case_id, identity.case_key(db, case_id, KeyKind.INTERNAL))
    _record_failures(db, case_id, identity, sum(not note.intact for note in found))
    return found


def task_owners(db: Session, case_id: str) -> list[Colleague]:
    """Active colleagues holding the case's internal key and not excluded from it."""
    rows = db.scalars(
        select(Caseworker)
        .join(CaseKey, CaseKey.caseworker_id == Caseworker.id)
        .where(
            CaseKey.case_id == case_id,
            CaseKey.kind == KeyKind.INTERNAL,
            CaseKey.recipient == Recipient.CASEWORKER,
            Caseworker.active.is_(True),
            Caseworker.role.in_(CASE_HOLDING_ROLES),
            ~casekeys.excluded(case_id, Caseworker.id),
        )
        .order_by(Caseworker.username)
    )
    return [Colleague(worker.id, worker.username, worker.role) for worker in rows]


def add_task(
    db: Session,
    case_id: str,
    identity: StaffIdentity,
    title: str,
    owner_id: str,
    due_on: date | None,
) -> str:
    """A task for a colleague holding the case; audited.

    Raises NotAnOwnerError if the owner does not hold the case, InvalidTextError for an empty or
    over-long title, NoKeyError if the case is not granted to this caseworker.
    """
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    if owner_id not in {colleague.id for colleague in task_owners(db, case_id)}:
        raise NotAnOwnerError(owner_id)
    task_id = new_id()
    context = contexts.task(case_id, task_id)
    db.add(
        Task(
            id=task_id,
            case_id=case_id,
            owner_id=owner_id,
            due_on=due_on,
            created_at=clock.utcnow(),
            ciphertext=_seal(key, "title", _checked(title, TASK_TITLE_MAX_LENGTH), context),
        )
    )
    due = due_on.isoformat() if due_on else ""
    audit.record(
        db,
        AuditAction.TASK_ADDED,
        identity.actor,
        case_id=case_id,
        detail={"task": task_id, "owner": owner_id, "due": due},
    )
    return task_id


def set_task_done(
    db: Session, case_id: str, identity: StaffIdentity, task_id: str, *, done: bool
) -> None:
    """Complete (done=True) or reopen a task; audited when it changes. UnknownTaskError if the
    task is not one of this case's, NoKeyError if the case is not granted."""
    identity.case_key(db, case_id, KeyKind.INTERNAL)
    task = db.scalar(
        select(Task).where(Task.id == task_id, Task.case_id == case_id).with_for_update()
    )
    if task is None:
        raise UnknownTaskError(task_id)
    if (task.done_on is not None) == done:
        return
    task.done_on = clock.today() if done else None
    audit.record(
        db,
        AuditAction.TASK_COMPLETED if done else AuditAction.TASK_REOPENED,
        identity.actor,
        case_id=case_id,
        detail={"task": task_id},
    )


def _tasks(db: Session, case_id: str, key: bytes) -> list[TaskView]:
    """Open tasks first, by due date (undated last), then done ones, most recent first."""
    rows = db.execute(
        select(Task, Caseworker.username)
        .outerjoin(Caseworker, Caseworker.id == Task.owner_id)
        .where(Task.case_id == case_id)
        .order_by(Task.created_at, Task.id)
    ).all()
    today = clock.today()
    views = [
        TaskView(
            task.id,
            _open(key, "title", task.ciphertext, contexts.task(case_id, task.id)),
            username,
            task.due_on,
            task.done_on,
            task.done_on is None and deadlines.has_passed(task.due_on, today),
        )
        for task, username in rows
    ]
    open_ = sorted((t for t in views if t.done_on is None), key=lambda t: t.due_on or date.max)
    done = sorted((t for t in views if t.done_on is not None), key=lambda t: t.done_on or today)
    return open_ + done[::-1]


def add_evidence(
    db: Session,
    case_id: str,
    identity: StaffIdentity,
    uploads: Sequence[EncryptedUpload],
) -> None:
    """Store internal evidence files under the internal key, as uploaded (metadata kept).

    NoKeyError if the case is not granted; on any failure nothing is stored and no blob is left.
    """
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    today = clock.today()
    for upload in uploads:
        attach_upload(db, case_id, key, KeyKind.INTERNAL, upload, message_id=None, today=today)
    ids = ",".join(upload.attachment_id for upload in uploads)
    audit.record(
        db,
        AuditAction.EVIDENCE_ADDED,
        identity.actor,
        case_id=case_id,
        detail={"files": len(uploads), "ids": ids},
    )


def _evidence(db: Session, case_id: str, key: bytes) -> list[EvidenceView]:
    rows = db.scalars(
        select(Attachment)
        .where(Attachment.case_id == case_id, Attachment.key_kind == KeyKind.INTERNAL)
        .order_by(Attachment.added_on, Attachment.id)
    )
    return [EvidenceView(_view(attachment, key), attachment.added_on) for attachment in rows]


def _record_failures(db: Session, case_id: str, identity: StaffIdentity, failures: int) -> None:
    if failures:
        audit.record(
            db,
            AuditAction.INVESTIGATION_INTEGRITY_FAILED,
            identity.actor,
            case_id=case_id,
            detail={"integrity_failures": failures},
        )


def open_investigation(db: Session, case_id: str, identity: StaffIdentity) -> Investigation:
    """Everything of the case's investigation, decrypted, with its timeline.

    Integrity failures are audited (their count only). NoKeyError if not granted.
    """
    key = identity.case_key(db, case_id, KeyKind.INTERNAL)
    found = Investigation(
        notes=_notes(db, case_id, key),
        tasks=_tasks(db, case_id, key),
        evidence=_evidence(db, case_id, key),
        owners=task_owners(db, case_id),
        timeline=build_timeline(db, case_id),
    )
    failures = (
        sum(not note.intact for note in found.notes)
        + sum(not task.intact for task in found.tasks)
        + sum(not item.file.intact for item in found.evidence)
    )
    _record_failures(db, case_id, identity, failures)
    return found
