"""Shared helpers for the crypto/ tests: cheap KDF cost, vectors, tamper helpers.

Named ``crypto_support`` (not ``support``) and imported by basename: tests/crypto has no
``__init__.py`` on purpose, because a package called ``crypto`` here would shadow the real one.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from crypto.fields import FieldContext
from crypto.params import KdfParams

CHEAP = KdfParams(opslimit=1, memlimit=8192)
VECTORS_PATH = Path(__file__).resolve().parents[1] / "data" / "crypto_vectors.json"


def load_vectors() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(VECTORS_PATH.read_text(encoding="utf-8"))
    return data


def context_from(data: dict[str, str]) -> FieldContext:
    return FieldContext(data["purpose"], data["case_id"], data["record_id"])


def flip_byte(data: bytes, index: int) -> bytes:
    """Return ``data`` with every bit of the byte at ``index`` (negative allowed) inverted."""
    out = bytearray(data)
    out[index] ^= 0xFF
    return bytes(out)
