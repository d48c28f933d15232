"""Flood and brute-force limits that need no client address.

Behind Tor every reporter arrives from the same address, so nothing here is per client. The
intake (``intake.limits``) builds these, per server process:

- :class:`KdfSlots` bounds concurrent Argon2id derivations to a fixed number of slots with a short
  queue; beyond it callers get :class:`Busy` at once or after a short wait, instead of exhausting
  CPU and memory. Submissions have a pool of their own.
- :class:`WindowBudget` counts events (stored submissions) in the current minute. Past a soft limit
  each further event is slowed down progressively — one at a time: while one request sits out its
  delay, others are refused at once, so waiting requests never occupy the server's threads and
  cheap pages stay responsive — and past the hard limit every event is refused.
- :class:`Lane` is how receipt logins are admitted: slots and a bounded queue of its own (when it
  is full, a newcomer takes a random waiter's place), and a :class:`FailureBudget` that refills
  continuously, so a flood of wrong receipts is served at a steady rate instead of spending a
  minute's budget in seconds and locking everyone out for the rest of it. Only failures count: a
  right receipt gives its allowance back. :class:`LoginLanes` holds two lanes, one for logins
  without a proof of work and one for logins with a valid proof (redress.reporting.challenges),
  so a flood that does not do the work cannot crowd out those that do; a proven login that gets
  no place in its lane (every slot deriving, nobody waiting) goes to the other.
- :class:`SharedLogins` is the policy before lanes (logins take slots from the submissions' pool
  and count failures in minute windows), kept as the baseline bench/bench_flood.py measures.

State lives in memory only, so no timing of any reporter action is ever written down. Each server
worker process has its own limits: the machine-wide bound is the per-process one times the number
of workers, and again times the number of nodes (documented in docs/operations.md).
"""

from __future__ import annotations

import secrets
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, ExitStack, contextmanager
from dataclasses import dataclass
from typing import Protocol

RETRY_AFTER_SECONDS = 60
# A login refused by a lane may try again at once; a few seconds spread the retries.
LANE_RETRY_AFTER_SECONDS = 5


class Busy(Exception):
    """The server is at capacity for this kind of work; try again after `retry_after` seconds."""

    def __init__(self, retry_after: int = RETRY_AFTER_SECONDS) -> None:
        super().__init__("busy")
        self.retry_after = retry_after


class KdfSlots:
    """At most `slots` derivations at once, at most `queue` more waiting up to `wait` seconds."""

    def __init__(self, slots: int, queue: int, wait: float) -> None:
        self._slots = threading.BoundedSemaphore(slots)
        self._admitted = threading.BoundedSemaphore(slots + queue)
        self._wait = wait

    @contextmanager
    def slot(self) -> Iterator[None]:
        if not self._admitted.acquire(blocking=False):
            raise Busy()
        try:
            if not self._slots.acquire(timeout=self._wait):
                raise Busy()
            try:
                yield
            finally:
                self._slots.release()
        finally:
            self._admitted.release()


@dataclass
class _Window:
    minute: int = -1
    count: int = 0


class WindowBudget:
    """Events per minute: free up to `soft`, slowed down to `hard`, refused beyond."""

    def __init__(
        self,
        soft: int,
        hard: int,
        *,
        max_delay: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        if not 0 <= soft <= hard:
            raise ValueError("need 0 <= soft <= hard")
        self.soft = soft
        self.hard = hard
        self._max_delay = max_delay
        self._clock = clock
        self._sleep = sleep
        self._lock = threading.Lock()
        self._sleeper = threading.BoundedSemaphore(1)
        self._window = _Window()

    def _current(self) -> _Window:
        minute = int(self._clock() // 60)
        if self._window.minute != minute:
            self._window = _Window(minute=minute)
        return self._window

    def check(self) -> None:
        """Before the guarded work: raise Busy past the hard limit, else wait the slow-down."""
        with self._lock:
            count = self._current().count
        retry_after = 60 - int(self._clock() % 60)
        if count >= self.hard:
            raise Busy(retry_after=retry_after)
        if count >= self.soft:
            if not self._sleeper.acquire(blocking=False):
                raise Busy(retry_after=retry_after)
            try:
                excess = (count - self.soft + 1) / max(1, self.hard - self.soft)
                self._sleep(min(self._max_delay, self._max_delay * excess))
            finally:
                self._sleeper.release()

    def spend(self) -> None:
        """Count one event in the current minute."""
        with self._lock:
            self._current().count += 1


class LaneFull(Busy):
    """Every slot and queue place of a lane is taken: refused before any waiting."""

    def __init__(self) -> None:
        super().__init__(retry_after=LANE_RETRY_AFTER_SECONDS)


class FailureBudget:
    """Failures per minute, refilled continuously: `burst` at once, then one every 60/`per_minute`
    seconds. Callers take an allowance before their work and give it back unless it failed.

    Not locked: the :class:`Lane` that owns it calls it under its own lock.
    """

    def __init__(
        self,
        per_minute: int,
        burst: int | None = None,
        *,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if per_minute <= 0:
            raise ValueError("need per_minute > 0")
        self._rate = per_minute / 60
        self._burst = float(burst if burst is not None else max(1, per_minute // 6))
        self._clock = clock
        self._tokens = self._burst
        self._updated = clock()

    def _refill(self) -> None:
        now = self._clock()
        self._tokens = min(self._burst, self._tokens + (now - self._updated) * self._rate)
        self._updated = now

    def take(self) -> bool:
        """Take one allowance if there is one."""
        self._refill()
        if self._tokens < 1:
            return False
        self._tokens -= 1
        return True

    def give_back(self) -> None:
        self._refill()
        self._tokens = min(self._burst, self._tokens + 1)

    def seconds_to_next(self) -> float:
        """How long until an allowance is available (0 if one is)."""
        self._refill()
        return max(0.0, (1 - self._tokens) / self._rate)


@dataclass
class Attempt:
    """One admitted login; the caller sets `failed` when the receipt matched nothing."""

    lane: str
    failed: bool = False


@dataclass(eq=False)
class _Waiter:
    evicted: bool = False


class Lane:
    """At most `slots` derivations at once, each with an allowance of `budget`, and `queue` more
    callers waiting up to `wait` seconds for both.

    A caller finding every place taken takes the place of a waiting caller chosen at random, who
    is refused (:class:`Busy`); with nobody waiting it is refused at once (:class:`LaneFull`).
    So every attempt has the same chance of being served, however a flood sends its own: a
    client re-sending as soon as it is answered cannot keep the places to itself.
    """

    def __init__(
        self,
        name: str,
        slots: int,
        queue: int,
        wait: float,
        budget: FailureBudget,
        *,
        choose: Callable[[list[_Waiter]], _Waiter] = secrets.choice,
    ) -> None:
        if slots < 1 or queue < 0:
            raise ValueError("need slots >= 1 and queue >= 0")
        self.name = name
        self._slots = slots
        self._places = slots + queue
        self._wait = wait
        self._budget = budget
        self._choose = choose
        self._changed = threading.Condition()
        self._running = 0
        self._waiting: list[_Waiter] = []

    def _admit(self) -> None:
        with self._changed:
            if self._running + len(self._waiting) >= self._places:
                if not self._waiting:
                    raise LaneFull()
                victim = self._choose(self._waiting)
                victim.evicted = True
                self._waiting.remove(victim)
                self._changed.notify_all()
            me = _Waiter()
            self._waiting.append(me)
            deadline = time.monotonic() + self._wait
            while not me.evicted:
                if self._running < self._slots and self._budget.take():
                    self._waiting.remove(me)
                    self._running += 1
                    return
                remaining = deadline - time.monotonic()
                if remaining <= 0:
                    self._waiting.remove(me)
                    break
                next_allowance = self._budget.seconds_to_next() or remaining
                self._changed.wait(min(remaining, next_allowance))
            raise Busy(retry_after=LANE_RETRY_AFTER_SECONDS)

    def _leave(self, failed: bool) -> None:
        with self._changed:
            self._running -= 1
            if not failed:
                self._budget.give_back()
            self._changed.notify_all()

    @contextmanager
    def attempt(self) -> Iterator[Attempt]:
        self._admit()
        attempt = Attempt(self.name)
        try:
            yield attempt
        finally:
            self._leave(attempt.failed)

    @property
    def occupancy(self) -> tuple[int, int]:
        """(running, waiting) right now."""
        with self._changed:
            return self._running, len(self._waiting)


class LoginPolicy(Protocol):
    def attempt(self, proven: bool) -> AbstractContextManager[Attempt]:
        """Admit one receipt login (with a valid proof of work or not), or raise Busy."""
        ...


class LoginLanes:
    """Logins without a proof in `open`; with a valid one in `proven`, or `open` when it is full."""

    def __init__(self, open_lane: Lane, proven: Lane | None) -> None:
        self.open = open_lane
        self.proven = proven

    @contextmanager
    def attempt(self, proven: bool) -> Iterator[Attempt]:
        with ExitStack() as stack:
            admitted: Attempt | None = None
            if proven and self.proven is not None:
                try:
                    admitted = stack.enter_context(self.proven.attempt())
                except LaneFull:
                    admitted = None
            if admitted is None:
                admitted = stack.enter_context(self.open.attempt())
            yield admitted


class SharedLogins:
    """The policy before lanes: logins share `kdf` with submissions, failures count per minute."""

    def __init__(self, kdf: KdfSlots, failures: WindowBudget) -> None:
        self._kdf = kdf
        self._failures = failures

    @contextmanager
    def attempt(self, proven: bool) -> Iterator[Attempt]:
        self._failures.check()
        attempt = Attempt("shared")
        with self._kdf.slot():
            yield attempt
        if attempt.failed:
            self._failures.spend()
