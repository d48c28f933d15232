"""Chunked secretstream files: round trips, framing, sizes, flat memory."""

from __future__ import annotations

import hashlib
import io
import random
import tracemalloc
from typing import Any

import pytest
from crypto_support import context_from
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import FormatError, UnsupportedVersionError
from crypto.fields import FieldContext
from crypto.streams import (
    CHUNK_OVERHEAD,
    HEADER_SIZE,
    STREAM_CHUNK_SIZE,
    StreamEncryptor,
    decrypt_stream,
    decrypt_stream_to,
    encrypt_stream,
    encrypted_size,
)

KEY = bytes(range(32))
CTX = FieldContext("attachment", "case-1", "file-1")
SMALL = 1024


def encrypt_bytes(data: bytes, chunk_size: int = SMALL) -> bytes:
    out = io.BytesIO()
    encrypt_stream(KEY, io.BytesIO(data), out, CTX, chunk_size)
    return out.getvalue()


def decrypt_bytes(blob: bytes) -> bytes:
    return b"".join(decrypt_stream(KEY, io.BytesIO(blob), CTX))


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["stream"]
    out = io.BytesIO()
    size = decrypt_stream_to(
        bytes.fromhex(v["key"]),
        io.BytesIO(bytes.fromhex(v["ciphertext"])),
        out,
        context_from(v["context"]),
    )
    assert out.getvalue().hex() == v["plaintext"]
    assert size == len(out.getvalue())
    assert len(bytes.fromhex(v["ciphertext"])) == encrypted_size(size, v["chunk_size"])


EDGE_SIZES = [0, 1, SMALL - 1, SMALL, SMALL + 1, 2 * SMALL, 3 * SMALL - 1, 3 * SMALL + 1]


@pytest.mark.parametrize("size", EDGE_SIZES)
def test_edge_sizes(size: int) -> None:
    data = random.Random(size).randbytes(size)  # noqa: S311 -- test data, not a secret
    blob = encrypt_bytes(data)
    assert len(blob) == encrypted_size(size, SMALL)
    assert decrypt_bytes(blob) == data


@settings(max_examples=40, deadline=None)
@given(
    data=st.one_of(
        st.binary(max_size=5 * SMALL),
        st.integers(0, 4).map(lambda n: b"\x5a" * (n * SMALL)),
        st.sampled_from([SMALL - 1, SMALL + 1, 2 * SMALL - 1, 2 * SMALL + 1]).map(bytes),
    ),
    chunk_size=st.sampled_from([SMALL, SMALL + 1, 2 * SMALL - 1, 2 * SMALL]),
)
def test_round_trip(data: bytes, chunk_size: int) -> None:
    blob = encrypt_bytes(data, chunk_size)
    assert len(blob) == encrypted_size(len(data), chunk_size)
    assert decrypt_bytes(blob) == data


@settings(max_examples=30, deadline=None)
@given(pieces=st.lists(st.binary(max_size=3 * SMALL), max_size=8))
def test_encryptor_any_write_pattern(pieces: list[bytes]) -> None:
    out = io.BytesIO()
    encryptor = StreamEncryptor(KEY, out, CTX, SMALL)
    assert encryptor.writable()
    for piece in pieces:
        assert encryptor.write(piece) == len(piece)
    encryptor.finish()
    data = b"".join(pieces)
    assert encryptor.plaintext_size == len(data)
    assert decrypt_bytes(out.getvalue()) == data


def test_header_written_at_once() -> None:
    out = io.BytesIO()
    StreamEncryptor(KEY, out, CTX, SMALL)
    assert len(out.getvalue()) == HEADER_SIZE
    assert out.getvalue()[:8] == b"RDS\x01" + SMALL.to_bytes(4, "big")


def test_encryptor_holds_at_most_one_chunk() -> None:
    out = io.BytesIO()
    encryptor = StreamEncryptor(KEY, out, CTX, SMALL)
    encryptor.write(bytes(10 * SMALL))
    # Nine full chunks are out; the tenth waits in case it is the last one.
    assert len(out.getvalue()) == HEADER_SIZE + 9 * (SMALL + CHUNK_OVERHEAD)


def test_write_after_finish_and_double_finish() -> None:
    encryptor = StreamEncryptor(KEY, io.BytesIO(), CTX, SMALL)
    encryptor.finish()
    with pytest.raises(ValueError, match="finish"):
        encryptor.write(b"x")
    with pytest.raises(ValueError, match="finished"):
        encryptor.finish()


@pytest.mark.parametrize("chunk_size", [0, 1023, 16 * 1024 * 1024 + 1])
def test_chunk_size_range_on_encrypt(chunk_size: int) -> None:
    with pytest.raises(ValueError, match="chunk_size"):
        StreamEncryptor(KEY, io.BytesIO(), CTX, chunk_size)


@pytest.mark.parametrize("chunk_size", [0, 1023, 16 * 1024 * 1024 + 1])
def test_chunk_size_range_on_decrypt(chunk_size: int) -> None:
    blob = bytearray(encrypt_bytes(b"x"))
    blob[4:8] = chunk_size.to_bytes(4, "big")
    with pytest.raises(FormatError, match="chunk size"):
        decrypt_bytes(bytes(blob))


def test_bad_magic_and_short_header() -> None:
    blob = encrypt_bytes(b"x")
    with pytest.raises(UnsupportedVersionError):
        decrypt_bytes(b"XYZ" + blob[3:])
    with pytest.raises(FormatError):
        decrypt_bytes(blob[:5])
    with pytest.raises(FormatError):
        decrypt_bytes(blob[: HEADER_SIZE - 1])


def test_header_is_checked_before_iteration() -> None:
    with pytest.raises(FormatError):
        decrypt_stream(KEY, io.BytesIO(b"RD"), CTX)


def test_encrypted_size() -> None:
    assert encrypted_size(0) == HEADER_SIZE + CHUNK_OVERHEAD
    assert encrypted_size(STREAM_CHUNK_SIZE) == HEADER_SIZE + STREAM_CHUNK_SIZE + CHUNK_OVERHEAD
    assert encrypted_size(STREAM_CHUNK_SIZE + 1) == (
        HEADER_SIZE + STREAM_CHUNK_SIZE + 1 + 2 * CHUNK_OVERHEAD
    )
    with pytest.raises(ValueError, match="positive"):
        encrypted_size(-1)


class PseudoRandomReader:
    """A readable stream of ``size`` pseudo-random bytes, generated as they are read."""

    def __init__(self, size: int, seed: int = 7) -> None:
        self._left = size
        self._random = random.Random(seed)  # noqa: S311 -- test data, not a secret
        self.hash = hashlib.blake2b()

    def read(self, n: int = -1) -> bytes:
        n = self._left if n < 0 else min(n, self._left)
        self._left -= n
        block = self._random.randbytes(n)
        self.hash.update(block)
        return block


class HashingSink:
    """A writable stream that keeps only a hash of what it is given."""

    def __init__(self) -> None:
        self.hash = hashlib.blake2b()
        self.size = 0

    def write(self, data: bytes) -> int:
        self.hash.update(data)
        self.size += len(data)
        return len(data)


def test_memory_stays_flat_for_64_mib(tmp_path: Any) -> None:
    size = 64 * 1024 * 1024
    source = PseudoRandomReader(size)
    path = tmp_path / "blob"
    tracemalloc.start()
    try:
        with path.open("wb") as dst:
            encrypt_stream(KEY, source, dst, CTX)  # type: ignore[arg-type]
        _, encrypt_peak = tracemalloc.get_traced_memory()
        tracemalloc.reset_peak()
        sink = HashingSink()
        with path.open("rb") as src:
            decrypt_stream_to(KEY, src, sink, CTX)  # type: ignore[arg-type]
        _, decrypt_peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert path.stat().st_size == encrypted_size(size)
    assert sink.size == size
    assert sink.hash.digest() == source.hash.digest()
    assert encrypt_peak < 1024 * 1024
    assert decrypt_peak < 1024 * 1024
