"""Ed25519 signature envelopes and key ids."""

from __future__ import annotations

from typing import Any

import pytest

from crypto.errors import FormatError, UnknownKeyError, UnsupportedVersionError
from crypto.signing import (
    SIGNATURE_SIZE,
    SigningKeyPair,
    generate_signing_key,
    key_id,
    sign,
    signing_key_from_seed,
    verify,
)

KEY = generate_signing_key()
TRUSTED = {key_id(KEY.public): KEY.public}


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["signature"]
    key = signing_key_from_seed(bytes.fromhex(v["seed"]))
    assert key.public.hex() == v["public"]
    assert key_id(key.public) == v["key_id"]
    message = bytes.fromhex(v["message"])
    # Ed25519 is deterministic, so the signature itself is a known answer.
    assert sign(message, key).hex() == v["signature"]
    assert verify(message, bytes.fromhex(v["signature"]), {v["key_id"]: key.public}) == v["key_id"]


def test_round_trip() -> None:
    signature = sign(b"directive", KEY)
    assert len(signature) == SIGNATURE_SIZE
    assert verify(b"directive", signature, TRUSTED) == key_id(KEY.public)


def test_key_id_shape() -> None:
    kid = key_id(KEY.public)
    assert len(kid) == 16
    assert kid == kid.lower()
    int(kid, 16)


def test_repr_hides_seed() -> None:
    assert KEY.seed.hex() not in repr(KEY)


def test_lengths_checked() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        SigningKeyPair(seed=bytes(31), public=bytes(32))
    with pytest.raises(ValueError, match="32 bytes"):
        signing_key_from_seed(bytes(33))
    with pytest.raises(ValueError, match="32 bytes"):
        key_id(bytes(31))


def test_malformed() -> None:
    signature = sign(b"m", KEY)
    with pytest.raises(FormatError):
        verify(b"m", b"", TRUSTED)
    with pytest.raises(FormatError):
        verify(b"m", signature[:-1], TRUSTED)
    with pytest.raises(UnsupportedVersionError):
        verify(b"m", b"\x02" + signature[1:], TRUSTED)


def test_mislabelled_trust_table_is_not_trusted() -> None:
    other = generate_signing_key()
    with pytest.raises(UnknownKeyError):
        verify(b"m", sign(b"m", KEY), {key_id(KEY.public): other.public})
