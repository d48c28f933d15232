"""Attachments encrypted while they are received: plaintext never touches the disk.

An :class:`EncryptedUpload` is a write-only file object handed to the multipart parser in place
of Werkzeug's spooled temporary file. Every write is encrypted under a fresh random file key and
streamed as ciphertext into a pending blob. The file key, name and media type stay in memory
until the submission is stored, when they are encrypted under the case key
(:mod:`redress.cases.attachments`). An upload that is never committed is discarded with its blob.
"""

from __future__ import annotations

import re
import unicodedata
from datetime import date

from sqlalchemy import event
from sqlalchemy.orm import Session

from crypto.keys import random_key
from crypto.streams import StreamEncryptor, decrypt_stream
from redress.keys import contexts
from redress.store.blobs import BlobStore
from redress.store.models.base import new_id

# What a file is called when nothing readable is left of the name it came with.
UNNAMED_FILE = "file"
# Invisible characters that belong in the spelling of words (Persian, Indic scripts, emoji
# sequences) and cannot reorder text: kept, unlike every other format character.
_JOINERS = frozenset("\u200c\u200d")
_SPACES = re.compile(r"\s+")


def hides_text(char: str) -> bool:
    """A control, format (bidi overrides, isolates and marks, BOM...), surrogate, line or
    paragraph separator, or noncharacter: what a file name must not show as it is."""
    category = unicodedata.category(char)
    return (
        category in ("Cc", "Cs", "Zl", "Zp")
        or (category == "Cf" and char not in _JOINERS)
        or 0xFDD0 <= ord(char) <= 0xFDEF
        or ord(char) & 0xFFFE == 0xFFFE
    )


def _readable(char: str) -> str:
    """The character, a space in place of a line or tab, or nothing for what hides text."""
    category = unicodedata.category(char)
    if category in ("Zl", "Zp") or (category == "Cc" and char.isspace()):
        return " "
    # NUL and other controls, surrogates, bidi overrides and isolates, BOM, noncharacters...
    return "" if hides_text(char) else char


def clean_filename(name: str) -> str:
    """A received file name as it is kept, shown and sent back: no control characters (NUL,
    CR, LF...), no bidi overrides or isolates or other format characters (which make
    "report\u202efdp.exe" read as "reportexe.pdf"), whitespace runs as one space, in NFC; what
    a person reads is kept. An empty result becomes :data:`UNNAMED_FILE`."""
    readable = "".join(_readable(char) for char in unicodedata.normalize("NFC", name))
    return _SPACES.sub(" ", readable).strip() or UNNAMED_FILE


def _escaped(char: str) -> str:
    code = ord(char)
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown_filename(name: str) -> str:
    """A stored file name as people are shown it (both apps, through the ``filename`` template
    filter): every character :func:`clean_filename` takes out (bidi overrides, isolates and
    marks, other controls) is shown escaped, visible, as ``\\u202e``; so a name stored before
    names were cleaned on arrival cannot read as "invexe.png". A cleaned name is shown as it is.
    """
    return "".join(
        _escaped(char) if hides_text(char) else char for char in unicodedata.normalize("NFC", name)
    )


class FileTooLarge(Exception):
    """One file went over the per-file limit (the whole request is refused)."""


class EncryptedUpload:
    """One incoming file, encrypted chunk by chunk into a pending blob."""

    def __init__(
        self, store: BlobStore, filename: str, content_type: str, *, max_bytes: int
    ) -> None:
        self.max_bytes = max_bytes
        self.attachment_id = new_id()
        # Cleaned here, the one place an upload is made.
        self.filename = clean_filename(filename)
        self._named = bool(filename)
        self.content_type = content_type
        self.file_key = random_key()
        # What metadata cleaning did to this file (set by redress.reporting.cleaning), for the
        # reporter and, encrypted with the file's other metadata, for caseworkers.
        self.cleaning: dict[str, object] | None = None
        self._store = store
        self._pending = store.create()
        self._encryptor = StreamEncryptor(
            self.file_key, self._pending.file, contexts.attachment_stream(self.attachment_id)
        )
        self._finished = False
        self.committed = False
        # The day its attachment row records (set by redress.cases.attachments.attach_upload).
        self.stored_on: date | None = None

    # The file-object surface the multipart parser uses.
    def writable(self) -> bool:
        return True

    def readable(self) -> bool:
        return False

    def write(self, data: bytes) -> int:
        if self._encryptor.plaintext_size + len(data) > self.max_bytes:
            raise FileTooLarge()
        return self._encryptor.write(data)

    def seek(self, offset: int, whence: int = 0) -> int:
        """Werkzeug rewinds a finished part with ``seek(0)``: that is where the stream ends."""
        if (offset, whence) != (0, 0):
            raise OSError("an encrypted upload can only be finished, not repositioned")
        self.finish()
        return 0

    def finish(self) -> None:
        if not self._finished:
            self._encryptor.finish()
            self._finished = True

    def plaintext(self) -> bytes:
        """The whole file decrypted into memory; callers bound the size they ask this for."""
        self.finish()
        self._pending.file.flush()
        with self._pending.reopen() as ciphertext:
            chunks = decrypt_stream(
                self.file_key, ciphertext, contexts.attachment_stream(self.attachment_id)
            )
            return b"".join(chunks)

    def replace_content(self, data: bytes) -> None:
        """Store `data` instead (a copy cleaned of metadata), under a fresh key and blob."""
        replacement = self._store.create()
        file_key = random_key()
        encryptor = StreamEncryptor(
            file_key, replacement.file, contexts.attachment_stream(self.attachment_id)
        )
        encryptor.write(data)
        encryptor.finish()
        self._pending.discard()
        self._pending, self.file_key, self._encryptor = replacement, file_key, encryptor

    @property
    def finished(self) -> bool:
        """True once the whole file was received (a stored upload is always finished)."""
        return self._finished

    @property
    def size(self) -> int:
        return self._encryptor.plaintext_size

    @property
    def is_empty_field(self) -> bool:
        """A file input left empty arrives as a part with no name and no content."""
        return not self._named and self.size == 0

    @property
    def blob_id(self) -> str:
        return self._pending.blob_id

    def commit(self) -> str:
        """Make the blob durable and visible; returns its id."""
        self.finish()
        self._pending.commit()
        self.committed = True
        return self._pending.blob_id

    def discard(self) -> None:
        """Drop an upload that will not be stored (also safe after a failed commit)."""
        if not self.committed:
            self._pending.discard()


# Where a session keeps the uploads its transaction attached to rows (see attach).
_ATTACHED = "redress.attached_uploads"


def note_attached(db: Session, upload: EncryptedUpload) -> None:
    """Remember that this transaction writes a row naming the upload, so that the upload's blob
    is committed with it; a rollback forgets it (the upload is then discarded with the request)."""
    db.info.setdefault(_ATTACHED, []).append(upload)


@event.listens_for(Session, "after_soft_rollback")
def _forget_attached(session: Session, _previous: object) -> None:
    session.info.pop(_ATTACHED, None)


@event.listens_for(Session, "before_commit")
def _refuse_rows_without_their_files(session: Session) -> None:
    # A row naming a blob must never be committed before the blob: commit_with_uploads does both.
    if session.info.get(_ATTACHED):
        raise RuntimeError("attached uploads are committed with commit_with_uploads")


def commit_with_uploads(db: Session, store: BlobStore) -> None:
    """Make the blobs of the uploads this transaction attached durable, then commit the rows
    naming them; on any failure undo both. Uploads that were received but not attached (a
    refused form) are left to be discarded.

    Once the rows are committed, each attached blob keeps only the day of its row as its file
    times (:meth:`redress.store.blobs.LocalBlobStore.settle`).
    """
    uploads: list[EncryptedUpload] = db.info.pop(_ATTACHED, [])
    try:
        for upload in uploads:
            upload.commit()
        db.commit()
    except BaseException:
        db.rollback()
        for upload in uploads:
            if upload.committed:
                store.delete(upload.blob_id)
            else:
                upload.discard()
        raise
    for upload in uploads:
        if upload.stored_on is None:
            continue
        try:
            store.settle(upload.blob_id, upload.stored_on)
        except OSError:
            # The rows are stored: failing now would tell the sender nothing was. The blob keeps
            # its exact time until `redress blobs gc` sets it to its row's day.
            continue
