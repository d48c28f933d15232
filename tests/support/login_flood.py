"""Real receipt logins during a flood of wrong ones, against a running intake (tests and bench).

The attacker of finding 11: one client posting well-formed but wrong receipt codes (each passes
the check symbol, so each reaches Argon2id) to POST /login at a steady rate from a few threads,
reusing one session and CSRF token per thread. Meanwhile real reporters, each with a receipt
created through POST /report, open the login page afresh (a new cookie, as a new Tor Browser
session would) and log in every few seconds: some as Tor Browser "Safest" does, JavaScript off,
sending no proof; others as a JavaScript-enabled browser does, solving the page's proof-of-work
challenge first. The solver here is written from the format in docs/crypto-format.md, not taken
from the server's code.

Only the standard library, over loopback; one connection per request.
"""

from __future__ import annotations

import hashlib
import http.client
import re
import threading
import time
from collections import Counter
from dataclasses import dataclass, field

from crypto.receipts import new_receipt
from tests.support.loopback import DEFAULT_TIMEOUT, exchange

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{64})"')
_RECEIPT = re.compile(r'id="receipt"[^>]*>([0-9A-Z-]+)</p>')
_CHALLENGE = re.compile(r'name="challenge" type="hidden" value="([^"]+)"')


def create_receipts(port: int, count: int) -> list[str]:
    """Send `count` reports through POST /report; their receipts."""
    receipts = []
    for number in range(count):
        page = exchange(port, "GET", "/report", {})
        csrf, token = _CSRF.search(page.body), _SUBMISSION_TOKEN.search(page.body)
        assert csrf, "no CSRF token on the report form"
        assert token, "no submission token on the report form"
        form = {
            "csrf_token": csrf[1],
            "submission_token": token[1],
            "what_happened": f"A real report, number {number}.",
        }
        sent = exchange(port, "POST", "/report", page.cookies, form)
        receipt = _RECEIPT.search(sent.body)
        assert sent.status == 201, f"POST /report answered {sent.status}"
        assert receipt, "no receipt on the page"
        receipts.append(receipt[1])
    return receipts


def leading_zero_bits(digest: bytes) -> int:
    bits = 0
    for byte in digest:
        if byte:
            return bits + 8 - byte.bit_length()
        bits += 8
    return bits


def solve(challenge: str) -> str:
    """The smallest counter whose SHA-256 with the challenge has the leading zero bits asked."""
    bits = int(challenge.split(".")[1])
    prefix = challenge.encode() + b"."
    counter = 0
    while leading_zero_bits(hashlib.sha256(prefix + str(counter).encode()).digest()) < bits:
        counter += 1
    return str(counter)


@dataclass
class Logins:
    """What the real reporters of one kind saw."""

    served: int = 0  # redirected to their inbox
    busy: int = 0  # 503
    other: Counter[str] = field(default_factory=Counter)  # anything else, which is a failure
    seconds: list[float] = field(default_factory=list)  # POST sent to answer received

    @property
    def attempts(self) -> int:
        return self.served + self.busy + sum(self.other.values())

    @property
    def share(self) -> float:
        return self.served / self.attempts if self.attempts else 0.0


@dataclass
class FloodOutcome:
    flood: Counter[int] = field(default_factory=Counter)  # status -> count
    flood_errors: int = 0
    flood_seconds: float = 0.0
    js_off: Logins = field(default_factory=Logins)
    proven: Logins = field(default_factory=Logins)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def flood_rate(self) -> float:
        sent = sum(self.flood.values()) + self.flood_errors
        return sent / self.flood_seconds if self.flood_seconds else 0.0


@dataclass(frozen=True)
class FloodPlan:
    seconds: float  # how long the flood lasts
    rate: float = 26.0  # wrong receipts per second, from all flood threads together
    threads: int = 8
    real_every: float = 2.0  # each real reporter logs in this often (seconds)


class LoginFlood:
    def __init__(self, port: int, plan: FloodPlan) -> None:
        self.port = port
        self.plan = plan
        self.outcome = FloodOutcome()
        self._stop = threading.Event()

    def _flooder(self, offset: float, start: float) -> None:
        page = exchange(self.port, "GET", "/login", {})
        csrf = _CSRF.search(page.body)
        assert csrf, "no CSRF token on the login page"
        interval = self.plan.threads / self.plan.rate
        due = start + offset
        while not self._stop.is_set():
            pause = due - time.monotonic()
            if pause > 0 and self._stop.wait(pause):
                break
            due += interval
            form = {"csrf_token": csrf[1], "receipt": new_receipt()}
            try:
                reply = exchange(self.port, "POST", "/login", page.cookies, form)
            except (OSError, http.client.HTTPException):
                with self.outcome.lock:
                    self.outcome.flood_errors += 1
                continue
            with self.outcome.lock:
                self.outcome.flood[reply.status] += 1

    def _reporter(self, receipt: str, proven: bool, offset: float) -> None:
        logins = self.outcome.proven if proven else self.outcome.js_off
        if self._stop.wait(offset):
            return
        while not self._stop.is_set():
            started = time.monotonic()
            result, seconds = self.log_in(receipt, proven)
            with self.outcome.lock:
                logins.seconds.append(seconds)
                if result == "served":
                    logins.served += 1
                elif result == "busy":
                    logins.busy += 1
                else:
                    logins.other[result] += 1
            self._stop.wait(max(0.0, self.plan.real_every - (time.monotonic() - started)))

    def log_in(self, receipt: str, proven: bool) -> tuple[str, float]:
        """One real login from a fresh browser session: "served", "busy" or what went wrong, and
        the seconds from sending the form to its answer."""
        sent = time.monotonic()
        try:
            page = exchange(self.port, "GET", "/login", {})
            csrf = _CSRF.search(page.body)
            if page.status != 200 or not csrf:
                return f"login page {page.status}", 0.0
            form = {"csrf_token": csrf[1], "receipt": receipt}
            challenge = _CHALLENGE.search(page.body)
            if challenge:
                # A JavaScript-off browser sends the challenge with an empty proof field.
                form |= {"challenge": challenge[1], "proof": solve(challenge[1]) if proven else ""}
            sent = time.monotonic()
            reply = exchange(self.port, "POST", "/login", page.cookies, form)
        except (OSError, http.client.HTTPException) as error:
            return type(error).__name__, time.monotonic() - sent
        seconds = time.monotonic() - sent
        if reply.status == 302 and (reply.location or "").endswith("/inbox"):
            return "served", seconds
        if reply.status == 503:
            return "busy", seconds
        return f"status {reply.status}", seconds

    def run(self, js_off: list[str], proven: list[str]) -> FloodOutcome:
        """Flood for the plan's seconds while the reporters with these receipts log in."""
        start = time.monotonic() + 0.2
        flooders = [
            threading.Thread(
                target=self._flooder,
                args=(n / self.plan.rate, start),
                name=f"flood {n}",
                daemon=True,
            )
            for n in range(self.plan.threads)
        ]
        reporters = [
            threading.Thread(
                target=self._reporter,
                # Staggered, and only once the flood has filled the queues.
                args=(receipt, kind, 1.0 + n * self.plan.real_every / (len(js_off) + len(proven))),
                name=f"reporter {n}",
                daemon=True,
            )
            for n, (receipt, kind) in enumerate(
                [(r, False) for r in js_off] + [(r, True) for r in proven]
            )
        ]
        for thread in flooders + reporters:
            thread.start()
        self._stop.wait(max(0.0, start - time.monotonic()) + self.plan.seconds)
        self._stop.set()
        # Nothing new is sent from now on; what is under way is waited for and counted.
        self.outcome.flood_seconds = time.monotonic() - start
        for thread in flooders + reporters:
            thread.join(timeout=DEFAULT_TIMEOUT + 5)
        return self.outcome
