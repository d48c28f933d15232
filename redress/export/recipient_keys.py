"""Recipient keys of case exports: their text encodings, fingerprints and private key files.

The recipient of an export (legal counsel, an oversight body, a court) makes an X25519 key pair
offline with ``redress export keygen`` and hands over the public key as text::

    redress-export-pk-1:<base64url of the 32-byte public key, no padding>

The private key file holds one line, ``redress-export-sk-1:<base64url of the private key>``,
and is created with mode 0600. A fingerprint (16 hex digits of a BLAKE2b-256 digest of the
public key) names a key in the audit log, in the bundle and on the recipient's screen, so both
sides can compare it. Layouts: docs/crypto-format.md ("Case export bundle").
"""

from __future__ import annotations

import base64
import binascii
import os
import re
from pathlib import Path

from crypto.digests import digest
from crypto.keys import KEY_SIZE, KeyPair, generate_keypair, keypair_from_private

PUBLIC_KEY_PREFIX = "redress-export-pk-1:"
PRIVATE_KEY_PREFIX = "redress-export-sk-1:"  # noqa: S105 - a label, not a secret
FINGERPRINT_DOMAIN = b"redress/export-recipient/v1"
FINGERPRINT_BYTES = 8
_BASE64URL = re.compile(r"[A-Za-z0-9_-]*")


class InvalidKeyError(ValueError):
    """Text that is not a Redress export key; the message says what is wrong."""


def _encode(prefix: str, key: bytes) -> str:
    return prefix + base64.urlsafe_b64encode(key).decode("ascii").rstrip("=")


def _parse(prefix: str, text: str, what: str) -> bytes:
    cleaned = "".join(text.split())
    if not cleaned.startswith(prefix):
        raise InvalidKeyError(f"This is not a {what}: it must start with {prefix}")
    body = cleaned[len(prefix) :]
    if not _BASE64URL.fullmatch(body):
        raise InvalidKeyError(f"This {what} is damaged: it is not valid base64url.")
    try:
        key = base64.urlsafe_b64decode(body + "=" * (-len(body) % 4))
    except binascii.Error:
        raise InvalidKeyError(f"This {what} is damaged or incomplete.") from None
    if len(key) != KEY_SIZE:
        raise InvalidKeyError(f"This {what} is damaged or incomplete: check it was copied whole.")
    return key


def encode_public_key(public: bytes) -> str:
    return _encode(PUBLIC_KEY_PREFIX, public)


def parse_public_key(text: str) -> bytes:
    """The 32 key bytes of a public key text (whitespace anywhere is ignored)."""
    return _parse(PUBLIC_KEY_PREFIX, text, "Redress export public key")


def fingerprint(public: bytes) -> str:
    """16 hex digits naming a public key (not secret; for comparing keys by eye)."""
    return digest(public, domain=FINGERPRINT_DOMAIN)[:FINGERPRINT_BYTES].hex()


def write_private_key_file(path: Path) -> KeyPair:
    """Make a new key pair and write its private half to a new file (mode 0600).

    Refuses to overwrite an existing file (FileExistsError).
    """
    keypair = generate_keypair()
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(descriptor, "w", encoding="ascii") as handle:
        handle.write(_encode(PRIVATE_KEY_PREFIX, keypair.private) + "\n")
    return keypair


def read_private_key_file(path: Path) -> KeyPair:
    """The key pair of a private key file made by :func:`write_private_key_file`."""
    text = path.read_text(encoding="ascii", errors="replace")
    return keypair_from_private(_parse(PRIVATE_KEY_PREFIX, text, "Redress export private key"))
