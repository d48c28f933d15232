"""The organisation recovery key, split k-of-n among trustees with SLIP-39.

The X25519 private half (32 bytes) is the SLIP-39 master secret: one group
(``group_threshold=1, groups=[(k, n)]``), extendable backup flag set, iteration exponent 1,
optional printable-ASCII passphrase. Shares are standard SLIP-39 mnemonics, so any compliant
tool (e.g. the reference ``shamir`` CLI) can recombine them offline.

SLIP-39 passphrases are deliberately not checked: a wrong passphrase yields a *different*
key without error. Callers must compare the recombined public key with the known recovery
public key before using it.
"""

from __future__ import annotations

from collections.abc import Iterable

import shamir_mnemonic

from crypto.errors import RecoveryShareError
from crypto.keys import KEY_SIZE, KeyPair, keypair_from_private

MAX_SHARES = 16
ITERATION_EXPONENT = 1


def split_recovery_key(
    private: bytes, threshold: int, share_count: int, passphrase: bytes = b""
) -> list[str]:
    """Split the recovery private key into ``share_count`` mnemonics, any ``threshold`` of
    which rebuild it.

    Who can decrypt: any ``threshold`` trustees together (with the passphrase, if one is set).
    """
    if len(private) != KEY_SIZE:
        raise ValueError(f"recovery private key must be {KEY_SIZE} bytes")
    if not 1 <= threshold <= share_count <= MAX_SHARES:
        raise ValueError(f"need 1 <= threshold <= share_count <= {MAX_SHARES}")
    if threshold == 1 and share_count > 1:
        raise ValueError("SLIP-39 forbids a threshold of 1 with several shares; use 1-of-1")
    if not all(32 <= c <= 126 for c in passphrase):
        raise ValueError("the passphrase must be printable ASCII")
    groups = shamir_mnemonic.generate_mnemonics(
        group_threshold=1,
        groups=[(threshold, share_count)],
        master_secret=bytes(private),
        passphrase=passphrase,
        extendable=True,
        iteration_exponent=ITERATION_EXPONENT,
    )
    return list(groups[0])


def combine_recovery_shares(shares: Iterable[str], passphrase: bytes = b"") -> KeyPair:
    """Rebuild the recovery key pair from enough shares of one split.

    Check the returned public key against the known one: see the module docstring.
    """
    cleaned = [" ".join(share.split()).lower() for share in shares]
    try:
        secret = shamir_mnemonic.combine_mnemonics(cleaned, passphrase)
    except (shamir_mnemonic.MnemonicError, ValueError) as exc:
        raise RecoveryShareError(str(exc)) from None
    if len(secret) != KEY_SIZE:
        raise RecoveryShareError("the shares do not hold a recovery key")
    return keypair_from_private(secret)
