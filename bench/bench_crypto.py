"""Cost of Redress's cryptography, each beside the raw libsodium operation it wraps.

The baselines call PyNaCl's bindings directly. Only crypto/ may use PyNaCl in the product; the
benchmark imports it solely to measure the same primitive without Redress's framing, so the
ratio shows what the envelope, associated data and Python layering cost.
"""

from __future__ import annotations

import io
import os
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import BinaryIO

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_aead_xchacha20poly1305_ietf_NPUBBYTES,
    crypto_secretstream_xchacha20poly1305_init_pull,
    crypto_secretstream_xchacha20poly1305_init_push,
    crypto_secretstream_xchacha20poly1305_pull,
    crypto_secretstream_xchacha20poly1305_push,
    crypto_secretstream_xchacha20poly1305_state,
    crypto_secretstream_xchacha20poly1305_TAG_FINAL,
    crypto_secretstream_xchacha20poly1305_TAG_MESSAGE,
)
from nacl.utils import random

from bench.harness import Result, Settings, compared, median_time, size_label
from crypto.fields import FieldContext, associated_data, decrypt_field, encrypt_field
from crypto.keys import random_key
from crypto.params import KDF_PARAMS, RECEIPT_KDF_PARAMS, KdfParams
from crypto.passwords import hash_password
from crypto.receipts import derive_reporter_keys, new_receipt, normalise_receipt
from crypto.streams import STREAM_CHUNK_SIZE, StreamEncryptor, decrypt_stream

KIB, MIB = 1024, 1024 * 1024
MB = 1_000_000  # throughput is reported in decimal megabytes per second
REPORT_SIZE = 4 * KIB


@dataclass(frozen=True)
class Sizes:
    field_rounds: int  # encrypt+decrypt pairs per timing
    field_repeat: int
    stream_size: int
    write_size: int
    stream_repeat: int
    kdf_repeat: int  # Argon2 always runs at its production cost


FULL = Sizes(
    field_rounds=5000,
    field_repeat=7,
    stream_size=256 * MIB,
    write_size=1 * MIB,
    stream_repeat=3,
    kdf_repeat=5,
)
SMOKE = Sizes(
    field_rounds=10,
    field_repeat=1,
    stream_size=256 * KIB,
    write_size=64 * KIB,
    stream_repeat=1,
    kdf_repeat=1,
)
CONTEXT = FieldContext("report", "2f1c6a0e-bench-case", "")
# Stand-in associated data for the baselines, as long as Redress's own for CONTEXT (streams
# prefix it with their 8-byte header).
BASELINE_FIELD_AD = bytes(len(associated_data(CONTEXT)))
BASELINE_STREAM_AD = bytes(8 + len(BASELINE_FIELD_AD))


def _fields(sizes: Sizes) -> Result:
    key, report = random_key(), os.urandom(REPORT_SIZE)
    rounds = sizes.field_rounds

    def redress() -> None:
        for _ in range(rounds):
            decrypt_field(key, encrypt_field(key, report, CONTEXT), CONTEXT)

    def raw() -> None:
        for _ in range(rounds):
            nonce = random(crypto_aead_xchacha20poly1305_ietf_NPUBBYTES)
            sealed = crypto_aead_xchacha20poly1305_ietf_encrypt(
                report, BASELINE_FIELD_AD, nonce, key
            )
            crypto_aead_xchacha20poly1305_ietf_decrypt(sealed, BASELINE_FIELD_AD, nonce, key)

    return compared(
        f"field encrypt+decrypt, {size_label(REPORT_SIZE)} report",
        rounds / median_time(redress, repeat=sizes.field_repeat),
        "ops/s",
        rounds / median_time(raw, repeat=sizes.field_repeat),
    )


def _redress_encrypt(key: bytes, write: bytes, writes: int, dst: BinaryIO) -> None:
    encryptor = StreamEncryptor(key, dst, CONTEXT)
    for _ in range(writes):
        encryptor.write(write)
    encryptor.finish()


def _raw_push(key: bytes, blocks: list[bytes], emit: Callable[[bytes], object]) -> None:
    """Secretstream-encrypt ``blocks`` of plaintext (the last one FINAL), emitting each piece."""
    state = crypto_secretstream_xchacha20poly1305_state()
    emit(crypto_secretstream_xchacha20poly1305_init_push(state, key))
    last = len(blocks) - 1
    for index, block in enumerate(blocks):
        tag = (
            crypto_secretstream_xchacha20poly1305_TAG_FINAL
            if index == last
            else crypto_secretstream_xchacha20poly1305_TAG_MESSAGE
        )
        emit(crypto_secretstream_xchacha20poly1305_push(state, block, BASELINE_STREAM_AD, tag))


def _raw_pull(key: bytes, chunks: list[bytes]) -> Iterator[bytes]:
    state = crypto_secretstream_xchacha20poly1305_state()
    crypto_secretstream_xchacha20poly1305_init_pull(state, chunks[0], key)
    for chunk in chunks[1:]:
        yield crypto_secretstream_xchacha20poly1305_pull(state, chunk, BASELINE_STREAM_AD)[0]


def _streams(sizes: Sizes) -> list[Result]:
    key = random_key()
    write = os.urandom(sizes.write_size)
    writes = sizes.stream_size // sizes.write_size
    repeat = sizes.stream_repeat
    # The baseline pushes the chunks Redress puts on the wire (STREAM_CHUNK_SIZE), not the
    # writes, so both do the same number of libsodium calls.
    blocks = [write[i : i + STREAM_CHUNK_SIZE] for i in range(0, len(write), STREAM_CHUNK_SIZE)]
    raw_blocks = blocks * writes

    with open(os.devnull, "wb") as discard:
        encrypt = median_time(lambda: _redress_encrypt(key, write, writes, discard), repeat=repeat)
        raw_encrypt = median_time(lambda: _raw_push(key, raw_blocks, discard.write), repeat=repeat)
    raw_chunks: list[bytes] = []
    _raw_push(key, raw_blocks, raw_chunks.append)

    stored = io.BytesIO()
    _redress_encrypt(key, write, writes, stored)

    def redress_decrypt() -> None:
        stored.seek(0)
        for _ in decrypt_stream(key, stored, CONTEXT):
            pass

    def raw_decrypt() -> None:
        for _ in _raw_pull(key, raw_chunks):
            pass

    decrypt = median_time(redress_decrypt, repeat=repeat)
    raw_decrypt_time = median_time(raw_decrypt, repeat=repeat)
    rate = sizes.stream_size / MB
    stream = size_label(sizes.stream_size)
    return [
        compared(
            f"StreamEncryptor, {stream} in {size_label(sizes.write_size)} writes",
            rate / encrypt,
            "MB/s",
            rate / raw_encrypt,
        ),
        compared(f"decrypt_stream, {stream}", rate / decrypt, "MB/s", rate / raw_decrypt_time),
    ]


def _kdf(sizes: Sizes) -> list[Result]:
    normalised = normalise_receipt(new_receipt())
    salt = os.urandom(16)  # receipt salts are 16 bytes
    repeat = sizes.kdf_repeat
    derive = median_time(
        lambda: derive_reporter_keys(normalised, salt, RECEIPT_KDF_PARAMS), repeat=repeat
    )
    hashing = median_time(lambda: hash_password("correct horse battery staple"), repeat=repeat)
    return [
        Result(f"receipt key derivation ({_cost(RECEIPT_KDF_PARAMS)})", derive * 1000, "ms"),
        Result(f"password hash ({_cost(KDF_PARAMS)})", hashing * 1000, "ms"),
    ]


def _cost(params: KdfParams) -> str:
    return f"Argon2id t={params.opslimit}, {params.memlimit // MIB} MiB"


def run(settings: Settings) -> Iterator[Result]:
    """Measure fields, streams and key derivation (each yielded once measured)."""
    sizes = settings.sizes(FULL, SMOKE)
    yield _fields(sizes)
    yield from _streams(sizes)
    yield from _kdf(sizes)
