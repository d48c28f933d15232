"""Login password hashes."""

from __future__ import annotations

import unicodedata
from typing import Any

import pytest
from argon2 import extract_parameters
from crypto_support import CHEAP

from crypto.params import KDF_PARAMS
from crypto.passwords import DUMMY_HASH, hash_password, verify_password


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["password"]
    assert verify_password(v["encoded"], v["password"])
    assert not verify_password(v["encoded"], v["password"] + "x")


def test_round_trip_and_format() -> None:
    encoded = hash_password("s3cret", CHEAP)
    assert encoded.startswith("$argon2id$v=19$m=8,t=1,p=1$")
    assert verify_password(encoded, "s3cret")
    assert not verify_password(encoded, "S3cret")


def test_unicode_normalised() -> None:
    nfc = "caf\u00e9"
    encoded = hash_password(nfc, CHEAP)
    assert verify_password(encoded, unicodedata.normalize("NFD", nfc))


@pytest.mark.parametrize(
    "encoded",
    ["", "plaintext", "$argon2id$v=19$m=8,t=1,p=1$bad", "$2b$12$abcdefghijklmnopqrstuv"],
    ids=["empty", "plain", "truncated", "bcrypt"],
)
def test_malformed_hash_is_false(encoded: str) -> None:
    assert verify_password(encoded, "x") is False


def test_surrogate_password_is_false() -> None:
    assert verify_password(hash_password("x", CHEAP), "\ud800") is False


def test_unknown_account_is_false() -> None:
    assert verify_password(None, "anything") is False


def test_dummy_hash_costs_the_same_as_production() -> None:
    params = extract_parameters(DUMMY_HASH)
    assert params.time_cost == KDF_PARAMS.opslimit
    assert params.memory_cost == KDF_PARAMS.memlimit // 1024
    assert params.parallelism == 1


def test_default_params_are_production() -> None:
    params = extract_parameters(hash_password("x"))
    assert params.time_cost == KDF_PARAMS.opslimit
    assert params.memory_cost == KDF_PARAMS.memlimit // 1024
