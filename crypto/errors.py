"""The one exception tree for everything crypto/ can refuse.

Callers catch :class:`CryptoError` (or a subclass) and never a PyNaCl, argon2-cffi or
shamir-mnemonic exception: those are translated here at the boundary. Programming errors
(a key of the wrong length, a bad parameter) raise ``ValueError`` instead, because they are
bugs to fix rather than inputs to reject.
"""

from __future__ import annotations


class CryptoError(Exception):
    """Root of every error raised by crypto/ for bad or hostile input."""


class FormatError(CryptoError):
    """The envelope is malformed: truncated, too short, or a length field is out of range."""


class UnsupportedVersionError(FormatError):
    """The magic bytes or the version byte name a format this code does not read."""


class IntegrityError(CryptoError):
    """Authentication failed: tampering, wrong key, wrong associated data, or a stream that
    was truncated, reordered or extended."""


class WrongPassphraseError(IntegrityError):
    """A passphrase-wrapped key did not open: the passphrase is wrong (or the blob was altered)."""


_RECEIPT_MESSAGES = {
    "length": "A receipt code has exactly 20 letters and digits.",
    "character": "A receipt code uses only digits and the letters A to Z.",
    "checksum": "This receipt code contains a typo. Please check each group.",
}


class ReceiptError(CryptoError):
    """A receipt code was rejected before any key derivation.

    ``reason`` is one of ``"length"``, ``"character"`` or ``"checksum"`` so that the intake app
    can pick a translated message; ``str(error)`` is a plain English sentence.
    """

    REASONS = frozenset(_RECEIPT_MESSAGES)

    def __init__(self, reason: str) -> None:
        if reason not in _RECEIPT_MESSAGES:
            raise ValueError(f"unknown receipt error reason: {reason!r}")
        super().__init__(_RECEIPT_MESSAGES[reason])
        self.reason = reason


class RecoveryShareError(CryptoError):
    """Recovery shares are malformed, insufficient, or do not belong together."""


class UnknownKeyError(CryptoError):
    """A signature names a key id that is not in the trusted set."""
