"""SLIP-39 split of the organisation recovery key."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from crypto.errors import RecoveryShareError
from crypto.keys import generate_keypair, keypair_from_private
from crypto.recovery import combine_recovery_shares, split_recovery_key

PAIR = generate_keypair()


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["recovery"]
    shares = v["shares"]
    for subset in itertools.combinations(shares, v["threshold"]):
        assert combine_recovery_shares(subset).public.hex() == v["public"]
    assert keypair_from_private(bytes.fromhex(v["private"])).public.hex() == v["public"]


@settings(max_examples=8, deadline=None)
@given(data=st.data(), private=st.binary(min_size=32, max_size=32))
def test_round_trip(data: st.DataObject, private: bytes) -> None:
    share_count = data.draw(st.integers(1, 6))
    threshold = 1 if share_count == 1 else data.draw(st.integers(2, share_count))
    shares = split_recovery_key(private, threshold, share_count)
    assert len(shares) == share_count
    chosen = data.draw(st.permutations(shares))[:threshold]
    assert combine_recovery_shares(chosen).private == private


def test_passphrase() -> None:
    shares = split_recovery_key(PAIR.private, 2, 3, passphrase=b"trustees")
    assert combine_recovery_shares(shares[:2], passphrase=b"trustees") == PAIR
    # SLIP-39 by design: a wrong passphrase gives another key, not an error.
    assert combine_recovery_shares(shares[:2], passphrase=b"wrong") != PAIR


def test_shares_tolerate_case_and_spacing() -> None:
    shares = split_recovery_key(PAIR.private, 2, 2)
    messy = ["  " + share.upper().replace(" ", "   ") + "\n" for share in shares]
    assert combine_recovery_shares(messy) == PAIR


@pytest.mark.parametrize(
    ("threshold", "share_count"),
    [(0, 3), (4, 3), (1, 3), (2, 17), (17, 17)],
    ids=["zero-threshold", "threshold-above-count", "one-of-many", "too-many", "too-many-both"],
)
def test_bad_parameters(threshold: int, share_count: int) -> None:
    with pytest.raises(ValueError, match="threshold|SLIP-39"):
        split_recovery_key(PAIR.private, threshold, share_count)


def test_bad_inputs() -> None:
    with pytest.raises(ValueError, match="32 bytes"):
        split_recovery_key(bytes(16), 2, 3)
    with pytest.raises(ValueError, match="printable ASCII"):
        split_recovery_key(PAIR.private, 2, 3, passphrase="é".encode())


def _other_split() -> list[str]:
    return split_recovery_key(generate_keypair().private, 2, 3)


@pytest.mark.parametrize(
    "make_shares",
    [
        lambda s: s[:1],
        lambda s: [],
        lambda s: [s[0], s[0]],
        lambda s: [s[0], _other_split()[1]],
        lambda s: [s[0], s[1].replace(s[1].split()[3], "zebra" if "zebra" not in s[1] else "acid")],
        lambda s: [s[0], "not a share at all"],
    ],
    ids=["insufficient", "none", "duplicate", "mismatched", "corrupted-word", "garbage"],
)
def test_bad_shares(make_shares: Any) -> None:
    shares = split_recovery_key(PAIR.private, 2, 3)
    with pytest.raises(RecoveryShareError):
        combine_recovery_shares(make_shares(shares))
