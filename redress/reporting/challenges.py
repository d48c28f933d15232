"""The optional proof of work that gives a receipt login its own lane during a flood.

The login page carries a challenge the server signed; a small script on that page (served by the
intake itself) finds a counter whose SHA-256 with the challenge starts with ``bits`` zero bits
and puts it in a hidden field. A browser with JavaScript off sends the field empty and is served
in the ordinary lane, as before; a valid proof is served in a lane of its own, so a flood that
does not do the work cannot crowd it out. The format (docs/crypto-format.md)::

    challenge = "1." bits "." expires "." nonce "." tag
    tag       = hex(HMAC-SHA256(key, "1." bits "." expires "." nonce))
    key       = HMAC-SHA256(intake secret key, "redress/login-challenge/v1")
    valid     = SHA-256(challenge "." counter) has at least `bits` leading zero bits

``bits`` is decimal, ``expires`` a Unix time in whole minutes' seconds (rounded up, so it does
not tell the second the page was opened), ``nonce`` 16 random bytes in hex and ``counter`` 1 to
16 decimal digits. Checking a proof costs one HMAC and one SHA-256, and happens before any
Argon2id work.

Issuing keeps no state. Redeeming a proof remembers its nonce until the challenge expires, in
memory, so a proof is accepted once **per server process**: with W intake workers on each of N
nodes a proof could be redeemed up to W x N times (docs/threat-model.md). Nothing is ever
written down.
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable

VERSION = "1"
LIFETIME_SECONDS = 600
MAX_BITS = 32
# Spent nonces kept per process (about 100 bytes each); past it, proofs are not accepted (their
# logins go to the ordinary lane) until older challenges expire.
MAX_SPENT = 100_000
_KEY_LABEL = b"redress/login-challenge/v1"
_MAX_CHALLENGE_LENGTH = 128
_CHALLENGE = re.compile(r"\A1\.([1-9][0-9]?)\.([0-9]{1,12})\.([0-9a-f]{32})\.([0-9a-f]{64})\Z")
_COUNTER = re.compile(r"\A[0-9]{1,16}\Z")


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def _tag(key: bytes, signed: str) -> str:
    return hmac.new(key, signed.encode(), hashlib.sha256).hexdigest()


class LoginChallenges:
    """Issues signed challenges at a fixed difficulty and redeems each valid proof once."""

    def __init__(
        self,
        secret_key: bytes,
        bits: int,
        *,
        lifetime: int = LIFETIME_SECONDS,
        max_spent: int = MAX_SPENT,
        clock: Callable[[], float] = time.time,
    ) -> None:
        if not 1 <= bits <= MAX_BITS:
            raise ValueError(f"bits must be 1 to {MAX_BITS}")
        self.bits = bits
        self._key = hmac.new(secret_key, _KEY_LABEL, hashlib.sha256).digest()
        self._lifetime = lifetime
        self._max_spent = max_spent
        self._clock = clock
        self._lock = threading.Lock()
        # nonce -> expiry, in the order redeemed. Proofs are not redeemed in the order their
        # challenges expire, so an entry may outlive its expiry behind an older one (by less
        # than one lifetime); none is forgotten before it expires.
        self._spent: OrderedDict[str, int] = OrderedDict()

    def issue(self) -> str:
        expires = math.ceil((self._clock() + self._lifetime) / 60) * 60
        signed = f"{VERSION}.{self.bits}.{expires}.{secrets.token_hex(16)}"
        return f"{signed}.{_tag(self._key, signed)}"

    def check(self, challenge: str, counter: str) -> str | None:
        """The challenge's nonce if the proof is valid and current (not yet spent), else None."""
        if len(challenge) > _MAX_CHALLENGE_LENGTH or not _COUNTER.match(counter):
            return None
        parsed = _CHALLENGE.match(challenge)
        if parsed is None or int(parsed[1]) != self.bits:
            return None
        expires, nonce, tag = int(parsed[2]), parsed[3], parsed[4]
        now = self._clock()
        # Rounding adds up to a minute; allow another for clocks that differ between nodes.
        if expires <= now or expires > now + self._lifetime + 120:
            return None
        if not hmac.compare_digest(_tag(self._key, challenge.rsplit(".", 1)[0]), tag):
            return None
        digest = hashlib.sha256(f"{challenge}.{counter}".encode()).digest()
        if leading_zero_bits(digest) < self.bits:
            return None
        return nonce

    def redeem(self, challenge: str, counter: str) -> bool:
        """Whether the proof is valid; it is spent (in this process) if so."""
        nonce = self.check(challenge, counter)
        if nonce is None:
            return False
        expires = int(challenge.split(".")[2])
        with self._lock:
            now = self._clock()
            while self._spent and next(iter(self._spent.values())) <= now:
                self._spent.popitem(last=False)
            if nonce in self._spent or len(self._spent) >= self._max_spent:
                return False
            self._spent[nonce] = expires
        return True

    @property
    def spent(self) -> int:
        """How many proofs this process remembers as spent."""
        with self._lock:
            return len(self._spent)
