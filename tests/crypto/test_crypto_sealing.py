"""Secrets sealed to a recipient and bound to a context."""

from __future__ import annotations

from typing import Any

import pytest
from crypto_support import context_from
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import FormatError, IntegrityError, UnsupportedVersionError
from crypto.fields import FieldContext
from crypto.keys import generate_keypair, keypair_from_private
from crypto.sealing import SEAL_OVERHEAD, open_sealed, seal_to

RECIPIENT = generate_keypair()
CTX = FieldContext("thread-key", "case-1", "caseworker-1")


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["sealed"]
    recipient = keypair_from_private(bytes.fromhex(v["recipient_private"]))
    assert recipient.public.hex() == v["recipient_public"]
    got = open_sealed(bytes.fromhex(v["sealed"]), recipient, context_from(v["context"]))
    assert got.hex() == v["secret"]


@settings(max_examples=50)
@given(secret=st.binary(max_size=200), case=st.text(max_size=10).filter(str.isprintable))
def test_round_trip(secret: bytes, case: str) -> None:
    ctx = FieldContext("totp-secret", case, "user-1")
    sealed = seal_to(RECIPIENT.public, secret, ctx)
    assert len(sealed) == len(secret) + SEAL_OVERHEAD
    assert open_sealed(sealed, RECIPIENT, ctx) == secret


def test_sealing_is_randomised() -> None:
    assert seal_to(RECIPIENT.public, b"k", CTX) != seal_to(RECIPIENT.public, b"k", CTX)


def test_bad_recipient_length() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        seal_to(bytes(31), b"k", CTX)


def test_empty_and_short() -> None:
    with pytest.raises(FormatError):
        open_sealed(b"", RECIPIENT, CTX)
    with pytest.raises(FormatError, match="truncated"):
        open_sealed(seal_to(RECIPIENT.public, b"", CTX)[:-1], RECIPIENT, CTX)


def test_unknown_version() -> None:
    sealed = seal_to(RECIPIENT.public, b"k", CTX)
    with pytest.raises(UnsupportedVersionError):
        open_sealed(b"\x00" + sealed[1:], RECIPIENT, CTX)


def test_wrong_context_is_integrity_error() -> None:
    sealed = seal_to(RECIPIENT.public, b"k", CTX)
    with pytest.raises(IntegrityError, match="context"):
        open_sealed(sealed, RECIPIENT, FieldContext("internal-key", "case-1", "caseworker-1"))
