"""Domain-separated BLAKE2b-256."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from crypto.digests import digest


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["digest"]
    got = digest(bytes.fromhex(v["data"]), domain=bytes.fromhex(v["domain"]))
    assert got.hex() == v["digest"]


def test_matches_keyed_blake2b() -> None:
    expected = hashlib.blake2b(b"data", digest_size=32, key=b"domain").digest()
    assert digest(b"data", domain=b"domain") == expected


def test_domains_separate() -> None:
    assert digest(b"x", domain=b"a") != digest(b"x", domain=b"b")


@pytest.mark.parametrize("domain", [b"", b"x" * 65], ids=["empty", "too-long"])
def test_bad_domain(domain: bytes) -> None:
    with pytest.raises(ValueError, match="domain"):
        digest(b"x", domain=domain)
