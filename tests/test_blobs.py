"""The local blob store: random names, atomic writes, nothing visible until committed."""

from __future__ import annotations

import os
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

import pytest

from redress.store.blobs import BlobNotFoundError, LocalBlobStore


@pytest.fixture
def store(tmp_path: Path) -> LocalBlobStore:
    return LocalBlobStore(tmp_path / "blobs")


def test_a_blob_appears_only_when_committed(store: LocalBlobStore) -> None:
    pending = store.create()
    pending.file.write(b"ciphertext")
    assert list(store.ids()) == []
    assert (store.pending_dir / pending.blob_id).exists()
    pending.commit()
    assert list(store.ids()) == [pending.blob_id]
    assert list(store.pending_dir.iterdir()) == []
    with store.open(pending.blob_id) as blob:
        assert blob.read() == b"ciphertext"


def test_names_are_random_and_never_user_supplied(store: LocalBlobStore) -> None:
    pending = [store.create() for _ in range(50)]
    names = {blob.blob_id for blob in pending}
    for blob in pending:
        blob.discard()
    assert len(names) == 50
    assert all(len(name) == 64 and int(name, 16) >= 0 for name in names)


def test_discard_leaves_nothing(store: LocalBlobStore) -> None:
    pending = store.create()
    pending.file.write(b"x")
    pending.discard()
    pending.discard()
    assert list(store.pending_dir.iterdir()) == []
    with pytest.raises(ValueError, match="already committed or discarded"):
        pending.commit()


@pytest.mark.parametrize("blob_id", ["../../etc/passwd", "ab", "A" * 64, "0" * 63 + "/"])
def test_ids_that_are_not_ours_are_not_found(store: LocalBlobStore, blob_id: str) -> None:
    with pytest.raises(BlobNotFoundError):
        store.open(blob_id)


def test_delete_and_sweep(store: LocalBlobStore) -> None:
    kept = store.create()
    kept.commit()
    crashed = store.create()
    crashed.file.write(b"left by a crashed worker")
    crashed.file.close()
    assert store.sweep_pending(older_than=timedelta(0)) == 1
    store.delete(kept.blob_id)
    assert list(store.ids()) == []
    with pytest.raises(BlobNotFoundError):
        store.open(kept.blob_id)


def test_sweep_spares_live_uploads(store: LocalBlobStore) -> None:
    live = store.create()
    live.file.write(b"still arriving")
    assert store.sweep_pending(older_than=timedelta(minutes=15)) == 0
    live.file.close()
    old = time.time() - 16 * 60
    os.utime(store.pending_dir / live.blob_id, (old, old))
    assert store.sweep_pending(older_than=timedelta(minutes=15)) == 1


# File times: the day only, once the blob's row is committed.


def _day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=UTC).timestamp()


def test_a_committed_blob_keeps_its_exact_time_until_settled(store: LocalBlobStore) -> None:
    pending = store.create()
    pending.file.write(b"ciphertext")
    pending.commit()
    path = store.path_for(pending.blob_id)
    # Until its row is committed, its exact time keeps it from being taken for an old orphan.
    assert abs(path.stat().st_mtime - time.time()) < 60
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    store.settle(pending.blob_id, yesterday)
    assert (path.stat().st_mtime, path.stat().st_atime) == (_day_start(yesterday),) * 2
    assert path.parent.stat().st_mtime == _day_start(yesterday)


def test_directories_the_store_changes_keep_only_the_day(store: LocalBlobStore) -> None:
    today = _day_start(datetime.now(UTC).date())
    kept, dropped = store.create(), store.create()
    kept.commit()
    dropped.discard()
    store.delete(kept.blob_id)
    for directory in (store.root, store.pending_dir, store.path_for(kept.blob_id).parent):
        assert directory.stat().st_mtime == today, directory


def test_reading_a_blob_leaves_its_access_time(store: LocalBlobStore) -> None:
    pending = store.create()
    pending.file.write(b"ciphertext")
    pending.commit()
    yesterday = datetime.now(UTC).date() - timedelta(days=1)
    store.settle(pending.blob_id, yesterday)
    with store.open(pending.blob_id) as blob:
        assert blob.read() == b"ciphertext"
    assert store.path_for(pending.blob_id).stat().st_atime == _day_start(yesterday)
