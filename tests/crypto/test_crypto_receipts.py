"""Receipt codes: generation, normalisation, typo detection and reporter key derivation."""

from __future__ import annotations

import re
from typing import Any

import pytest
from crypto_support import CHEAP
from hypothesis import given, settings
from hypothesis import strategies as st

import crypto.receipts
from crypto.errors import ReceiptError
from crypto.params import RECEIPT_KDF_PARAMS
from crypto.receipts import (
    RECEIPT_ALPHABET,
    RECEIPT_DATA_SYMBOLS,
    check_symbol,
    derive_reporter_keys,
    format_receipt,
    last_group,
    new_receipt,
    normalise_receipt,
)

VALID = "K7QM3XHD9P2RWT4N8CFE"  # the vectors' code
SALT = bytes(range(16))
FORMAT = re.compile(r"^([0-9A-HJKMNP-TV-Z]{4}-){4}[0-9A-HJKMNP-TV-Z]{4}$")

data_symbols = st.text(alphabet=RECEIPT_ALPHABET, min_size=19, max_size=19)


def test_alphabet() -> None:
    assert len(RECEIPT_ALPHABET) == 32 == len(set(RECEIPT_ALPHABET))
    assert not set("ILOU") & set(RECEIPT_ALPHABET)


def test_vector(vectors: dict[str, Any]) -> None:
    v = vectors["receipt"]
    assert check_symbol(v["data_symbols"]) == v["check_symbol"]
    code = v["data_symbols"] + v["check_symbol"]
    assert format_receipt(code) == v["formatted"]
    keys = derive_reporter_keys(code, bytes.fromhex(v["salt"]), CHEAP)
    assert keys.keypair.public.hex() == v["public"]
    assert keys.keypair.private.hex() == v["private"]
    assert keys.lookup_token.hex() == v["lookup_token"]


def test_new_receipt_shape() -> None:
    codes = {new_receipt() for _ in range(50)}
    assert len(codes) == 50
    for code in codes:
        assert FORMAT.match(code)
        assert format_receipt(normalise_receipt(code)) == code


@given(data=data_symbols)
def test_any_data_round_trips(data: str) -> None:
    code = data + check_symbol(data)
    assert normalise_receipt(code) == code
    assert normalise_receipt(format_receipt(code)) == code
    assert last_group(format_receipt(code)) == code[-4:]


@pytest.mark.parametrize(
    "typed",
    [
        "k7qm-3xhd-9p2r-wt4n-8cfe",
        " K7QM 3XHD 9P2R WT4N 8CFE ",
        "K7QM_3XHD.9P2R\tWT4N\n8CFE",
        "K7QM3XHD9P2RWT4N8CFE",
        "K7QM\u00a03XHD-9P2R-WT4N-8CFE",
    ],
    ids=["lowercase", "spaces", "mixed-separators", "no-separators", "nbsp"],
)
def test_accepted_spellings(typed: str) -> None:
    assert normalise_receipt(typed) == VALID


def test_look_alikes() -> None:
    data = "0111V" + "2" * 14
    code = data + check_symbol(data)
    assert normalise_receipt("oIlLu" + code[5:]) == code
    assert normalise_receipt("OiLlU" + code[5:]) == code


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("", "length"),
        ("K7QM-3XHD-9P2R-WT4N", "length"),
        ("K7QM-3XHD-9P2R-WT4N-8CFE-0", "length"),
        ("K7QM-3XHD-9P2R-WT4N-8CF!", "character"),
        ("K7QM-3XHD-9P2R-WT4N-8CF\u00c9", "character"),
        ("K7QM-3XHD-9P2R-WT4N-8CF\u0131", "character"),  # dotless i: no Unicode case tricks
        ("K7QM-3XHD-9P2R-WT4N-8CF\u200b", "character"),
        ("K7QM-3XHD-9P2R-WT4N-8CFF", "checksum"),
    ],
    ids=["empty", "short", "long", "punctuation", "accent", "dotless-i", "zero-width", "typo"],
)
def test_rejections(typed: str, reason: str) -> None:
    with pytest.raises(ReceiptError) as info:
        normalise_receipt(typed)
    assert info.value.reason == reason


def test_every_single_substitution_is_caught() -> None:
    caught = 0
    for position in range(len(VALID)):
        for symbol in RECEIPT_ALPHABET:
            if symbol == VALID[position]:
                continue
            typo = VALID[:position] + symbol + VALID[position + 1 :]
            with pytest.raises(ReceiptError) as info:
                normalise_receipt(typo)
            assert info.value.reason == "checksum"
            caught += 1
    assert caught == 20 * 31


def test_adjacent_transpositions() -> None:
    """Luhn mod 32 misses exactly one class: swapping neighbouring '0' and 'Z' (values 0, 31).

    Exhaustive over every position and ordered pair of different symbols: 495 of the 496
    unordered pairs are always caught, so 99.8% of adjacent transpositions are detected.
    """
    base = "2" * RECEIPT_DATA_SYMBOLS
    missed: set[frozenset[str]] = set()
    reasons: set[str] = set()
    total = detected = 0
    for position in range(RECEIPT_DATA_SYMBOLS):  # the last pair is (data symbol, check)
        for a in RECEIPT_ALPHABET:
            for b in RECEIPT_ALPHABET:
                data = base[:position] + a + (b if position + 1 < RECEIPT_DATA_SYMBOLS else "")
                data = data + base[len(data) :]
                code = data + check_symbol(data)
                x, y = code[position], code[position + 1]
                if x == y:
                    continue
                swapped = code[:position] + y + x + code[position + 2 :]
                total += 1
                try:
                    normalise_receipt(swapped)
                except ReceiptError as error:
                    reasons.add(error.reason)
                    detected += 1
                else:
                    missed.add(frozenset((x, y)))
    assert reasons == {"checksum"}
    assert missed == {frozenset("0Z")}
    assert detected / total > 0.998


def test_typo_rejected_before_any_argon2_work(monkeypatch: pytest.MonkeyPatch) -> None:
    def forbidden(*args: object) -> bytes:
        raise AssertionError("Argon2 ran on an invalid receipt")

    monkeypatch.setattr(crypto.receipts, "argon2id", forbidden)
    typo = VALID[:-1] + "F"
    with pytest.raises(ReceiptError) as info:
        derive_reporter_keys(typo, SALT, RECEIPT_KDF_PARAMS)
    assert info.value.reason == "checksum"


def test_typo_with_production_params_is_fast() -> None:
    with pytest.raises(ReceiptError):
        derive_reporter_keys("K7QM-3XHD-9P2R-WT4N-8CFF", SALT, RECEIPT_KDF_PARAMS)


@settings(max_examples=10, deadline=None)
@given(data=data_symbols)
def test_derivation_accepts_any_spelling(data: str) -> None:
    code = data + check_symbol(data)
    assert derive_reporter_keys(code, SALT, CHEAP) == derive_reporter_keys(
        format_receipt(code).lower(), SALT, CHEAP
    )


def test_derivation_depends_on_salt_and_code() -> None:
    one = derive_reporter_keys(VALID, SALT, CHEAP)
    assert derive_reporter_keys(VALID, bytes(16), CHEAP) != one
    other = "2" * 19 + check_symbol("2" * 19)
    assert derive_reporter_keys(other, SALT, CHEAP) != one
    assert one.keypair.private.hex() not in repr(one)


def test_salt_length_checked() -> None:
    with pytest.raises(ValueError, match="16 bytes"):
        derive_reporter_keys(VALID, bytes(15), CHEAP)


def test_format_rejects_wrong_length() -> None:
    with pytest.raises(ReceiptError):
        format_receipt("ABC")
