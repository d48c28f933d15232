"""Login password hashes (argon2-cffi PHC strings), separate from key unwrapping.

Passwords are NFC-normalised before hashing, like passphrases in crypto.keys.
"""

from __future__ import annotations

import unicodedata

from argon2 import PasswordHasher, Type
from argon2.exceptions import Argon2Error, InvalidHashError

from crypto.params import KDF_PARAMS, KdfParams

# A hash of a random password nobody knows, at the cost of KDF_PARAMS; verifying against it
# makes a login attempt for an unknown account cost as much as one for a known account.
# If KDF_PARAMS changes, regenerate it (a test checks that the parameters match).
DUMMY_HASH = (
    "$argon2id$v=19$m=65536,t=3,p=1$"
    "uLYCfG2wk3egyX6WQmjiiQ$yYPW82Eeua7oVmCTEJefXR7TnnU6W7ZwIP1Q/ZShD0s"
)


def _hasher(params: KdfParams) -> PasswordHasher:
    return PasswordHasher(
        time_cost=params.opslimit,
        memory_cost=params.memlimit // 1024,
        parallelism=1,
        type=Type.ID,
    )


def _normalise(password: str) -> str:
    return unicodedata.normalize("NFC", password)


def hash_password(password: str, params: KdfParams = KDF_PARAMS) -> str:
    """Return an Argon2id PHC string for ``password``."""
    return _hasher(params).hash(_normalise(password))


def verify_password(encoded: str | None, password: str) -> bool:
    """Return True only if ``password`` matches ``encoded``; never raises for bad input.

    With ``encoded=None`` (unknown account) a dummy hash is checked and False returned.
    """
    hasher = _hasher(KDF_PARAMS)  # verify() reads the cost from the hash itself
    try:
        candidate = _normalise(password).encode("utf-8")
        if encoded is None:
            hasher.verify(DUMMY_HASH, candidate)
            return False
        return hasher.verify(encoded, candidate)
    except (Argon2Error, InvalidHashError, ValueError, TypeError, UnicodeError):
        return False
