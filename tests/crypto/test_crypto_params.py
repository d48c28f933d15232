"""KdfParams validation and the production constant."""

from __future__ import annotations

import pytest

from crypto.params import KDF_PARAMS, KdfParams


def test_production_constant() -> None:
    assert KDF_PARAMS == KdfParams(opslimit=3, memlimit=64 * 1024 * 1024)


def test_minimums_accepted() -> None:
    assert KdfParams(1, 8192).memlimit == 8192


@pytest.mark.parametrize(
    ("opslimit", "memlimit"),
    [(0, 8192), (1, 8191), (-1, 1 << 20), (1, 0)],
    ids=["ops-zero", "mem-below-min", "ops-negative", "mem-zero"],
)
def test_below_minimum_rejected(opslimit: int, memlimit: int) -> None:
    with pytest.raises(ValueError, match="at least"):
        KdfParams(opslimit, memlimit)


def test_non_int_rejected() -> None:
    with pytest.raises(ValueError, match="int"):
        KdfParams(True, 8192)
