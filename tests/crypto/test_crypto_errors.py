"""The exception tree: every failure is a CryptoError, receipt errors carry a reason."""

from __future__ import annotations

import pytest

from crypto import errors


@pytest.mark.parametrize(
    ("child", "parent"),
    [
        (errors.FormatError, errors.CryptoError),
        (errors.UnsupportedVersionError, errors.FormatError),
        (errors.IntegrityError, errors.CryptoError),
        (errors.WrongPassphraseError, errors.IntegrityError),
        (errors.ReceiptError, errors.CryptoError),
        (errors.RecoveryShareError, errors.CryptoError),
        (errors.UnknownKeyError, errors.CryptoError),
    ],
)
def test_hierarchy(child: type[Exception], parent: type[Exception]) -> None:
    assert issubclass(child, parent)


@pytest.mark.parametrize("reason", ["length", "character", "checksum"])
def test_receipt_error_reason_and_message(reason: str) -> None:
    error = errors.ReceiptError(reason)
    assert error.reason == reason
    assert str(error).endswith(".")


def test_receipt_error_rejects_unknown_reason() -> None:
    with pytest.raises(ValueError, match="reason"):
        errors.ReceiptError("other")
