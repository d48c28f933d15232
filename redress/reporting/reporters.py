"""The reporter's side of a case: returning with the receipt, reading the thread, answering."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.keys import KeyPair
from crypto.receipts import derive_reporter_keys
from redress.cases import deadlines
from redress.cases.attachments import (
    AttachmentView,
    read_attachment,
)
from redress.cases.fields import Answer, read_report
from redress.cases.messages import Thread, mark_read, post_message, read_thread
from redress.cases.uploads import EncryptedUpload
from redress.keys import casekeys
from redress.store import clock
from redress.store.blobs import BlobStore
from redress.store.config import Config
from redress.store.models import Attachment, Author, Case, CaseStatus, KeyKind, Message, Reporter


@dataclass(frozen=True)
class ReporterIdentity:
    reporter_id: str
    case_id: str
    keypair: KeyPair = field(repr=False)


@dataclass(frozen=True)
class ReporterInbox:
    reference: str
    status: CaseStatus
    thread: Thread
    # The reporter's own report, decrypted with the thread key; None if it failed its check.
    answers: dict[str, Answer] | None
    # The acknowledgement deadline the case was given, in days (the received message says it).
    acknowledgement_days: int


def find_reporter(db: Session, config: Config, normalised_receipt: str) -> ReporterIdentity | None:
    """Derive the reporter's keys from a well-formed receipt; None when no case matches.

    A receipt that was never issued and one that was issued but mistyped (with a valid check
    symbol) are indistinguishable to the caller.
    """
    keys = derive_reporter_keys(normalised_receipt, config.secrets.receipt_salt, config.receipt_kdf)
    reporter = db.scalar(select(Reporter).where(Reporter.lookup_token == keys.lookup_token))
    if reporter is None or reporter.public_key != keys.keypair.public:
        return None
    case_id = db.scalar(select(Case.id).where(Case.reporter_id == reporter.id))
    if case_id is None:
        return None
    return ReporterIdentity(reporter_id=reporter.id, case_id=case_id, keypair=keys.keypair)


def _thread_key(db: Session, identity: ReporterIdentity) -> bytes:
    return casekeys.open_reporter_thread_key(db, identity.case_id, identity.keypair)


def open_inbox(db: Session, identity: ReporterIdentity) -> ReporterInbox:
    """The reporter's view of their case; marks caseworker messages read."""
    case = db.get_one(Case, identity.case_id)
    thread_key = _thread_key(db, identity)
    thread = read_thread(db, case.id, thread_key, for_reporter=True)
    mark_read(db, case.id, by_reporter=True)
    return ReporterInbox(
        reference=case.reference,
        status=case.status,
        thread=thread,
        answers=read_report(db, case.id, thread_key),
        acknowledgement_days=deadlines.acknowledgement_days(
            case.received_on, case.acknowledgement_due
        ),
    )


def send_reply(
    db: Session,
    identity: ReporterIdentity,
    text: str,
    uploads: Sequence[EncryptedUpload],
) -> None:
    post_message(
        db,
        identity.case_id,
        _thread_key(db, identity),
        Author.REPORTER,
        text,
        uploads,
        today=clock.today(),
    )


def hide_message(db: Session, identity: ReporterIdentity, message_id: str) -> bool:
    """The reporter deletes their copy of a message (caseworkers keep theirs); False if unknown.

    Only a message a person wrote (the reporter or a caseworker) can be deleted: a system
    message holds nothing but the service's own words, so it has no copy worth deleting.
    """
    message = db.scalar(
        select(Message).where(
            Message.id == message_id,
            Message.case_id == identity.case_id,
            Message.author != Author.SYSTEM,
        )
    )
    if message is None:
        return False
    message.hidden_from_reporter = True
    return True


def download(
    db: Session, store: BlobStore, identity: ReporterIdentity, attachment_id: str
) -> tuple[AttachmentView, Iterator[bytes]]:
    """A thread attachment of the reporter's own case (caseworker replies' files included)."""
    attachment = db.scalar(
        select(Attachment).where(
            Attachment.id == attachment_id,
            Attachment.case_id == identity.case_id,
            Attachment.key_kind == KeyKind.THREAD,
        )
    )
    if attachment is None:
        raise casekeys.NoKeyError(identity.case_id)
    return read_attachment(store, attachment, _thread_key(db, identity))
