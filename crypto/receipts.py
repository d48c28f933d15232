"""Receipt codes: the reporter's only way back to their case, and the keys derived from them.

A receipt is 19 random Crockford base32 symbols (95 bits from the OS CSPRNG) plus one Luhn
mod 32 check symbol, shown as five groups of four (``K7QM-3XHD-9P2R-WT4N-8CFJ``). The check
symbol is an error-detecting code, not cryptography: it lets the intake app reject typos
before any Argon2 work. The code itself is never stored.

Derivation: ``Argon2id(ASCII normalised code, per-instance 16-byte salt, RECEIPT_KDF_PARAMS)`` gives
64 bytes; bytes 0..31 are the X25519 seed (``crypto_box_seed_keypair``) and bytes 32..63,
hashed with ``digest(..., domain=b"redress/receipt-lookup/v1")``, are the lookup token the
server stores next to the public key.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass

from crypto.digests import digest
from crypto.errors import ReceiptError
from crypto.kdf import SALT_SIZE, argon2id
from crypto.keys import KeyPair, keypair_from_seed
from crypto.params import RECEIPT_KDF_PARAMS, KdfParams

RECEIPT_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECEIPT_DATA_SYMBOLS = 19
RECEIPT_SYMBOLS = RECEIPT_DATA_SYMBOLS + 1
RECEIPT_GROUP_SIZE = 4
LOOKUP_DOMAIN = b"redress/receipt-lookup/v1"
_BASE = len(RECEIPT_ALPHABET)
_VALUES = {symbol: value for value, symbol in enumerate(RECEIPT_ALPHABET)}
_LOOK_ALIKES = {"O": "0", "I": "1", "L": "1", "U": "V"}
_SEPARATORS = frozenset("-_.")


def _luhn_sum(symbols: str, double_first: bool) -> int:
    """Luhn mod N sum over ``symbols`` read right to left."""
    total = 0
    double = double_first
    for symbol in reversed(symbols):
        addend = _VALUES[symbol] * (2 if double else 1)
        total += addend // _BASE + addend % _BASE
        double = not double
    return total


def check_symbol(data: str) -> str:
    """Return the Luhn mod 32 check symbol for the data symbols ``data``."""
    return RECEIPT_ALPHABET[(_BASE - _luhn_sum(data, double_first=True) % _BASE) % _BASE]


def new_receipt() -> str:
    """Return a fresh, formatted receipt code."""
    data = "".join(secrets.choice(RECEIPT_ALPHABET) for _ in range(RECEIPT_DATA_SYMBOLS))
    return format_receipt(data + check_symbol(data))


def normalise_receipt(text: str) -> str:
    """Return the 20-symbol canonical form of ``text`` or raise :class:`ReceiptError`.

    Case, whitespace, dashes, underscores and dots are ignored; O, I, L and U are read as
    0, 1, 1 and V. Checks run in the order character, length, checksum. No KDF work.
    """
    symbols = []
    for char in text:
        if char.isspace() or char in _SEPARATORS:
            continue
        upper = char.upper() if char.isascii() else char
        symbol = _LOOK_ALIKES.get(upper, upper)
        if symbol not in _VALUES:
            raise ReceiptError("character")
        symbols.append(symbol)
    if len(symbols) != RECEIPT_SYMBOLS:
        raise ReceiptError("length")
    code = "".join(symbols)
    if _luhn_sum(code, double_first=False) % _BASE:
        raise ReceiptError("checksum")
    return code


def format_receipt(normalised: str) -> str:
    """Group a canonical 20-symbol code as ``XXXX-XXXX-XXXX-XXXX-XXXX``."""
    if len(normalised) != RECEIPT_SYMBOLS:
        raise ReceiptError("length")
    step = RECEIPT_GROUP_SIZE
    return "-".join(normalised[i : i + step] for i in range(0, RECEIPT_SYMBOLS, step))


def last_group(receipt: str) -> str:
    """Return the last four symbols of the normalised code (a hint safe to show back)."""
    return normalise_receipt(receipt)[-RECEIPT_GROUP_SIZE:]


@dataclass(frozen=True)
class ReporterKeys:
    """The reporter's X25519 key pair and the token that finds their case."""

    keypair: KeyPair
    lookup_token: bytes

    def __repr__(self) -> str:
        return f"ReporterKeys(keypair=<hidden>, lookup_token={self.lookup_token.hex()!r})"


def derive_reporter_keys(
    normalised: str, salt: bytes, params: KdfParams = RECEIPT_KDF_PARAMS
) -> ReporterKeys:
    """Derive the reporter's keys from a receipt code (re-validated first, so typos are cheap)."""
    code = normalise_receipt(normalised)
    if len(salt) != SALT_SIZE:
        raise ValueError(f"receipt salt must be {SALT_SIZE} bytes")
    material = argon2id(code.encode("ascii"), salt, params, 64)
    keypair = keypair_from_seed(material[:32])
    return ReporterKeys(keypair=keypair, lookup_token=digest(material[32:], domain=LOOKUP_DOMAIN))
