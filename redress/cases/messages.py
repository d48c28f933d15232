"""The two-way thread of a case: messages encrypted under the case thread key."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redress.cases.attachments import AttachmentView, attach_upload, attachments_by_message
from redress.cases.uploads import EncryptedUpload
from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.store.models import Author, KeyKind, Message, new_id


@dataclass(frozen=True)
class MessageView:
    id: str
    seq: int
    author: Author
    sent_on: date
    # None when the ciphertext failed its integrity check.
    text: str | None
    # A named system message (rendered from a translated template) instead of free text.
    template: str | None
    attachments: list[AttachmentView]
    read_by_reporter: bool
    read_by_caseworkers: bool

    @property
    def intact(self) -> bool:
        return self.text is not None or self.template is not None


def append_message(
    db: Session,
    case_id: str,
    thread_key: bytes,
    author: Author,
    *,
    text: str | None = None,
    template: str | None = None,
    caseworker_id: str | None = None,
    today: date,
) -> Message:
    """Add a message to the thread (flushes so attachments can refer to it)."""
    last = db.scalar(select(func.max(Message.seq)).where(Message.case_id == case_id))
    seq = (last or 0) + 1
    message_id = new_id()
    body = {"text": text} if template is None else {"template": template}
    message = Message(
        id=message_id,
        case_id=case_id,
        seq=seq,
        author=author,
        caseworker_id=caseworker_id,
        ciphertext=seal_record(
            thread_key, body, contexts.message(case_id, message_id, seq, author)
        ),
        sent_on=today,
        read_by_reporter=author is Author.REPORTER,
        read_by_caseworkers=author is not Author.REPORTER,
    )
    db.add(message)
    db.flush()
    return message


def post_message(
    db: Session,
    case_id: str,
    thread_key: bytes,
    author: Author,
    text: str,
    uploads: Sequence[EncryptedUpload],
    *,
    caseworker_id: str | None = None,
    today: date,
) -> Message:
    """A message with files attached to it; the caller commits with the uploads."""
    message = append_message(
        db, case_id, thread_key, author, text=text, caseworker_id=caseworker_id, today=today
    )
    for upload in uploads:
        attach_upload(
            db, case_id, thread_key, KeyKind.THREAD, upload, message_id=message.id, today=today
        )
    return message


def _decrypt(message: Message, thread_key: bytes) -> dict[str, str]:
    context = contexts.message(message.case_id, message.id, message.seq, message.author)
    try:
        return open_record(thread_key, message.ciphertext, context)
    except UnreadableRecordError:
        return {}


@dataclass(frozen=True)
class Thread:
    messages: list[MessageView]
    # Files sent with the report itself rather than with a message.
    report_attachments: list[AttachmentView]


def read_thread(
    db: Session, case_id: str, thread_key: bytes, *, for_reporter: bool = False
) -> Thread:
    """Every message of the case in order, decrypted, with its attachments' metadata.

    For the reporter, messages they deleted their copy of are left out.
    """
    query = select(Message).where(Message.case_id == case_id).order_by(Message.seq)
    if for_reporter:
        query = query.where(Message.hidden_from_reporter.is_(False))
    messages = db.scalars(query).all()
    files = attachments_by_message(db, case_id, thread_key)
    views = []
    for message in messages:
        body = _decrypt(message, thread_key)
        views.append(
            MessageView(
                id=message.id,
                seq=message.seq,
                author=message.author,
                sent_on=message.sent_on,
                text=body.get("text"),
                template=body.get("template"),
                attachments=files.get(message.id, []),
                read_by_reporter=message.read_by_reporter,
                read_by_caseworkers=message.read_by_caseworkers,
            )
        )
    return Thread(messages=views, report_attachments=files.get(None, []))


def mark_read(db: Session, case_id: str, *, by_reporter: bool) -> None:
    """Mark the other side's messages as read by this side."""
    column = Message.read_by_reporter if by_reporter else Message.read_by_caseworkers
    for message in db.scalars(select(Message).where(Message.case_id == case_id, column.is_(False))):
        if by_reporter:
            message.read_by_reporter = True
        else:
            message.read_by_caseworkers = True
