"""Blob storage for encrypted attachments behind a small interface, with a local-directory backend.

Blobs only ever hold ciphertext. Names are random; a user-supplied file name never reaches the
file system. Writes are atomic: a pending blob is written to a temporary file, fsynced, then
renamed into place, so a crash leaves either nothing or a whole blob (and stray temporary files,
which :meth:`LocalBlobStore.sweep_pending` removes).

File times date nothing more precisely than the day. Once the row naming a blob is committed,
:meth:`LocalBlobStore.settle` sets the blob's modification and access times to the start of the
row's day; blobs are read without updating their access time; and every directory the store
changes (the blob's own, the pending directory, the root) gets the start of the day as its times
again. Until its row is committed a blob keeps its exact time, which is what lets the collector of
orphaned blobs (:func:`redress.cases.attachments.collect_orphan_blobs`) leave alone a blob whose
row is being committed right now; a pending upload keeps its exact time while it grows, which is
how a stale one is told from a live one. Inode change and creation times cannot be set from user
space (docs/threat-model.md, "Timing of reporter actions").
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

from redress.store import clock

_BLOB_ID = re.compile(r"\A[0-9a-f]{64}\Z")
_PENDING_DIR = "pending"
# A pending file that has not grown for this long belongs to a worker that died mid-upload.
STALE_UPLOAD = timedelta(minutes=15)
# Reading a blob must not stamp it with the time it was read (Linux; the owner may ask this).
_NO_ATIME = getattr(os, "O_NOATIME", 0)


class BlobNotFoundError(Exception):
    """No blob with that id."""


class PendingBlob(Protocol):
    """A blob being written; invisible until committed."""

    @property
    def blob_id(self) -> str: ...

    @property
    def file(self) -> BinaryIO: ...

    def reopen(self) -> BinaryIO:
        """Read back what was written so far (ciphertext)."""
        ...

    def commit(self) -> None: ...

    def discard(self) -> None: ...


class BlobStore(Protocol):
    """What the rest of Redress needs from blob storage (a directory today, S3 tomorrow)."""

    def create(self) -> PendingBlob: ...

    def open(self, blob_id: str) -> BinaryIO: ...

    def delete(self, blob_id: str) -> None: ...

    def ids(self) -> Iterator[str]: ...

    def modified_at(self, blob_id: str) -> float: ...

    def settle(self, blob_id: str, day: date) -> None:
        """The blob's row is committed: keep only `day` of when it was written."""
        ...

    def sweep_pending(self, older_than: timedelta) -> int: ...


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


def _set_day(path: Path, day: date | None = None) -> None:
    """Set a file's or directory's access and modification times to the start of `day`
    (default: today, UTC)."""
    moment = clock.day_start_timestamp(day or clock.today())
    os.utime(path, (moment, moment), follow_symlinks=False)


def _open_without_atime(path: Path) -> BinaryIO:
    try:
        descriptor = os.open(path, os.O_RDONLY | _NO_ATIME)
    except PermissionError:
        # O_NOATIME is refused to whoever does not own the file: read it the ordinary way.
        descriptor = os.open(path, os.O_RDONLY)
    return os.fdopen(descriptor, "rb")


class LocalPendingBlob:
    """A temporary file in the store's pending directory, renamed into place on commit."""

    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._blob_id = secrets.token_hex(32)
        self._temporary = store.pending_dir / self._blob_id
        self._file: BinaryIO = self._temporary.open("xb")
        store.touched(store.pending_dir)
        self._done = False

    @property
    def blob_id(self) -> str:
        return self._blob_id

    @property
    def file(self) -> BinaryIO:
        return self._file

    def reopen(self) -> BinaryIO:
        return self._temporary.open("rb")

    def commit(self) -> None:
        if self._done:
            raise ValueError("this blob was already committed or discarded")
        self._file.flush()
        os.fsync(self._file.fileno())
        self._file.close()
        final = self._store.path_for(self._blob_id)
        if not final.parent.is_dir():
            final.parent.mkdir(mode=0o700, exist_ok=True)
            self._store.touched(self._store.root)
        os.replace(self._temporary, final)
        _fsync_directory(final.parent)
        self._store.touched(final.parent, self._store.pending_dir)
        self._done = True

    def discard(self) -> None:
        if self._done:
            return
        self._file.close()
        self._temporary.unlink(missing_ok=True)
        self._store.touched(self._store.pending_dir)
        self._done = True


class LocalBlobStore:
    """Blobs as files under ``root/<first two hex>/<id>``, pending ones under ``root/pending``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending_dir = root / _PENDING_DIR
        if not self.pending_dir.is_dir():
            self.pending_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
            self.touched(self.pending_dir, self.root)

    def touched(self, *directories: Path) -> None:
        """Directories the store just changed keep only the day of their last change."""
        for directory in directories:
            _set_day(directory)

    def path_for(self, blob_id: str) -> Path:
        if not _BLOB_ID.match(blob_id):
            raise BlobNotFoundError(blob_id)
        return self.root / blob_id[:2] / blob_id

    def create(self) -> LocalPendingBlob:
        return LocalPendingBlob(self)

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return _open_without_atime(self.path_for(blob_id))
        except FileNotFoundError:
            raise BlobNotFoundError(blob_id) from None

    def delete(self, blob_id: str) -> None:
        path = self.path_for(blob_id)
        path.unlink(missing_ok=True)
        if path.parent.is_dir():
            self.touched(path.parent)

    def settle(self, blob_id: str, day: date) -> None:
        """Once the blob's row is committed: its times, and its directory's, become the start of
        `day` (the day its row records). Before that its exact time keeps it from being taken
        for an orphan while the row is being committed."""
        path = self.path_for(blob_id)
        _set_day(path, day)
        _set_day(path.parent, day)

    def ids(self) -> Iterator[str]:
        for path in self.root.glob("??/*"):
            if _BLOB_ID.match(path.name):
                yield path.name

    def sweep_pending(self, older_than: timedelta) -> int:
        """Remove temporary files that have not been written to for `older_than`.

        A live upload keeps its file's modification time fresh; a file left by a worker that
        died mid-upload stops changing and is removed once it is older than the threshold.
        """
        cutoff = time.time() - older_than.total_seconds()
        removed = 0
        for path in self.pending_dir.iterdir():
            try:
                if path.stat().st_mtime < cutoff:
                    path.unlink()
                    removed += 1
            except FileNotFoundError:
                continue
        if removed:
            self.touched(self.pending_dir)
        return removed

    def modified_at(self, blob_id: str) -> float:
        """When a committed blob was written (seconds since the epoch): exact until its row is
        committed, then the start of the row's day (:meth:`settle`)."""
        return self.path_for(blob_id).stat().st_mtime
