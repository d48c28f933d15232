"""Secrets sealed to one recipient's X25519 public key (case keys, TOTP secrets, ...).

Sealed envelope (version 1)::

    version(1) = 0x01 | crypto_box_seal( context_digest(32) | secret )

where ``context_digest = BLAKE2b-256(key=b"redress/sealed/v1", associated_data(context))``
(see crypto.digests and crypto.fields). The anonymous sealed box gives confidentiality and
integrity, but anyone can make one; binding the context digest inside it stops a database
writer from moving a sealed key to another case, purpose or row. It does not authenticate the
sender: whoever stores sealed keys must be trusted to have created them.
"""

from __future__ import annotations

from nacl.bindings import crypto_box_seal, crypto_box_seal_open, crypto_box_SEALBYTES
from nacl.bindings.utils import sodium_memcmp
from nacl.exceptions import CryptoError as NaclCryptoError

from crypto.digests import DIGEST_SIZE, digest
from crypto.errors import FormatError, IntegrityError, UnsupportedVersionError
from crypto.fields import FieldContext, associated_data
from crypto.keys import KEY_SIZE, KeyPair

SEAL_VERSION = 1
SEAL_DOMAIN = b"redress/sealed/v1"
SEAL_OVERHEAD = 1 + crypto_box_SEALBYTES + DIGEST_SIZE


def _context_digest(context: FieldContext) -> bytes:
    return digest(associated_data(context), domain=SEAL_DOMAIN)


def seal_to(recipient_public: bytes, secret: bytes, context: FieldContext) -> bytes:
    """Seal ``secret`` to ``recipient_public``, bound to ``context``.

    Who can decrypt: only the holder of the recipient's private key.
    """
    if len(recipient_public) != KEY_SIZE:
        raise ValueError(f"recipient public key must be {KEY_SIZE} bytes")
    box = crypto_box_seal(_context_digest(context) + bytes(secret), recipient_public)
    return bytes([SEAL_VERSION]) + box


def open_sealed(sealed: bytes, recipient: KeyPair, context: FieldContext) -> bytes:
    """Open a value made by :func:`seal_to` with the recipient's key pair and the same context."""
    if not sealed:
        raise FormatError("empty sealed value")
    if sealed[0] != SEAL_VERSION:
        raise UnsupportedVersionError(f"unsupported sealed version {sealed[0]}")
    if len(sealed) < SEAL_OVERHEAD:
        raise FormatError("sealed value is truncated")
    try:
        inner = crypto_box_seal_open(bytes(sealed[1:]), recipient.public, recipient.private)
    except NaclCryptoError:
        raise IntegrityError("sealed value failed to open") from None
    if not sodium_memcmp(inner[:DIGEST_SIZE], _context_digest(context)):
        raise IntegrityError("sealed value belongs to another context")
    return inner[DIGEST_SIZE:]
