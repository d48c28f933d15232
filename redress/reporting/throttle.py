"""Flood and brute-force limits that need no client address.

Behind Tor every reporter arrives from the same address, so nothing here is per client. Three
process-wide limits protect the intake:

- :class:`KdfSlots` bounds concurrent Argon2id derivations (receipt logins and submissions) to a
  fixed number of slots with a short queue; beyond it callers get :class:`Busy` at once or after a
  short wait, instead of exhausting CPU and memory (each derivation holds 64 MiB).
- :class:`WindowBudget` counts events (failed receipts, submissions) in the current minute. Past a
  soft limit each further event is slowed down progressively — one at a time: while one request
  sits out its delay, others are refused at once, so waiting requests never occupy the server's
  threads and cheap pages stay responsive — and past the hard limit every event is refused.

State lives in memory only, so no timing of any reporter action is ever written down. Each server
worker process has its own limits: the machine-wide bound is the per-process one times the number
of workers (documented in docs/operations.md).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

RETRY_AFTER_SECONDS = 60


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
