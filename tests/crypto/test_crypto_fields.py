"""Field AEAD and the associated-data encoding."""

from __future__ import annotations

from typing import Any

import pytest
from crypto_support import context_from
from hypothesis import given
from hypothesis import strategies as st

from crypto.errors import FormatError, IntegrityError, UnsupportedVersionError
from crypto.fields import (
    FIELD_VERSION,
    OVERHEAD,
    FieldContext,
    associated_data,
    decrypt_field,
    encrypt_field,
)
from crypto.keys import random_key

KEY = bytes(range(32))
CTX = FieldContext("report", "case-1", "row-1")

texts = st.text(max_size=20)


def test_associated_data_vector(vectors: dict[str, Any]) -> None:
    v = vectors["associated_data"]
    assert associated_data(context_from(v["context"]), v["version"]).hex() == v["hex"]


def test_associated_data_layout() -> None:
    ad = associated_data(FieldContext("p", "cé", ""))
    assert ad == b"redress-ad\x01\x00\x01p\x00\x03c\xc3\xa9\x00\x00"


@given(a=st.tuples(texts.filter(bool), texts, texts), b=st.tuples(texts.filter(bool), texts, texts))
def test_associated_data_is_injective(a: tuple[str, str, str], b: tuple[str, str, str]) -> None:
    # Surrogates cannot be encoded; FieldContext refuses them at UTF-8 encoding time.
    try:
        ctx_a, ctx_b = FieldContext(*a), FieldContext(*b)
    except UnicodeEncodeError:
        return
    assert (associated_data(ctx_a) == associated_data(ctx_b)) == (a == b)


def test_field_vector(vectors: dict[str, Any]) -> None:
    v = vectors["field"]
    got = decrypt_field(
        bytes.fromhex(v["key"]), bytes.fromhex(v["ciphertext"]), context_from(v["context"])
    )
    assert got.hex() == v["plaintext"]


@given(plaintext=st.binary(max_size=2048), purpose=texts.filter(bool), case=texts, row=texts)
def test_round_trip(plaintext: bytes, purpose: str, case: str, row: str) -> None:
    try:
        ctx = FieldContext(purpose, case, row)
    except UnicodeEncodeError:
        return
    ciphertext = encrypt_field(KEY, plaintext, ctx)
    assert ciphertext[0] == FIELD_VERSION
    assert len(ciphertext) == len(plaintext) + OVERHEAD
    assert decrypt_field(KEY, ciphertext, ctx) == plaintext


def test_nonces_are_fresh() -> None:
    assert encrypt_field(KEY, b"x", CTX) != encrypt_field(KEY, b"x", CTX)


def test_empty_ciphertext() -> None:
    with pytest.raises(FormatError):
        decrypt_field(KEY, b"", CTX)


def test_too_short() -> None:
    with pytest.raises(FormatError, match="truncated"):
        decrypt_field(KEY, encrypt_field(KEY, b"", CTX)[:-1], CTX)


def test_unknown_version() -> None:
    ciphertext = encrypt_field(KEY, b"x", CTX)
    with pytest.raises(UnsupportedVersionError):
        decrypt_field(KEY, b"\x02" + ciphertext[1:], CTX)


def test_wrong_key() -> None:
    with pytest.raises(IntegrityError):
        decrypt_field(random_key(), encrypt_field(KEY, b"x", CTX), CTX)


@pytest.mark.parametrize("size", [0, 16, 33])
def test_key_length_checked(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        encrypt_field(bytes(size), b"x", CTX)
    with pytest.raises(ValueError, match="32 bytes"):
        decrypt_field(bytes(size), b"\x01" + bytes(40), CTX)


def test_context_validation() -> None:
    with pytest.raises(ValueError, match="purpose"):
        FieldContext("", "case")
    with pytest.raises(ValueError, match="65535"):
        FieldContext("p", "x" * 65536)
