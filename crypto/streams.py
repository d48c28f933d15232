"""Encrypted files: libsodium secretstream (XChaCha20-Poly1305) in fixed-size chunks.

Stream layout (version 1)::

    b"RDS" | version u8 = 0x01 | chunk_size u32be | secretstream header(24)     -- 32 bytes
    chunk_1 | chunk_2 | ... | chunk_n

Each chunk is ``crypto_secretstream_xchacha20poly1305_push(plaintext, ad, tag)``: 17 bytes
longer than its plaintext. Every chunk but the last carries exactly ``chunk_size`` plaintext
bytes and TAG_MESSAGE; the last carries 0..chunk_size bytes and TAG_FINAL (an empty file is a
single empty FINAL chunk). The associated data of every chunk is the first 8 header bytes
(magic, version, chunk size) followed by ``associated_data(context)``.

Secretstream detects altered, dropped, reordered and duplicated chunks; the FINAL rule detects
truncation; bytes after FINAL are refused. Decryption yields each chunk as soon as it is
authenticated, so a consumer must not act on the output until the stream has been read to the
end without error.
"""

from __future__ import annotations

import struct
from collections.abc import Iterator
from typing import BinaryIO

from nacl.bindings import (
    crypto_secretstream_xchacha20poly1305_ABYTES,
    crypto_secretstream_xchacha20poly1305_HEADERBYTES,
    crypto_secretstream_xchacha20poly1305_init_pull,
    crypto_secretstream_xchacha20poly1305_init_push,
    crypto_secretstream_xchacha20poly1305_pull,
    crypto_secretstream_xchacha20poly1305_push,
    crypto_secretstream_xchacha20poly1305_state,
    crypto_secretstream_xchacha20poly1305_TAG_FINAL,
    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
)
from nacl.exceptions import CryptoError as NaclCryptoError

from crypto.errors import FormatError, IntegrityError, UnsupportedVersionError
from crypto.fields import FieldContext, associated_data

STREAM_MAGIC = b"RDS"
STREAM_VERSION = 1
STREAM_CHUNK_SIZE = 64 * 1024
CHUNK_SIZE_MIN = 1024
CHUNK_SIZE_MAX = 16 * 1024 * 1024
KEY_SIZE = 32
_PREFIX = struct.Struct(">3sBI")
PREFIX_SIZE = _PREFIX.size  # 8
HEADER_SIZE = PREFIX_SIZE + crypto_secretstream_xchacha20poly1305_HEADERBYTES  # 32
CHUNK_OVERHEAD = crypto_secretstream_xchacha20poly1305_ABYTES  # 17
TAG_MESSAGE = crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
TAG_FINAL = crypto_secretstream_xchacha20poly1305_TAG_FINAL


def _check(key: bytes, chunk_size: int) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"stream keys are {KEY_SIZE} bytes")
    if not CHUNK_SIZE_MIN <= chunk_size <= CHUNK_SIZE_MAX:
        raise ValueError(f"chunk_size must be in [{CHUNK_SIZE_MIN}, {CHUNK_SIZE_MAX}]")


def encrypted_size(plaintext_size: int, chunk_size: int = STREAM_CHUNK_SIZE) -> int:
    """Return the exact ciphertext size for ``plaintext_size`` bytes."""
    if plaintext_size < 0 or chunk_size < 1:
        raise ValueError("sizes must be positive")
    chunks = max(1, -(-plaintext_size // chunk_size))
    return HEADER_SIZE + plaintext_size + chunks * CHUNK_OVERHEAD


class StreamEncryptor:
    """A write-only file-like object that encrypts into ``dst`` as data arrives.

    Who can decrypt: holders of ``key`` (a per-file key sealed under the case's thread or
    internal key). Memory stays at about one chunk whatever the size of each ``write``.
    """

    def __init__(
        self,
        key: bytes,
        dst: BinaryIO,
        context: FieldContext,
        chunk_size: int = STREAM_CHUNK_SIZE,
    ) -> None:
        _check(key, chunk_size)
        self._dst = dst
        self._chunk_size = chunk_size
        self._state = crypto_secretstream_xchacha20poly1305_state()
        prefix = _PREFIX.pack(STREAM_MAGIC, STREAM_VERSION, chunk_size)
        self._ad = prefix + associated_data(context)
        ss_header = crypto_secretstream_xchacha20poly1305_init_push(self._state, key)
        self._buffer = bytearray()
        self._size = 0
        self._finished = False
        dst.write(prefix + ss_header)

    @property
    def plaintext_size(self) -> int:
        """Plaintext bytes accepted so far."""
        return self._size

    def writable(self) -> bool:
        return True

    def _push(self, tag: int) -> None:
        chunk = crypto_secretstream_xchacha20poly1305_push(
            self._state, bytes(self._buffer), self._ad, tag
        )
        self._dst.write(chunk)
        self._buffer.clear()

    def write(self, data: bytes) -> int:
        """Accept ``data``; emit every chunk that is known not to be the last."""
        if self._finished:
            raise ValueError("write after finish")
        view = memoryview(data).cast("B")
        size = len(view)
        while view:
            if len(self._buffer) == self._chunk_size:
                self._push(TAG_MESSAGE)
            take = self._chunk_size - len(self._buffer)
            self._buffer += view[:take]
            view = view[take:]
        self._size += size
        return size

    def finish(self) -> None:
        """Emit the FINAL chunk. Further writes, or a second finish, raise ValueError."""
        if self._finished:
            raise ValueError("stream already finished")
        self._push(TAG_FINAL)
        self._finished = True


def encrypt_stream(
    key: bytes,
    src: BinaryIO,
    dst: BinaryIO,
    context: FieldContext,
    chunk_size: int = STREAM_CHUNK_SIZE,
) -> int:
    """Encrypt all of ``src`` into ``dst`` in constant memory; return the plaintext size.

    Who can decrypt: holders of ``key``.
    """
    encryptor = StreamEncryptor(key, dst, context, chunk_size)
    while block := src.read(chunk_size):
        encryptor.write(block)
    encryptor.finish()
    return encryptor.plaintext_size


def _read_exactly(src: BinaryIO, size: int) -> bytes:
    first = src.read(size)
    if len(first) == size or not first:
        return first
    parts = [first]
    missing = size - len(first)
    while missing:
        more = src.read(missing)
        if not more:
            break
        parts.append(more)
        missing -= len(more)
    return b"".join(parts)


def _pull_chunks(
    state: crypto_secretstream_xchacha20poly1305_state, src: BinaryIO, ad: bytes, chunk_size: int
) -> Iterator[bytes]:
    full = chunk_size + CHUNK_OVERHEAD
    while True:
        chunk = _read_exactly(src, full)
        if len(chunk) < CHUNK_OVERHEAD:
            raise IntegrityError("stream is truncated: it ends without a final chunk")
        try:
            plaintext, tag = crypto_secretstream_xchacha20poly1305_pull(state, chunk, ad)
        except (NaclCryptoError, RuntimeError):
            raise IntegrityError("stream chunk failed authentication") from None
        if tag == TAG_FINAL:
            if src.read(1):
                raise IntegrityError("stream has data after its final chunk")
            yield plaintext
            return
        if tag != TAG_MESSAGE or len(chunk) != full:
            raise IntegrityError("stream chunk has an unexpected tag or length")
        yield plaintext


def decrypt_stream(key: bytes, src: BinaryIO, context: FieldContext) -> Iterator[bytes]:
    """Yield plaintext chunks of a stream made by :class:`StreamEncryptor` as each authenticates.

    The header is checked at once; chunk errors surface while iterating.
    """
    if len(key) != KEY_SIZE:
        raise ValueError(f"stream keys are {KEY_SIZE} bytes")
    header = _read_exactly(src, HEADER_SIZE)
    if len(header) < PREFIX_SIZE:
        raise FormatError("stream header is truncated")
    magic, version, chunk_size = _PREFIX.unpack(header[:PREFIX_SIZE])
    if magic != STREAM_MAGIC or version != STREAM_VERSION:
        raise UnsupportedVersionError("not a version 1 Redress stream")
    if not CHUNK_SIZE_MIN <= chunk_size <= CHUNK_SIZE_MAX:
        raise FormatError(f"stream chunk size {chunk_size} is out of range")
    if len(header) < HEADER_SIZE:
        raise FormatError("stream header is truncated")
    state = crypto_secretstream_xchacha20poly1305_state()
    crypto_secretstream_xchacha20poly1305_init_pull(state, header[PREFIX_SIZE:], key)
    ad = header[:PREFIX_SIZE] + associated_data(context)
    return _pull_chunks(state, src, ad, chunk_size)


def decrypt_stream_to(key: bytes, src: BinaryIO, dst: BinaryIO, context: FieldContext) -> int:
    """Decrypt ``src`` into ``dst``; return the plaintext size.

    On error ``dst`` holds a partial, authenticated prefix: the caller must discard it.
    """
    size = 0
    for block in decrypt_stream(key, src, context):
        dst.write(block)
        size += len(block)
    return size
