"""Tests that must run alone while the others run in parallel (pytest-xdist).

A test marked ``serial`` measures something the rest of the session would disturb: latency under
load, say, on a machine whose cores the other workers are using. The workers of one session share
a readers-writer lock made of two ``flock(2)`` locks in a directory the controller creates: every
test holds the main lock shared while it runs (setup and teardown included); a serial test holds
it exclusively, so it starts once the tests under way on other workers have finished, and no other
test starts until it is done. A serial test waiting for the lock first closes the gate, which
every test passes on its way to the main lock, so a steady stream of short tests cannot keep it
waiting.

The lock covers one session only: nothing here can make another test run on the same machine
(a second checkout's ``make test``, say) wait.
"""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

MARKER = "serial"


class SessionLock:
    """The readers-writer lock shared by the workers of one test session."""

    def __init__(self, directory: Path) -> None:
        self.gate = directory / "gate.lock"
        self.main = directory / "main.lock"

    @contextmanager
    def _locked(self, path: Path, operation: int) -> Iterator[None]:
        with path.open("a") as handle:
            fcntl.flock(handle, operation)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    @contextmanager
    def shared(self) -> Iterator[None]:
        """Held by every ordinary test: waits while a serial test waits or runs."""
        with ExitStack() as held:
            with self._locked(self.gate, fcntl.LOCK_SH):
                held.enter_context(self._locked(self.main, fcntl.LOCK_SH))
            yield

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Held by a serial test: no other test of the session runs meanwhile."""
        with self._locked(self.gate, fcntl.LOCK_EX), self._locked(self.main, fcntl.LOCK_EX):
            yield
