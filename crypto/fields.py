"""Encrypted database fields: XChaCha20-Poly1305-IETF bound to what and where they are.

Field envelope (version 1)::

    version(1) = 0x01 | nonce(24) | ciphertext | tag(16)

The associated data is :func:`associated_data` of the field's :class:`FieldContext`, so a
ciphertext moved to another purpose, case or row (or relabelled with another version) fails
to decrypt.

Associated-data encoding (version 1)::

    b"redress-ad" | version u8 | len(purpose) u16be | purpose | len(case_id) u16be | case_id
                              | len(record_id) u16be | record_id

where every string is UTF-8 (no normalisation) and at most 65535 bytes.
"""

from __future__ import annotations

import struct
from dataclasses import dataclass

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
)
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.utils import random

from crypto.errors import FormatError, IntegrityError, UnsupportedVersionError

FIELD_VERSION = 1
AD_DOMAIN = b"redress-ad"
KEY_SIZE = 32
NONCE_SIZE = 24
TAG_SIZE = 16
OVERHEAD = 1 + NONCE_SIZE + TAG_SIZE
_COMPONENT_MAX = 0xFFFF


@dataclass(frozen=True)
class FieldContext:
    """What a ciphertext is (``purpose``), which case it belongs to, and which row holds it."""

    purpose: str
    case_id: str
    record_id: str = ""

    def __post_init__(self) -> None:
        if not self.purpose:
            raise ValueError("purpose must not be empty")
        for value in (self.purpose, self.case_id, self.record_id):
            if len(value.encode("utf-8")) > _COMPONENT_MAX:
                raise ValueError("context components are at most 65535 UTF-8 bytes")


def associated_data(context: FieldContext, version: int = FIELD_VERSION) -> bytes:
    """Return the canonical associated-data bytes for ``context`` (see the module docstring)."""
    if not 0 <= version <= 0xFF:
        raise ValueError("version is one byte")
    out = bytearray(AD_DOMAIN)
    out.append(version)
    for value in (context.purpose, context.case_id, context.record_id):
        raw = value.encode("utf-8")
        out += struct.pack(">H", len(raw)) + raw
    return bytes(out)


def _check_key(key: bytes) -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"field keys are {KEY_SIZE} bytes")


def encrypt_field(key: bytes, plaintext: bytes, context: FieldContext) -> bytes:
    """Encrypt one field value under a symmetric key.

    Who can decrypt: holders of ``key`` (for case content, the case's thread or internal key,
    itself sealed to the reporter, granted caseworkers and the recovery key).
    """
    _check_key(key)
    nonce = random(NONCE_SIZE)
    ad = associated_data(context, FIELD_VERSION)
    body = crypto_aead_xchacha20poly1305_ietf_encrypt(bytes(plaintext), ad, nonce, key)
    return bytes([FIELD_VERSION]) + nonce + body


def decrypt_field(key: bytes, ciphertext: bytes, context: FieldContext) -> bytes:
    """Decrypt a value made by :func:`encrypt_field` under the same key and context."""
    _check_key(key)
    if not ciphertext:
        raise FormatError("empty field ciphertext")
    if ciphertext[0] != FIELD_VERSION:
        raise UnsupportedVersionError(f"unsupported field version {ciphertext[0]}")
    if len(ciphertext) < OVERHEAD:
        raise FormatError("field ciphertext is truncated")
    nonce = bytes(ciphertext[1 : 1 + NONCE_SIZE])
    ad = associated_data(context, FIELD_VERSION)
    try:
        plaintext = crypto_aead_xchacha20poly1305_ietf_decrypt(
            bytes(ciphertext[1 + NONCE_SIZE :]), ad, nonce, key
        )
    except NaclCryptoError:
        raise IntegrityError("field failed authentication") from None
    return plaintext
