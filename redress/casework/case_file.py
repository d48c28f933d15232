"""The caseworker's side of a case: reading a case, replying, downloading files.

The case list is in :mod:`redress.casework.caselist`.

Every function takes the caseworker's unlocked identity; a case the caseworker holds no sealed key
for raises :class:`redress.keys.casekeys.NoKeyError`, which the console turns into a 404.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import AuditAction
from redress.cases import deadlines
from redress.cases.attachments import (
    AttachmentView,
    DamagedFileError,
    read_attachment,
)
from redress.cases.fields import Answer, read_report
from redress.cases.messages import MessageView, mark_read, post_message, read_thread
from redress.cases.uploads import EncryptedUpload
from redress.keys import casekeys
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.blobs import BlobStore
from redress.store.models import (
    Attachment,
    Author,
    Case,
    CaseStatus,
    KeyKind,
)


@dataclass(frozen=True)
class CaseSummary:
    id: str
    reference: str
    status: CaseStatus
    received_on: date
    acknowledgement_due: date
    feedback_due: date | None
    overdue: bool
    unread: int

    @property
    def acknowledgement_days(self) -> int:
        return deadlines.acknowledgement_days(self.received_on, self.acknowledgement_due)


@dataclass(frozen=True)
class CaseFile:
    summary: CaseSummary
    # None when the report failed its integrity check.
    answers: dict[str, Answer] | None
    report_attachments: list[AttachmentView]
    messages: list[MessageView]


def _summary(case: Case, unread: int, today: date) -> CaseSummary:
    return CaseSummary(
        id=case.id,
        reference=case.reference,
        status=case.status,
        received_on=case.received_on,
        acknowledgement_due=case.acknowledgement_due,
        feedback_due=case.feedback_due,
        overdue=deadlines.is_overdue(case, today),
        unread=unread,
    )


def open_case(db: Session, case_id: str, identity: StaffIdentity) -> CaseFile:
    thread_key = identity.case_key(db, case_id, KeyKind.THREAD)
    case = db.get_one(Case, case_id)
    thread = read_thread(db, case_id, thread_key)
    messages, report_files = thread.messages, thread.report_attachments
    from_reporter = [
        m for m in messages if m.author is Author.REPORTER and not m.read_by_caseworkers
    ]
    answers = read_report(db, case_id, thread_key)
    mark_read(db, case_id, by_reporter=False)
    audit.record(
        db,
        AuditAction.CASE_VIEWED,
        identity.actor,
        case_id=case_id,
        detail={"integrity_failures": _failures(answers, report_files, messages)},
    )
    return CaseFile(
        _summary(case, len(from_reporter), clock.today()), answers, report_files, messages
    )


def _failures(
    answers: dict[str, Answer] | None,
    files: list[AttachmentView],
    messages: list[MessageView],
) -> int:
    return (
        (answers is None)
        + sum(not f.intact for f in files)
        + sum(not m.intact for m in messages)
        + sum(not f.intact for m in messages for f in m.attachments)
    )


def reply(
    db: Session,
    case_id: str,
    identity: StaffIdentity,
    text: str,
    uploads: Sequence[EncryptedUpload],
) -> None:
    post_message(
        db,
        case_id,
        identity.case_key(db, case_id, KeyKind.THREAD),
        Author.CASEWORKER,
        text,
        uploads,
        caseworker_id=identity.caseworker_id,
        today=clock.today(),
    )
    audit.record(
        db,
        AuditAction.MESSAGE_SENT,
        identity.actor,
        case_id=case_id,
        detail={"attachments": len(uploads)},
    )


def download(
    db: Session, store: BlobStore, case_id: str, attachment_id: str, identity: StaffIdentity
) -> tuple[AttachmentView, Iterator[bytes]]:
    """An attachment's metadata and decrypted chunks; audited. NoKeyError if not granted."""
    attachment = db.scalar(
        select(Attachment).where(Attachment.id == attachment_id, Attachment.case_id == case_id)
    )
    if attachment is None:
        raise casekeys.NoKeyError(case_id)
    key = identity.case_key(db, case_id, attachment.key_kind)
    try:
        result = read_attachment(store, attachment, key)
    except DamagedFileError:
        audit.record(
            db,
            AuditAction.ATTACHMENT_INTEGRITY_FAILED,
            identity.actor,
            case_id=case_id,
            detail={"attachment": attachment_id, "integrity_failures": 1},
        )
        raise
    audit.record(
        db,
        AuditAction.ATTACHMENT_DOWNLOADED,
        identity.actor,
        case_id=case_id,
        detail={"attachment": attachment_id},
    )
    return result
