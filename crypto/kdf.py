"""Argon2id key derivation (libsodium ``crypto_pwhash``, algorithm ARGON2ID13).

Internal helper shared by passphrase wrapping (keys.py) and receipt derivation (receipts.py).
"""

from __future__ import annotations

from nacl.bindings import crypto_pwhash_alg, crypto_pwhash_ALG_ARGON2ID13

from crypto.params import KdfParams

SALT_SIZE = 16


def argon2id(secret: bytes, salt: bytes, params: KdfParams, size: int) -> bytes:
    """Derive ``size`` bytes from ``secret`` and a 16-byte ``salt`` with Argon2id."""
    if len(salt) != SALT_SIZE:
        raise ValueError(f"salt must be {SALT_SIZE} bytes")
    return crypto_pwhash_alg(
        size, secret, salt, params.opslimit, params.memlimit, crypto_pwhash_ALG_ARGON2ID13
    )
