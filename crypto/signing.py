"""Ed25519 signatures for the directive feed and published reports.

Signature envelope (73 bytes, version 1)::

    version u8 = 0x01 | key id (8 raw bytes) | Ed25519 signature (64)

The signature is ``crypto_sign_detached`` over the first 9 envelope bytes followed by the
message (``0x01 | key id | message``), which binds the format version and key id.
A key id is the first 8 bytes of ``BLAKE2b-256(key=b"redress/signing-key-id/v1", public)``
(see crypto.digests), written as 16 lowercase hex digits.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

from nacl.bindings import crypto_sign_BYTES, crypto_sign_SEEDBYTES
from nacl.exceptions import BadSignatureError
from nacl.signing import SigningKey, VerifyKey
from nacl.utils import random

from crypto.digests import digest
from crypto.errors import FormatError, IntegrityError, UnknownKeyError, UnsupportedVersionError

SIGNATURE_VERSION = 1
SEED_SIZE = crypto_sign_SEEDBYTES  # 32
PUBLIC_KEY_SIZE = 32
KEY_ID_SIZE = 8
SIGNATURE_SIZE = 1 + KEY_ID_SIZE + crypto_sign_BYTES  # 73
KEY_ID_DOMAIN = b"redress/signing-key-id/v1"


@dataclass(frozen=True)
class SigningKeyPair:
    """An Ed25519 key: 32-byte seed and 32-byte public key. ``repr`` hides the seed."""

    seed: bytes
    public: bytes

    def __post_init__(self) -> None:
        if len(self.seed) != SEED_SIZE or len(self.public) != PUBLIC_KEY_SIZE:
            raise ValueError("Ed25519 seed and public key are 32 bytes")

    def __repr__(self) -> str:
        return f"SigningKeyPair(key_id={key_id(self.public)!r}, seed=<hidden>)"


def signing_key_from_seed(seed: bytes) -> SigningKeyPair:
    """Rebuild a signing key pair from its 32-byte seed."""
    if len(seed) != SEED_SIZE:
        raise ValueError(f"seed must be {SEED_SIZE} bytes")
    public = bytes(SigningKey(bytes(seed)).verify_key)
    return SigningKeyPair(seed=bytes(seed), public=public)


def generate_signing_key() -> SigningKeyPair:
    """Return a fresh Ed25519 key pair from the OS CSPRNG."""
    return signing_key_from_seed(random(SEED_SIZE))


def _raw_key_id(public: bytes) -> bytes:
    if len(public) != PUBLIC_KEY_SIZE:
        raise ValueError(f"public key must be {PUBLIC_KEY_SIZE} bytes")
    return digest(public, domain=KEY_ID_DOMAIN)[:KEY_ID_SIZE]


def key_id(public: bytes) -> str:
    """Return the 16-hex-digit id of an Ed25519 public key."""
    return _raw_key_id(public).hex()


def sign(message: bytes, key: SigningKeyPair) -> bytes:
    """Return a detached signature envelope for ``message``. Anyone can verify it."""
    prefix = bytes([SIGNATURE_VERSION]) + _raw_key_id(key.public)
    signed = SigningKey(key.seed).sign(prefix + bytes(message))
    return prefix + signed.signature


def verify(message: bytes, signature: bytes, trusted: Mapping[str, bytes]) -> str:
    """Check ``signature`` over ``message`` against ``trusted`` (key id -> public key).

    Returns the signer's key id.
    """
    if not signature:
        raise FormatError("empty signature")
    if signature[0] != SIGNATURE_VERSION:
        raise UnsupportedVersionError(f"unsupported signature version {signature[0]}")
    if len(signature) != SIGNATURE_SIZE:
        raise FormatError(f"signature must be {SIGNATURE_SIZE} bytes")
    prefix = bytes(signature[: 1 + KEY_ID_SIZE])
    kid = prefix[1:].hex()
    public = trusted.get(kid)
    if public is None or _raw_key_id(public) != prefix[1:]:
        raise UnknownKeyError(f"signature key {kid} is not trusted")
    raw_signature = bytes(signature[1 + KEY_ID_SIZE :])
    try:
        VerifyKey(bytes(public)).verify(prefix + bytes(message), raw_signature)
    except BadSignatureError:
        raise IntegrityError("bad signature") from None
    return kid
