"""Blob storage for encrypted attachments behind a small interface, with a local-directory backend.

Blobs only ever hold ciphertext. Names are random; a user-supplied file name never reaches the
file system. Writes are atomic: a pending blob is written to a temporary file, fsynced, then
renamed into place, so a crash leaves either nothing or a whole blob (and stray temporary files,
which :meth:`LocalBlobStore.sweep_pending` removes).
"""

from __future__ import annotations

import os
import re
import secrets
import time
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import BinaryIO, Protocol

_BLOB_ID = re.compile(r"\A[0-9a-f]{64}\Z")
_PENDING_DIR = "pending"
# A pending file that has not grown for this long belongs to a worker that died mid-upload.
STALE_UPLOAD = timedelta(minutes=15)


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

    def sweep_pending(self, older_than: timedelta) -> int: ...


def _fsync_directory(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


class LocalPendingBlob:
    """A temporary file in the store's pending directory, renamed into place on commit."""

    def __init__(self, store: LocalBlobStore) -> None:
        self._store = store
        self._blob_id = secrets.token_hex(32)
        self._temporary = store.pending_dir / self._blob_id
        self._file: BinaryIO = self._temporary.open("xb")
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
        final.parent.mkdir(mode=0o700, exist_ok=True)
        os.replace(self._temporary, final)
        _fsync_directory(final.parent)
        self._done = True

    def discard(self) -> None:
        if self._done:
            return
        self._file.close()
        self._temporary.unlink(missing_ok=True)
        self._done = True


class LocalBlobStore:
    """Blobs as files under ``root/<first two hex>/<id>``, pending ones under ``root/pending``."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.pending_dir = root / _PENDING_DIR
        self.pending_dir.mkdir(mode=0o700, parents=True, exist_ok=True)

    def path_for(self, blob_id: str) -> Path:
        if not _BLOB_ID.match(blob_id):
            raise BlobNotFoundError(blob_id)
        return self.root / blob_id[:2] / blob_id

    def create(self) -> LocalPendingBlob:
        return LocalPendingBlob(self)

    def open(self, blob_id: str) -> BinaryIO:
        try:
            return self.path_for(blob_id).open("rb")
        except FileNotFoundError:
            raise BlobNotFoundError(blob_id) from None

    def delete(self, blob_id: str) -> None:
        self.path_for(blob_id).unlink(missing_ok=True)

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
        return removed

    def modified_at(self, blob_id: str) -> float:
        """When a committed blob was written (seconds since the epoch)."""
        return self.path_for(blob_id).stat().st_mtime
