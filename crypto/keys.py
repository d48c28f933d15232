"""X25519 identity key pairs, random symmetric keys, and passphrase-wrapped private keys.

Wrapped private key envelope (101 bytes, version 1)::

    b"RDWK" | 0x01 | opslimit u32be | memlimit u32be | salt(16) | nonce(24) | ciphertext(32+16)

The wrapping key is Argon2id(NFC-normalised UTF-8 passphrase, salt, opslimit, memlimit) -> 32
bytes; the cipher is XChaCha20-Poly1305-IETF with the 29-byte header (magic through salt) as
associated data, so the cost parameters and salt cannot be altered undetected.
"""

from __future__ import annotations

import struct
import unicodedata
from dataclasses import dataclass

from nacl.bindings import (
    crypto_aead_xchacha20poly1305_ietf_decrypt,
    crypto_aead_xchacha20poly1305_ietf_encrypt,
    crypto_box_keypair,
    crypto_box_seed_keypair,
    crypto_scalarmult_base,
)
from nacl.exceptions import CryptoError as NaclCryptoError
from nacl.utils import random

from crypto.errors import FormatError, UnsupportedVersionError, WrongPassphraseError
from crypto.kdf import SALT_SIZE, argon2id
from crypto.params import KDF_PARAMS, KdfParams

KEY_SIZE = 32

WRAP_MAGIC = b"RDWK"
WRAP_VERSION = 1
WRAP_NONCE_SIZE = 24
WRAP_TAG_SIZE = 16
_WRAP_HEADER = struct.Struct(">4sBII16s")
WRAP_HEADER_SIZE = _WRAP_HEADER.size  # 29
WRAPPED_KEY_SIZE = WRAP_HEADER_SIZE + WRAP_NONCE_SIZE + KEY_SIZE + WRAP_TAG_SIZE  # 101
# Refuse headers that would make unwrapping a denial of service.
WRAP_OPSLIMIT_MAX = 20
WRAP_MEMLIMIT_MAX = 1024 * 1024 * 1024


@dataclass(frozen=True)
class KeyPair:
    """An X25519 key pair. ``repr`` shows the public key only."""

    public: bytes
    private: bytes

    def __post_init__(self) -> None:
        if len(self.public) != KEY_SIZE or len(self.private) != KEY_SIZE:
            raise ValueError(f"X25519 keys are {KEY_SIZE} bytes")

    def __repr__(self) -> str:
        return f"KeyPair(public={self.public.hex()!r}, private=<hidden>)"


def _check_key(key: bytes, name: str = "key") -> None:
    if len(key) != KEY_SIZE:
        raise ValueError(f"{name} must be {KEY_SIZE} bytes")


def generate_keypair() -> KeyPair:
    """Return a fresh X25519 key pair from the OS CSPRNG."""
    public, private = crypto_box_keypair()
    return KeyPair(public=public, private=private)


def keypair_from_private(private: bytes) -> KeyPair:
    """Rebuild a key pair from its 32-byte private half."""
    _check_key(private, "private key")
    return KeyPair(public=crypto_scalarmult_base(private), private=bytes(private))


def keypair_from_seed(seed: bytes) -> KeyPair:
    """Derive a key pair deterministically from a 32-byte seed (``crypto_box_seed_keypair``)."""
    _check_key(seed, "seed")
    public, private = crypto_box_seed_keypair(seed)
    return KeyPair(public=public, private=private)


def random_key() -> bytes:
    """Return 32 random bytes from the OS CSPRNG (case, session and file keys)."""
    return random(KEY_SIZE)


def _passphrase_bytes(passphrase: str) -> bytes:
    return unicodedata.normalize("NFC", passphrase).encode("utf-8")


def wrap_private_key(private: bytes, passphrase: str, params: KdfParams = KDF_PARAMS) -> bytes:
    """Encrypt a private key under a passphrase.

    Who can decrypt: whoever knows the passphrase (the key's owner).
    """
    _check_key(private, "private key")
    if params.opslimit > WRAP_OPSLIMIT_MAX or params.memlimit > WRAP_MEMLIMIT_MAX:
        raise ValueError("KDF parameters exceed what unwrap_private_key accepts")
    salt = random(SALT_SIZE)
    header = _WRAP_HEADER.pack(WRAP_MAGIC, WRAP_VERSION, params.opslimit, params.memlimit, salt)
    wrapping_key = argon2id(_passphrase_bytes(passphrase), salt, params, KEY_SIZE)
    nonce = random(WRAP_NONCE_SIZE)
    body = crypto_aead_xchacha20poly1305_ietf_encrypt(private, header, nonce, wrapping_key)
    return header + nonce + body


def unwrap_private_key(wrapped: bytes, passphrase: str) -> bytes:
    """Decrypt a key made by :func:`wrap_private_key`; the cost is read from its header."""
    if len(wrapped) < 5:
        raise FormatError("wrapped key is truncated")
    if wrapped[:4] != WRAP_MAGIC or wrapped[4] != WRAP_VERSION:
        raise UnsupportedVersionError("not a version 1 wrapped key")
    if len(wrapped) != WRAPPED_KEY_SIZE:
        raise FormatError(f"wrapped key must be {WRAPPED_KEY_SIZE} bytes")
    header = wrapped[:WRAP_HEADER_SIZE]
    _, _, opslimit, memlimit, salt = _WRAP_HEADER.unpack(header)
    if opslimit > WRAP_OPSLIMIT_MAX or memlimit > WRAP_MEMLIMIT_MAX:
        raise FormatError("wrapped key asks for absurd KDF parameters")
    try:
        params = KdfParams(opslimit=opslimit, memlimit=memlimit)
    except ValueError as exc:
        raise FormatError(f"wrapped key has invalid KDF parameters: {exc}") from None
    nonce = wrapped[WRAP_HEADER_SIZE : WRAP_HEADER_SIZE + WRAP_NONCE_SIZE]
    body = wrapped[WRAP_HEADER_SIZE + WRAP_NONCE_SIZE :]
    wrapping_key = argon2id(_passphrase_bytes(passphrase), salt, params, KEY_SIZE)
    try:
        private = crypto_aead_xchacha20poly1305_ietf_decrypt(body, header, nonce, wrapping_key)
    except NaclCryptoError:
        raise WrongPassphraseError("wrong passphrase") from None
    return private
