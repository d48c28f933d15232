"""Argon2id cost parameters: the production constants and their validated type.

``KDF_PARAMS`` is used for passphrase wrapping and password hashing, where a human-chosen secret
needs all the cost it can get. ``RECEIPT_KDF_PARAMS`` is used for receipt derivation, where the
secret already carries 95 random bits and the cost must stay low enough for an intake worker to
derive under memory pressure during floods. Tests build cheaper ``KdfParams`` themselves; no cheap
constant lives in crypto/.
"""

from __future__ import annotations

from dataclasses import dataclass

ARGON2ID_OPSLIMIT_MIN = 1
ARGON2ID_MEMLIMIT_MIN = 8192


@dataclass(frozen=True)
class KdfParams:
    """Argon2id cost: ``opslimit`` passes and ``memlimit`` bytes of memory (libsodium units)."""

    opslimit: int
    memlimit: int

    def __post_init__(self) -> None:
        if isinstance(self.opslimit, bool) or not isinstance(self.opslimit, int):
            raise ValueError("opslimit must be an int")
        if isinstance(self.memlimit, bool) or not isinstance(self.memlimit, int):
            raise ValueError("memlimit must be an int")
        if self.opslimit < ARGON2ID_OPSLIMIT_MIN:
            raise ValueError(f"opslimit must be at least {ARGON2ID_OPSLIMIT_MIN}")
        if self.memlimit < ARGON2ID_MEMLIMIT_MIN:
            raise ValueError(f"memlimit must be at least {ARGON2ID_MEMLIMIT_MIN} bytes")


# libsodium's "moderate" opslimit with 64 MiB: about 0.2-0.5 s on a server core.
KDF_PARAMS = KdfParams(opslimit=3, memlimit=64 * 1024 * 1024)

# Receipts: 95 bits of entropy make guessing hopeless at any cost; OWASP's minimum Argon2id
# configuration (19 MiB, 2 passes) keeps a derivation cheap in memory for the intake worker.
RECEIPT_KDF_PARAMS = KdfParams(opslimit=2, memlimit=19 * 1024 * 1024)
