"""The named list of tamper cases: each must fail with exactly the right CryptoError subclass.

Every envelope is built once below; each case alters it (or the key, context or trust set)
and names the error the reader must see. Nothing tampered may ever decrypt.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass

import pytest
from crypto_support import CHEAP, flip_byte

from crypto.errors import (
    CryptoError,
    FormatError,
    IntegrityError,
    UnknownKeyError,
    UnsupportedVersionError,
    WrongPassphraseError,
)
from crypto.fields import FieldContext, decrypt_field, encrypt_field
from crypto.keys import generate_keypair, random_key, unwrap_private_key, wrap_private_key
from crypto.sealing import open_sealed, seal_to
from crypto.signing import generate_signing_key, key_id, sign, verify
from crypto.streams import CHUNK_OVERHEAD, HEADER_SIZE, decrypt_stream, encrypt_stream

KEY = random_key()
CASE_A = FieldContext("report", "case-A", "row-1")
CASE_B = FieldContext("report", "case-B", "row-1")

# Fields
FIELD = encrypt_field(KEY, b"the report text", CASE_A)

# Sealed keys
ALICE = generate_keypair()
MALLORY = generate_keypair()
GRANT_A = FieldContext("thread-key", "case-A", "caseworker-alice")
GRANT_B = FieldContext("thread-key", "case-B", "caseworker-alice")
SEALED = seal_to(ALICE.public, random_key(), GRANT_A)

# Streams: chunk size 1024, 2.5 KiB of plaintext -> two full chunks and a FINAL of 512 bytes.
CHUNK = 1024
FILE_A = FieldContext("attachment", "case-A", "file-1")


def _encrypt_stream(data: bytes, context: FieldContext = FILE_A) -> bytes:
    out = io.BytesIO()
    encrypt_stream(KEY, io.BytesIO(data), out, context, CHUNK)
    return out.getvalue()


STREAM = _encrypt_stream(bytes(range(256)) * 10)
OTHER_STREAM = _encrypt_stream(bytes(2560))
FULL = CHUNK + CHUNK_OVERHEAD
HEAD = STREAM[:HEADER_SIZE]
C0 = STREAM[HEADER_SIZE : HEADER_SIZE + FULL]
C1 = STREAM[HEADER_SIZE + FULL : HEADER_SIZE + 2 * FULL]
FINAL = STREAM[HEADER_SIZE + 2 * FULL :]

# Wrapped keys
PASSPHRASE = "correct passphrase"
WRAPPED = wrap_private_key(random_key(), PASSPHRASE, CHEAP)

# Signatures
SIGNER = generate_signing_key()
STRANGER = generate_signing_key()
TRUSTED = {key_id(SIGNER.public): SIGNER.public}
MESSAGE = b"directive: suspend updates"
SIGNATURE = sign(MESSAGE, SIGNER)


def field(ciphertext: bytes = FIELD, key: bytes = KEY, ctx: FieldContext = CASE_A) -> object:
    return decrypt_field(key, ciphertext, ctx)


def sealed(blob: bytes = SEALED, recipient: object = ALICE, ctx: FieldContext = GRANT_A) -> object:
    return open_sealed(blob, recipient, ctx)  # type: ignore[arg-type]


def stream(blob: bytes = STREAM, key: bytes = KEY, ctx: FieldContext = FILE_A) -> object:
    return b"".join(decrypt_stream(key, io.BytesIO(blob), ctx))


def unwrap(blob: bytes = WRAPPED, passphrase: str = PASSPHRASE) -> object:
    return unwrap_private_key(blob, passphrase)


def check(
    message: bytes = MESSAGE, signature: bytes = SIGNATURE, trusted: dict[str, bytes] = TRUSTED
) -> object:
    return verify(message, signature, trusted)


@dataclass(frozen=True)
class Tamper:
    name: str
    attempt: Callable[[], object]
    error: type[CryptoError]


def _flips(
    prefix: str,
    reader: Callable[[bytes], object],
    blob: bytes,
    positions: dict[str, int],
    error: type[CryptoError],
) -> list[Tamper]:
    def attempt(index: int) -> Callable[[], object]:
        return lambda: reader(flip_byte(blob, index))

    return [
        Tamper(f"{prefix}-flip-{where}", attempt(index), error)
        for where, index in positions.items()
    ]


TAMPER_CASES: list[Tamper] = [
    # --- fields ---
    Tamper("field-flip-version", lambda: field(flip_byte(FIELD, 0)), UnsupportedVersionError),
    *_flips(
        "field",
        lambda b: field(b),
        FIELD,
        {"nonce-first": 1, "nonce-last": 24, "body-first": 25, "tag-first": -16, "tag-last": -1},
        IntegrityError,
    ),
    Tamper("field-wrong-version-byte", lambda: field(b"\x02" + FIELD[1:]), UnsupportedVersionError),
    Tamper("field-truncated-tag", lambda: field(FIELD[:-1]), IntegrityError),
    Tamper("field-shorter-than-overhead", lambda: field(FIELD[:40]), FormatError),
    Tamper("field-extended", lambda: field(FIELD + b"\0"), IntegrityError),
    Tamper("field-wrong-key", lambda: field(key=random_key()), IntegrityError),
    Tamper(
        "field-wrong-purpose",
        lambda: field(ctx=FieldContext("message", "case-A", "row-1")),
        IntegrityError,
    ),
    Tamper(
        "field-wrong-record-id",
        lambda: field(ctx=FieldContext("report", "case-A", "row-2")),
        IntegrityError,
    ),
    Tamper("field-swapped-between-cases", lambda: field(ctx=CASE_B), IntegrityError),
    # --- sealed keys ---
    Tamper("sealed-flip-version", lambda: sealed(flip_byte(SEALED, 0)), UnsupportedVersionError),
    *_flips(
        "sealed",
        lambda b: sealed(b),
        SEALED,
        {"ephemeral-key": 1, "body": 40, "tag": -1},
        IntegrityError,
    ),
    Tamper("sealed-truncated", lambda: sealed(SEALED[:-1]), IntegrityError),
    Tamper("sealed-swapped-between-cases", lambda: sealed(ctx=GRANT_B), IntegrityError),
    Tamper(
        "sealed-wrong-purpose",
        lambda: sealed(ctx=FieldContext("internal-key", "case-A", "caseworker-alice")),
        IntegrityError,
    ),
    Tamper("sealed-wrong-recipient", lambda: sealed(recipient=MALLORY), IntegrityError),
    Tamper(
        "sealed-resealed-by-attacker-for-other-case",
        lambda: sealed(seal_to(ALICE.public, random_key(), GRANT_B)),
        IntegrityError,
    ),
    # --- streams: header ---
    Tamper("stream-flip-magic", lambda: stream(flip_byte(STREAM, 0)), UnsupportedVersionError),
    Tamper("stream-flip-version", lambda: stream(flip_byte(STREAM, 3)), UnsupportedVersionError),
    Tamper(
        "stream-flip-chunk-size-out-of-range", lambda: stream(flip_byte(STREAM, 4)), FormatError
    ),
    *_flips(
        "stream",
        stream,
        STREAM,
        {
            "chunk-size-in-range": 6,
            "secretstream-header-first": 8,
            "secretstream-header-last": HEADER_SIZE - 1,
            "first-chunk-body": HEADER_SIZE + 1,
            "first-chunk-tag": HEADER_SIZE + FULL - 1,
            "middle-chunk-body": HEADER_SIZE + FULL + 100,
            "final-chunk-body": HEADER_SIZE + 2 * FULL + 5,
            "final-chunk-tag": -1,
        },
        IntegrityError,
    ),
    # --- streams: framing ---
    Tamper("stream-header-only", lambda: stream(HEAD), IntegrityError),
    Tamper("stream-header-cut", lambda: stream(HEAD[:20]), FormatError),
    Tamper("stream-cut-mid-chunk", lambda: stream(HEAD + C0[:500]), IntegrityError),
    Tamper("stream-cut-at-chunk-boundary", lambda: stream(HEAD + C0 + C1), IntegrityError),
    Tamper("stream-cut-after-first-chunk", lambda: stream(HEAD + C0), IntegrityError),
    Tamper("stream-cut-inside-final", lambda: stream(STREAM[:-1]), IntegrityError),
    Tamper("stream-cut-to-tiny-final", lambda: stream(HEAD + C0 + C1 + FINAL[:10]), IntegrityError),
    Tamper("stream-dropped-chunk", lambda: stream(HEAD + C0 + FINAL), IntegrityError),
    Tamper("stream-dropped-first-chunk", lambda: stream(HEAD + C1 + FINAL), IntegrityError),
    Tamper("stream-reordered-chunks", lambda: stream(HEAD + C1 + C0 + FINAL), IntegrityError),
    Tamper("stream-duplicated-chunk", lambda: stream(HEAD + C0 + C0 + C1 + FINAL), IntegrityError),
    Tamper("stream-trailing-garbage", lambda: stream(STREAM + b"\0"), IntegrityError),
    Tamper("stream-final-repeated", lambda: stream(STREAM + FINAL), IntegrityError),
    Tamper(
        "stream-chunk-from-other-stream",
        lambda: stream(HEAD + OTHER_STREAM[HEADER_SIZE : HEADER_SIZE + FULL] + C1 + FINAL),
        IntegrityError,
    ),
    Tamper(
        "stream-header-from-other-stream",
        lambda: stream(OTHER_STREAM[:HEADER_SIZE] + C0 + C1 + FINAL),
        IntegrityError,
    ),
    Tamper("stream-wrong-key", lambda: stream(key=random_key()), IntegrityError),
    Tamper(
        "stream-wrong-purpose",
        lambda: stream(ctx=FieldContext("attachment-name", "case-A", "file-1")),
        IntegrityError,
    ),
    Tamper(
        "stream-wrong-record-id",
        lambda: stream(ctx=FieldContext("attachment", "case-A", "file-2")),
        IntegrityError,
    ),
    Tamper(
        "stream-swapped-between-cases",
        lambda: stream(ctx=FieldContext("attachment", "case-B", "file-1")),
        IntegrityError,
    ),
    # --- passphrase-wrapped keys ---
    Tamper("wrap-wrong-passphrase", lambda: unwrap(passphrase="wrong"), WrongPassphraseError),
    Tamper("wrap-flip-magic", lambda: unwrap(flip_byte(WRAPPED, 0)), UnsupportedVersionError),
    Tamper(
        "wrap-wrong-version-byte", lambda: unwrap(flip_byte(WRAPPED, 4)), UnsupportedVersionError
    ),
    Tamper("wrap-flip-opslimit-high-byte", lambda: unwrap(flip_byte(WRAPPED, 5)), FormatError),
    Tamper("wrap-flip-opslimit-low-byte", lambda: unwrap(flip_byte(WRAPPED, 8)), FormatError),
    Tamper("wrap-flip-memlimit-high-byte", lambda: unwrap(flip_byte(WRAPPED, 9)), FormatError),
    *_flips(
        "wrap",
        lambda b: unwrap(b),
        WRAPPED,
        {"memlimit-in-range": 12, "salt": 13, "nonce": 29, "body": 53, "tag": -1},
        WrongPassphraseError,
    ),
    Tamper("wrap-truncated", lambda: unwrap(WRAPPED[:-1]), FormatError),
    # --- signatures ---
    Tamper("signature-altered-message", lambda: check(message=MESSAGE + b"!"), IntegrityError),
    Tamper(
        "signature-by-untrusted-key",
        lambda: check(signature=sign(MESSAGE, STRANGER)),
        UnknownKeyError,
    ),
    Tamper(
        "signature-flip-version",
        lambda: check(signature=flip_byte(SIGNATURE, 0)),
        UnsupportedVersionError,
    ),
    Tamper(
        "signature-flip-key-id", lambda: check(signature=flip_byte(SIGNATURE, 1)), UnknownKeyError
    ),
    Tamper(
        "signature-flip-signature",
        lambda: check(signature=flip_byte(SIGNATURE, -1)),
        IntegrityError,
    ),
    Tamper("signature-truncated", lambda: check(signature=SIGNATURE[:-1]), FormatError),
    Tamper("signature-empty-trust-set", lambda: check(trusted={}), UnknownKeyError),
]


def test_names_are_unique() -> None:
    names = [case.name for case in TAMPER_CASES]
    assert len(names) == len(set(names))


@pytest.mark.parametrize("case", TAMPER_CASES, ids=lambda case: case.name)
def test_tamper_is_refused(case: Tamper) -> None:
    with pytest.raises(CryptoError) as info:
        case.attempt()
    assert type(info.value) is case.error, f"{case.name}: got {info.type.__name__}"


def test_stream_split_into_chunks() -> None:
    assert HEAD + C0 + C1 + FINAL == STREAM
    assert len(FINAL) == 512 + CHUNK_OVERHEAD


def test_untampered_envelopes_are_accepted() -> None:
    # Guards against a case that fails for an unrelated reason: the originals must work.
    field()
    sealed()
    assert stream() == bytes(range(256)) * 10
    unwrap()
    check()


def test_flip_byte() -> None:
    assert flip_byte(b"\x00\x0f", 1) == b"\x00\xf0"
    assert flip_byte(b"\x00\x0f", -2) == b"\xff\x0f"
