"""Versioned records sealed under a key: the one pair of functions every encrypted JSON passes.

A record is a JSON object that carries its format version beside its fields (``{"format": 1,
...}``), encrypted with XChaCha20-Poly1305 under a case key and bound to its place by the context
(:mod:`redress.keys.contexts`). Reports, identities, messages, file metadata, triage, notes,
tasks, disclosure reasons and interim measures are all written by :func:`seal_record` and read by
:func:`open_record` (docs/crypto-format.md, "Sealed records").

Who can read a record is decided by the key it is sealed under (:mod:`redress.keys.casekeys`).
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from crypto.errors import CryptoError
from crypto.fields import FieldContext, decrypt_field, encrypt_field

FORMAT = 1
_VERSION = "format"


class UnreadableRecordError(Exception):
    """The record failed its integrity check, is not a JSON object, or has an unknown format."""


def seal_record(key: bytes, fields: Mapping[str, Any], context: FieldContext) -> bytes:
    """The record's fields and format version as JSON, encrypted under `key` for `context`."""
    if _VERSION in fields:
        raise ValueError(f"{_VERSION!r} is the record's version, not a field")
    payload = json.dumps({_VERSION: FORMAT, **fields}, ensure_ascii=False).encode()
    return encrypt_field(key, payload, context)


def open_record(key: bytes, ciphertext: bytes, context: FieldContext) -> dict[str, Any]:
    """The fields of a record sealed by :func:`seal_record`; UnreadableRecordError otherwise."""
    try:
        plaintext = decrypt_field(key, ciphertext, context)
    except CryptoError:
        raise UnreadableRecordError("failed its integrity check") from None
    return read_record(plaintext)


def read_record(plaintext: bytes) -> dict[str, Any]:
    """The fields of a decrypted record (as a case export holds it); UnreadableRecordError
    unless it is a JSON object of a known format."""
    try:
        data = json.loads(plaintext)
    except ValueError:
        raise UnreadableRecordError("not JSON") from None
    if not isinstance(data, dict) or data.pop(_VERSION, None) != FORMAT:
        raise UnreadableRecordError("not a record of a known format")
    return data
