"""The login page's proof-of-work challenge: signed, short-lived, single use, cheap to check.

Proofs are solved with the test suite's own solver (tests/support/login_flood.py), written from
the format in docs/crypto-format.md, so these tests check the server against the format.
"""

from __future__ import annotations

import hashlib
import os
import time
from collections.abc import Callable

import pytest

from crypto.params import RECEIPT_KDF_PARAMS
from crypto.receipts import derive_reporter_keys, new_receipt, normalise_receipt
from redress.reporting.challenges import LIFETIME_SECONDS, LoginChallenges
from tests.support.login_flood import leading_zero_bits, solve

KEY = bytes(range(32))
BITS = 8


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def challenges(clock: Clock) -> LoginChallenges:
    return LoginChallenges(KEY, BITS, clock=clock)


def solved(challenges: LoginChallenges) -> tuple[str, str]:
    challenge = challenges.issue()
    return challenge, solve(challenge)


def tampered(challenge: str, part: int, value: str) -> str:
    parts = challenge.split(".")
    parts[part] = value
    return ".".join(parts)


def failing_counter(challenge: str, bits: int) -> str:
    """A counter whose hash falls short of `bits` zero bits."""
    counter = 0
    while leading_zero_bits(hashlib.sha256(f"{challenge}.{counter}".encode()).digest()) >= bits:
        counter += 1
    return str(counter)


def test_the_known_answer_in_crypto_format_md() -> None:
    """docs/crypto-format.md §15's test vector."""
    challenges = LoginChallenges(bytes(32), 8, clock=lambda: 1_700_000_000.0)
    challenge = (
        "1.8.1700000400.00112233445566778899aabbccddeeff."
        "6e3be127f5230fdd3ab0191d0a1c2ea7decfa58c3764bc0a14ce061755bf258d"
    )
    assert solve(challenge) == "99"
    assert hashlib.sha256(f"{challenge}.99".encode()).hexdigest() == (
        "003b8fcc25a50e4960a6bc897e0d46a217b4bc1ee427a866b07b03f5c2f733d5"
    )
    assert challenges.check(challenge, "99") == "00112233445566778899aabbccddeeff"
    assert challenges.check(challenge, "98") is None


def test_a_valid_proof_is_accepted_once(challenges: LoginChallenges) -> None:
    challenge, counter = solved(challenges)
    assert challenges.redeem(challenge, counter)
    assert not challenges.redeem(challenge, counter), "a proof was accepted twice"
    assert challenges.spent == 1


def test_another_solution_of_a_spent_challenge_is_refused(challenges: LoginChallenges) -> None:
    challenge, counter = solved(challenges)
    assert challenges.redeem(challenge, counter)
    prefix = f"{challenge}.".encode()
    second = int(counter) + 1
    while leading_zero_bits(hashlib.sha256(prefix + str(second).encode()).digest()) < BITS:
        second += 1
    assert challenges.check(challenge, str(second)) is not None
    assert not challenges.redeem(challenge, str(second))


@pytest.mark.parametrize(
    ("name", "forge"),
    [
        ("tag changed", lambda c: tampered(c, 4, "0" * 64)),
        ("nonce changed", lambda c: tampered(c, 3, "f" * 32)),
        ("expiry moved", lambda c: tampered(c, 2, str(int(c.split(".")[2]) + 60))),
        ("bits lowered", lambda c: tampered(c, 1, "1")),
        ("version changed", lambda c: tampered(c, 0, "2")),
        ("truncated", lambda c: c[:-1]),
        ("extra part", lambda c: c + ".00"),
        ("upper-case hex", lambda c: c.upper()),
        ("empty", lambda c: ""),
        ("overlong", lambda c: c + "0" * 10_000),
    ],
)
def test_forged_challenges_are_refused(
    challenges: LoginChallenges, name: str, forge: Callable[[str], str]
) -> None:
    forged = forge(challenges.issue())
    counter = solve(forged) if forged.count(".") >= 1 and forged.split(".")[1].isdigit() else "0"
    assert challenges.check(forged, counter) is None, name
    assert not challenges.redeem(forged, counter), name


def test_a_challenge_signed_by_another_instance_is_refused(challenges: LoginChallenges) -> None:
    elsewhere = LoginChallenges(os.urandom(32), BITS)
    challenge, counter = solved(elsewhere)
    assert elsewhere.check(challenge, counter) is not None
    assert not challenges.redeem(challenge, counter)


def test_expired_challenges_are_refused(challenges: LoginChallenges, clock: Clock) -> None:
    challenge, counter = solved(challenges)
    clock.now += LIFETIME_SECONDS + 60
    assert not challenges.redeem(challenge, counter)


def test_a_challenge_dated_beyond_its_lifetime_is_refused(clock: Clock) -> None:
    """One issued by a node whose clock runs far ahead (or by a longer-lived configuration)."""
    ahead = Clock()
    ahead.now = clock.now + 3600
    challenge = LoginChallenges(KEY, BITS, clock=ahead).issue()
    assert not LoginChallenges(KEY, BITS, clock=clock).redeem(challenge, solve(challenge))


def test_the_expiry_does_not_tell_the_second_the_page_was_opened(
    challenges: LoginChallenges, clock: Clock
) -> None:
    expires = int(challenges.issue().split(".")[2])
    assert expires % 60 == 0
    assert clock.now + LIFETIME_SECONDS <= expires < clock.now + LIFETIME_SECONDS + 60


def test_a_proof_at_another_difficulty_is_refused(clock: Clock) -> None:
    easier = LoginChallenges(KEY, BITS - 4, clock=clock)
    harder = LoginChallenges(KEY, BITS + 1, clock=clock)
    checked = LoginChallenges(KEY, BITS, clock=clock)
    for issuer in (easier, harder):
        challenge = issuer.issue()  # validly signed, but not at the difficulty asked now
        assert not checked.redeem(challenge, solve(challenge))


def test_a_counter_short_of_the_difficulty_is_refused(challenges: LoginChallenges) -> None:
    challenge = challenges.issue()
    assert not challenges.redeem(challenge, failing_counter(challenge, BITS))


@pytest.mark.parametrize("counter", ["", "-1", "1.0", "+5", "١٢", "0x10", "1" * 17, " 7"])
def test_malformed_counters_are_refused(challenges: LoginChallenges, counter: str) -> None:
    assert not challenges.redeem(challenges.issue(), counter)


def test_spent_proofs_are_bounded_and_forgotten_after_expiry(clock: Clock) -> None:
    challenges = LoginChallenges(KEY, BITS, clock=clock, max_spent=2)
    first, second, third = (solved(challenges) for _ in range(3))
    assert challenges.redeem(*first)
    assert challenges.redeem(*second)
    assert not challenges.redeem(*third), "past the bound, proofs are refused, not forgotten"
    clock.now += LIFETIME_SECONDS + 60
    assert challenges.redeem(*solved(challenges))
    assert challenges.spent == 1


def test_difficulty_out_of_range_is_refused() -> None:
    for bits in (0, 33):
        with pytest.raises(ValueError, match="bits"):
            LoginChallenges(KEY, bits)


def test_checking_a_proof_costs_far_less_than_one_receipt_derivation() -> None:
    """Relative, on the same machine at the same time: a hundred checks (valid and forged) take
    less time than one Argon2id receipt derivation at the production cost."""
    challenges = LoginChallenges(KEY, BITS)
    valid = [solved(challenges) for _ in range(50)]
    forged = [(tampered(c, 4, "a" * 64), n) for c, n in valid]
    receipt = normalise_receipt(new_receipt())
    salt = os.urandom(16)
    derive_reporter_keys(receipt, salt, RECEIPT_KDF_PARAMS)  # warm up
    started = time.perf_counter()
    derive_reporter_keys(receipt, salt, RECEIPT_KDF_PARAMS)
    derivation = time.perf_counter() - started
    started = time.perf_counter()
    results = [challenges.check(c, n) for c, n in valid + forged]
    checks = time.perf_counter() - started
    assert all(results[:50])
    assert not any(results[50:])
    assert checks < derivation, f"100 checks: {checks:.4f} s; one Argon2id: {derivation:.4f} s"
