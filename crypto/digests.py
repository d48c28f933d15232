"""Domain-separated BLAKE2b-256, for session-id hashes and the audit hash chain.

``digest(data, domain=d)`` is keyed BLAKE2b with a 32-byte output, the domain tag used as
the BLAKE2b *key* (1 to 64 bytes). Two different domains never give related outputs, so the
same bytes hashed for two purposes cannot be confused. Equivalent to
``crypto_generichash(32, data, key=domain)`` in libsodium or
``hashlib.blake2b(data, digest_size=32, key=domain)``.
"""

from __future__ import annotations

from nacl.bindings import crypto_generichash_blake2b_salt_personal

DIGEST_SIZE = 32
DOMAIN_MAX_SIZE = 64


def digest(data: bytes, *, domain: bytes) -> bytes:
    """Return BLAKE2b-256 of ``data`` keyed with the ``domain`` tag."""
    if not 1 <= len(domain) <= DOMAIN_MAX_SIZE:
        raise ValueError(f"domain must be 1 to {DOMAIN_MAX_SIZE} bytes")
    return crypto_generichash_blake2b_salt_personal(
        bytes(data), digest_size=DIGEST_SIZE, key=domain
    )
