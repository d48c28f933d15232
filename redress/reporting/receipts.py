"""What the reporter's side does with a receipt code before and around key derivation: check a
typed code, and confirm that the reporter wrote the code down.

The code itself is never stored (redress.reporting.submissions derives the keys from it). After
showing it, the intake keeps only a keyed tag of its last group in the cookie session, so the
cookie reveals nothing usable, and the reporter proves they saved the code by typing that group.
"""

from __future__ import annotations

import hmac

from crypto.digests import digest
from crypto.errors import ReceiptError
from crypto.receipts import last_group, normalise_receipt

_CONFIRMATION_DOMAIN = b"redress-receipt-confirmation"


class MistypedReceiptError(ValueError):
    """A typed code that cannot be a receipt; `reason` is "length", "character" or "checksum"."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def checked(typed: str) -> str:
    """The canonical form of a typed receipt code, or MistypedReceiptError (no Argon2 work)."""
    try:
        return normalise_receipt(typed)
    except ReceiptError as error:
        raise MistypedReceiptError(error.reason) from None


def confirmation_tag(server_key: bytes, receipt: str) -> str:
    """A keyed tag of the receipt's last group, to keep until the reporter types that group."""
    return _tag(server_key, last_group(receipt))


def confirms(server_key: bytes, tag: str, typed_group: str) -> bool:
    """Whether the typed last group (spaces and case ignored) matches the kept tag."""
    group = "".join(typed_group.split()).upper()
    return hmac.compare_digest(_tag(server_key, group), tag)


def _tag(server_key: bytes, group: str) -> str:
    # Keyed with server-only key material so the cookie reveals nothing usable.
    return digest(server_key + group.encode(), domain=_CONFIRMATION_DOMAIN).hex()
