"""X25519 key pairs, random keys and passphrase-wrapped private keys."""

from __future__ import annotations

import struct
import unicodedata
from typing import Any

import pytest
from crypto_support import CHEAP
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import FormatError, UnsupportedVersionError, WrongPassphraseError
from crypto.keys import (
    KEY_SIZE,
    WRAPPED_KEY_SIZE,
    KeyPair,
    generate_keypair,
    keypair_from_private,
    keypair_from_seed,
    random_key,
    unwrap_private_key,
    wrap_private_key,
)
from crypto.params import KdfParams


def test_generate_and_rebuild() -> None:
    pair = generate_keypair()
    assert keypair_from_private(pair.private) == pair


def test_seed_is_deterministic() -> None:
    seed = bytes(range(32))
    assert keypair_from_seed(seed) == keypair_from_seed(seed)
    assert keypair_from_seed(seed) != keypair_from_seed(bytes(32))


def test_repr_hides_private() -> None:
    pair = generate_keypair()
    assert pair.private.hex() not in repr(pair)
    assert pair.public.hex() in repr(pair)


@pytest.mark.parametrize("size", [0, 31, 33])
def test_lengths_checked(size: int) -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        KeyPair(public=bytes(size), private=bytes(32))
    with pytest.raises(ValueError, match="32 bytes"):
        keypair_from_private(bytes(size))
    with pytest.raises(ValueError, match="32 bytes"):
        keypair_from_seed(bytes(size))


def test_random_key() -> None:
    assert len(random_key()) == KEY_SIZE
    assert random_key() != random_key()


def test_wrap_vector(vectors: dict[str, Any]) -> None:
    v = vectors["wrap"]
    wrapped = bytes.fromhex(v["wrapped"])
    assert len(wrapped) == WRAPPED_KEY_SIZE
    assert unwrap_private_key(wrapped, v["passphrase"]).hex() == v["private"]
    # NFD spelling of the same passphrase unwraps too.
    nfd = unicodedata.normalize("NFD", v["passphrase"])
    assert nfd != v["passphrase"]
    assert unwrap_private_key(wrapped, nfd).hex() == v["private"]


@settings(max_examples=15, deadline=None)
@given(private=st.binary(min_size=32, max_size=32), passphrase=st.text(max_size=40))
def test_wrap_round_trip(private: bytes, passphrase: str) -> None:
    wrapped = wrap_private_key(private, passphrase, CHEAP)
    assert len(wrapped) == WRAPPED_KEY_SIZE
    assert unwrap_private_key(wrapped, passphrase) == private


def test_wrap_is_randomised() -> None:
    private = random_key()
    assert wrap_private_key(private, "p", CHEAP) != wrap_private_key(private, "p", CHEAP)


def test_header_records_params() -> None:
    wrapped = wrap_private_key(random_key(), "p", KdfParams(2, 16384))
    assert wrapped[:5] == b"RDWK\x01"
    assert struct.unpack(">II", wrapped[5:13]) == (2, 16384)


def _with_params(wrapped: bytes, opslimit: int, memlimit: int) -> bytes:
    return wrapped[:5] + struct.pack(">II", opslimit, memlimit) + wrapped[13:]


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [(21, 8192), (1, 1024 * 1024 * 1024 + 1), (0, 8192), (1, 100)],
    ids=["ops-absurd", "mem-absurd", "ops-zero", "mem-tiny"],
)
def test_unwrap_refuses_bad_params(opslimit: int, memlimit: int) -> None:
    wrapped = wrap_private_key(random_key(), "p", CHEAP)
    with pytest.raises(FormatError):
        unwrap_private_key(_with_params(wrapped, opslimit, memlimit), "p")


def test_unwrap_wrong_passphrase() -> None:
    wrapped = wrap_private_key(random_key(), "right", CHEAP)
    with pytest.raises(WrongPassphraseError):
        unwrap_private_key(wrapped, "wrong")


@pytest.mark.parametrize(
    "mutate",
    [lambda w: w[:-1], lambda w: w + b"\0", lambda w: b""],
    ids=["short", "long", "empty"],
)
def test_unwrap_bad_length(mutate: Any) -> None:
    wrapped = wrap_private_key(random_key(), "p", CHEAP)
    with pytest.raises(FormatError):
        unwrap_private_key(mutate(wrapped), "p")


def test_unwrap_bad_magic() -> None:
    wrapped = wrap_private_key(random_key(), "p", CHEAP)
    with pytest.raises(UnsupportedVersionError):
        unwrap_private_key(b"XXXX" + wrapped[4:], "p")


def test_wrap_refuses_params_unwrap_would_refuse() -> None:
    with pytest.raises(ValueError, match="exceed"):
        wrap_private_key(random_key(), "p", KdfParams(21, 8192))
