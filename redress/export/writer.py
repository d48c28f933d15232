"""Exporting a case for a named recipient (legal counsel, an oversight body, a court).

The export is a ZIP bundle (layout in redress.export.bundle_format and docs/crypto-format.md)
holding every encrypted item of the case exactly as stored, and the case's thread and internal keys
sealed to the recipient's X25519 public key. Who can decrypt it: only the holder of the recipient's
private key. Nothing is decrypted or re-encrypted but the two case keys; the reporter's confidential
identity (its field and its key) and anything about the reporter's receipt are left out.

The archive is built as it is sent: zipfile writes into a sink that is emptied after every write,
and attachment blobs are copied chunk by chunk, so memory stays flat and nothing touches the
disk. Only a caseworker holding the case may export it (NoKeyError otherwise); every export is
audited with the recipient key's fingerprint and counts, never content.
"""

from __future__ import annotations

import base64
import json
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from crypto.sealing import seal_to
from redress import audit
from redress.audit import AuditAction
from redress.export import bundle_format as fmt
from redress.export.recipient_keys import fingerprint
from redress.keys import contexts
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.blobs import BlobNotFoundError, BlobStore
from redress.store.models import (
    Attachment,
    Case,
    CaseField,
    DisclosureRequest,
    InterimMeasure,
    KeyKind,
    Message,
    Note,
    Task,
    new_id,
)


class MissingFileError(Exception):
    """A file of the case is missing from the blob store: no export is made."""


# What an export carries: never the identity key or anything under it.
EXPORTED_KEYS = (KeyKind.THREAD, KeyKind.INTERNAL)
BLOB_READ_BYTES = 64 * 1024


@dataclass(frozen=True)
class CaseExport:
    """An export being sent: iterate over it for the bytes of the ZIP archive."""

    export_id: str
    reference: str
    exported_on: date
    items: int
    files: int
    chunks: Iterator[bytes] = field(repr=False)

    def __iter__(self) -> Iterator[bytes]:
        return self.chunks

    @property
    def filename(self) -> str:
        return f"redress-case-{self.reference}-{self.exported_on.isoformat()}.zip"


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _items(db: Session, case_id: str, attachments: list[Attachment]) -> list[dict[str, Any]]:
    """Every encrypted item of the case as stored, in a stable order, identity left out."""
    items: list[dict[str, Any]] = []

    def add(kind: str, key: KeyKind, ciphertext: bytes, **ids: Any) -> None:
        table = fmt.TABLES[kind]
        items.append(
            {"kind": kind, "table": table, "key": key.value, **ids, "ciphertext": _b64(ciphertext)}
        )

    for case_field in db.scalars(
        select(CaseField)
        .where(CaseField.case_id == case_id, CaseField.key_kind.in_(EXPORTED_KEYS))
        .order_by(CaseField.name)
    ):
        add(fmt.CASE_FIELD, case_field.key_kind, case_field.ciphertext, name=case_field.name)
    for message in db.scalars(
        select(Message).where(Message.case_id == case_id).order_by(Message.seq)
    ):
        add(
            fmt.MESSAGE,
            KeyKind.THREAD,
            message.ciphertext,
            id=message.id,
            seq=message.seq,
            author=message.author.value,
            caseworker_id=message.caseworker_id,
            day=message.sent_on.isoformat(),
        )
    for attachment in attachments:
        ids = {
            "id": attachment.id,
            "message_id": attachment.message_id,
            "day": attachment.added_on.isoformat(),
        }
        add(fmt.ATTACHMENT_KEY, attachment.key_kind, attachment.encrypted_file_key, **ids)
        add(fmt.ATTACHMENT_META, attachment.key_kind, attachment.encrypted_meta, **ids)
    for note in db.scalars(
        select(Note).where(Note.case_id == case_id).order_by(Note.created_at, Note.id)
    ):
        day = note.created_at.date().isoformat()
        add(
            fmt.NOTE,
            KeyKind.INTERNAL,
            note.ciphertext,
            id=note.id,
            author_id=note.author_id,
            day=day,
        )
    for task in db.scalars(
        select(Task).where(Task.case_id == case_id).order_by(Task.created_at, Task.id)
    ):
        add(
            fmt.TASK,
            KeyKind.INTERNAL,
            task.ciphertext,
            id=task.id,
            owner_id=task.owner_id,
            due_on=task.due_on.isoformat() if task.due_on else None,
            done_on=task.done_on.isoformat() if task.done_on else None,
            day=task.created_at.date().isoformat(),
        )
    for request in db.scalars(
        select(DisclosureRequest)
        .where(DisclosureRequest.case_id == case_id)
        .order_by(DisclosureRequest.created_at, DisclosureRequest.id)
    ):
        add(
            fmt.DISCLOSURE_REASON,
            KeyKind.INTERNAL,
            request.encrypted_reason,
            id=request.id,
            requester_id=request.requester_id,
            status=request.status.value,
            day=request.created_at.date().isoformat(),
        )
    for measure in db.scalars(
        select(InterimMeasure)
        .where(InterimMeasure.case_id == case_id)
        .order_by(InterimMeasure.proposed_on, InterimMeasure.id)
    ):
        add(
            fmt.MEASURE,
            KeyKind.INTERNAL,
            measure.ciphertext,
            id=measure.id,
            state=measure.state.value,
            review_on=measure.review_on.isoformat(),
            day=measure.proposed_on.isoformat(),
        )
        if measure.encrypted_reviews is not None:
            add(
                fmt.MEASURE_REVIEWS,
                KeyKind.INTERNAL,
                measure.encrypted_reviews,
                id=measure.id,
                review_count=measure.review_count,
            )
    return items


def _attachments(db: Session, case_id: str) -> list[Attachment]:
    return list(
        db.scalars(
            select(Attachment)
            .where(Attachment.case_id == case_id, Attachment.key_kind.in_(EXPORTED_KEYS))
            .order_by(Attachment.added_on, Attachment.id)
        )
    )


class _Sink:
    """A write-only, unseekable file for zipfile; what was written is taken out after each write."""

    def __init__(self) -> None:
        self._parts: list[bytes] = []

    def write(self, data: bytes, /) -> int:
        self._parts.append(bytes(data))
        return len(data)

    def flush(self) -> None:
        """Nothing is buffered beyond what :meth:`take` hands out."""

    def close(self) -> None:
        """Nothing to release."""

    def take(self) -> bytes:
        taken = b"".join(self._parts)
        self._parts.clear()
        return taken


def _entry(name: str, day: date) -> zipfile.ZipInfo:
    # The export day only: an entry's time stamp would otherwise say when the export was made.
    info = zipfile.ZipInfo(name, date_time=(day.year, day.month, day.day, 0, 0, 0))
    info.compress_type = zipfile.ZIP_STORED
    info.external_attr = 0o600 << 16
    return info


def _archive(
    store: BlobStore, manifest: bytes, blobs: list[tuple[str, str]], day: date
) -> Iterator[bytes]:
    sink = _Sink()
    with zipfile.ZipFile(sink, "w", compression=zipfile.ZIP_STORED) as archive:
        archive.writestr(_entry(fmt.MANIFEST, day), manifest)
        yield sink.take()
        for attachment_id, blob_id in blobs:
            entry = _entry(fmt.file_path(attachment_id), day)
            with store.open(blob_id) as blob, archive.open(entry, "w", force_zip64=True) as out:
                while block := blob.read(BLOB_READ_BYTES):
                    out.write(block)
                    yield sink.take()
    yield sink.take()


def _check_files(store: BlobStore, attachments: list[Attachment]) -> None:
    """Every file is there before the download starts: once it has, a missing one could only
    cut the archive short."""
    for attachment in attachments:
        try:
            store.open(attachment.blob_id).close()
        except BlobNotFoundError:
            raise MissingFileError(attachment.id) from None


def export_case(
    db: Session,
    store: BlobStore,
    case_id: str,
    identity: StaffIdentity,
    recipient_public: bytes,
) -> CaseExport:
    """Seal the case for ``recipient_public`` and audit it; the archive streams on iteration.

    NoKeyError if the caseworker does not hold the case (both its thread and internal keys);
    MissingFileError if a file of the case is missing from the blob store.
    """
    keys = {kind: identity.case_key(db, case_id, kind) for kind in EXPORTED_KEYS}
    case = db.get_one(Case, case_id)
    attachments = _attachments(db, case_id)
    _check_files(store, attachments)
    items = _items(db, case_id, attachments)
    files = [{"id": a.id, "path": fmt.file_path(a.id)} for a in attachments]
    listing = fmt.listing_digest(
        [fmt.item_context(case_id, item) for item in items]
        + [fmt.file_context(a.id) for a in attachments]
    )
    export_id = new_id()
    today = clock.today()
    recipient = fingerprint(recipient_public)
    manifest: dict[str, Any] = {
        "format": fmt.FORMAT_NAME,
        "version": fmt.FORMAT_VERSION,
        "export_id": export_id,
        "case_id": case_id,
        "reference": case.reference,
        "exported_on": today.isoformat(),
        "recipient": recipient,
    }
    header = fmt.header_digest(manifest)
    manifest["keys"] = {
        kind.value: _b64(
            seal_to(
                recipient_public,
                key,
                contexts.export_key(case_id, export_id, kind, listing, header),
            )
        )
        for kind, key in keys.items()
    }
    manifest["items"] = items
    manifest["files"] = files
    audit.record(
        db,
        AuditAction.CASE_EXPORTED,
        identity.actor,
        case_id=case_id,
        detail={
            "export_id": export_id,
            "recipient": recipient,
            "items": len(items),
            "files": len(files),
        },
    )
    body = json.dumps(manifest, indent=1, sort_keys=True).encode()
    blobs = [(a.id, a.blob_id) for a in attachments]
    return CaseExport(
        export_id,
        case.reference,
        today,
        len(items),
        len(files),
        _archive(store, body, blobs, today),
    )
