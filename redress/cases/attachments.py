"""Attachments of a case: storing an encrypted upload against a case, listing and reading them."""

from __future__ import annotations

import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.errors import CryptoError
from crypto.fields import decrypt_field, encrypt_field
from crypto.streams import decrypt_stream
from redress.cases.uploads import EncryptedUpload, note_attached
from redress.keys import contexts
from redress.keys.sealed import UnreadableRecordError, open_record, seal_record
from redress.store import clock
from redress.store.blobs import BlobStore
from redress.store.models import Attachment, KeyKind

# Upper bounds of the coarse size classes kept in clear (exact sizes are encrypted).
_SIZE_BUCKETS = [
    (100 * 1024, "<100KB"),
    (1024 * 1024, "<1MB"),
    (10 * 1024 * 1024, "<10MB"),
    (100 * 1024 * 1024, "<100MB"),
    (1024 * 1024 * 1024, "<1GB"),
]


def size_bucket(size: int) -> str:
    for bound, label in _SIZE_BUCKETS:
        if size < bound:
            return label
    return ">=1GB"


@dataclass(frozen=True)
class AttachmentView:
    id: str
    message_id: str | None
    # None when the metadata failed its integrity check.
    filename: str | None
    content_type: str
    size: int | None
    # What metadata removal did: {"cleaned": bool, "removed": [labels], "reason": code or None}.
    cleaning: dict[str, Any] | None = None

    @property
    def intact(self) -> bool:
        return self.filename is not None


def attach_upload(
    db: Session,
    case_id: str,
    case_key: bytes,
    key_kind: KeyKind,
    upload: EncryptedUpload,
    *,
    message_id: str | None,
    today: date,
) -> Attachment:
    """Record an upload against a case: its file key and metadata encrypted under the case key."""
    upload.finish()
    upload.stored_on = today
    note_attached(db, upload)
    meta = {
        "name": upload.filename,
        "type": upload.content_type,
        "size": upload.size,
        "cleaning": upload.cleaning,
    }
    attachment = Attachment(
        id=upload.attachment_id,
        case_id=case_id,
        message_id=message_id,
        key_kind=key_kind,
        blob_id=upload.blob_id,
        encrypted_file_key=encrypt_field(
            case_key, upload.file_key, contexts.attachment_file_key(case_id, upload.attachment_id)
        ),
        encrypted_meta=seal_record(
            case_key, meta, contexts.attachment_meta(case_id, upload.attachment_id)
        ),
        size_bucket=size_bucket(upload.size),
        added_on=today,
    )
    db.add(attachment)
    return attachment


@dataclass(frozen=True)
class BlobCollection:
    """What :func:`collect_orphan_blobs` did."""

    # Committed blobs no attachment names (a worker died between the blob and its row).
    orphans: int
    # Uploads left half-received in the pending directory by a worker that died.
    stale_pending: int
    # Blobs whose row is committed but whose file times were still exact (written before
    # file times were set to the day, or by a worker that died just after its commit).
    settled: int


def collect_orphan_blobs(db: Session, store: BlobStore, older_than: timedelta) -> BlobCollection:
    """Delete committed blobs no attachment names and stale pending files, and set the times of
    committed blobs still carrying an exact one to their row's day; returns the counts.

    Only blobs unchanged for `older_than` are candidates, and each candidate is looked up again
    after the listing: a blob whose row is committed while this runs is set to its row's day,
    which may be long past, and must not be taken for an old orphan.
    """
    cutoff = time.time() - older_than.total_seconds()
    days = {
        blob_id: day for blob_id, day in db.execute(select(Attachment.blob_id, Attachment.added_on))
    }
    db.rollback()  # end the read: the second look must see rows committed since
    candidates: list[str] = []
    settle: list[tuple[str, date]] = []
    for blob_id in list(store.ids()):
        try:
            modified = store.modified_at(blob_id)
        except FileNotFoundError:
            continue
        day = days.get(blob_id)
        if day is None and modified < cutoff:
            candidates.append(blob_id)
        elif day is not None and modified != clock.day_start_timestamp(day):
            settle.append((blob_id, day))
    still_named = _named(db, candidates)
    db.rollback()
    orphans = 0
    for blob_id in candidates:
        if blob_id not in still_named:
            store.delete(blob_id)
            orphans += 1
    for blob_id, day in settle:
        try:
            store.settle(blob_id, day)
        except FileNotFoundError:
            continue
    stale = store.sweep_pending(older_than)
    return BlobCollection(orphans=orphans, stale_pending=stale, settled=len(settle))


def _named(db: Session, blob_ids: list[str]) -> set[str]:
    """Which of these blobs an attachment names now."""
    named: set[str] = set()
    for start in range(0, len(blob_ids), 500):
        batch = blob_ids[start : start + 500]
        named.update(db.scalars(select(Attachment.blob_id).where(Attachment.blob_id.in_(batch))))
    return named


def _view(attachment: Attachment, case_key: bytes) -> AttachmentView:
    context = contexts.attachment_meta(attachment.case_id, attachment.id)
    try:
        meta = open_record(case_key, attachment.encrypted_meta, context)
        cleaning = meta.get("cleaning")
        return AttachmentView(
            attachment.id,
            attachment.message_id,
            str(meta["name"]),
            str(meta["type"]),
            int(meta["size"]),
            cleaning if isinstance(cleaning, dict) else None,
        )
    except (UnreadableRecordError, ValueError, KeyError, TypeError):
        return AttachmentView(attachment.id, attachment.message_id, None, "", None)


def attachments_by_message(
    db: Session, case_id: str, thread_key: bytes
) -> dict[str | None, list[AttachmentView]]:
    """Thread attachments of a case grouped by message (None: attached to the report itself)."""
    grouped: dict[str | None, list[AttachmentView]] = {}
    rows = db.scalars(
        select(Attachment)
        .where(Attachment.case_id == case_id, Attachment.key_kind == KeyKind.THREAD)
        .order_by(Attachment.added_on, Attachment.id)
    )
    for attachment in rows:
        grouped.setdefault(attachment.message_id, []).append(_view(attachment, thread_key))
    return grouped


class DamagedFileError(Exception):
    """A file's key, metadata or first chunk failed its integrity check: nothing was sent."""


def read_attachment(
    store: BlobStore, attachment: Attachment, case_key: bytes
) -> tuple[AttachmentView, Iterator[bytes]]:
    """Metadata and a generator of authenticated plaintext chunks; DamagedFileError if tampered.

    The generator raises on a truncated or altered blob part-way through; callers streaming it
    to a client must abort the response rather than end it normally.
    """
    view = _view(attachment, case_key)
    try:
        file_key = decrypt_field(
            case_key,
            attachment.encrypted_file_key,
            contexts.attachment_file_key(attachment.case_id, attachment.id),
        )
    except CryptoError:
        raise DamagedFileError(attachment.id) from None
    if not view.intact:
        raise DamagedFileError(attachment.id)

    def chunks() -> Iterator[bytes]:
        with store.open(attachment.blob_id) as blob:
            yield from decrypt_stream(file_key, blob, contexts.attachment_stream(attachment.id))

    stream = chunks()
    # Authenticate the first chunk here, so a damaged file (most fit in one chunk) is reported
    # by the caller before any response starts, not in the middle of sending it.
    try:
        first = next(stream, b"")
    except CryptoError:
        raise DamagedFileError(attachment.id) from None
    return view, itertools.chain([first], stream)
