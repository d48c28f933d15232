"""Verifying the audit chains on a live system: a consistent snapshot, no false alarms.

`redress audit verify` and the auditor's page reported "entries at the end were deleted" while
someone used the console: they read the events, then the head, and appends in between looked like
a truncated log. These tests verify while another connection appends, on both engines, and check
that a real break is still reported exactly, every time.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from sqlalchemy import update

from redress import audit
from redress.audit import SYSTEM, AuditAction
from redress.store.db import Database
from redress.store.models import AuditEvent

CHAIN_LENGTH = 1500
VERIFICATIONS = 5


def append_events(database: Database, number: int) -> None:
    with database.session() as db:
        for index in range(number):
            audit.record(db, AuditAction.CASE_VIEWED, SYSTEM, detail={"n": index})
        db.commit()


@contextmanager
def staff_at_work(url: str) -> Iterator[Callable[[], int]]:
    """Another connection appending events, one transaction each, until the block ends; yields
    a function giving how many it has appended so far."""
    stop = threading.Event()
    appended = [0]
    failures: list[BaseException] = []

    def work() -> None:
        database = Database(url)
        try:
            while not stop.is_set():
                with database.session() as db:
                    audit.record(db, AuditAction.CASES_LISTED, SYSTEM, detail={"page": 1})
                    db.commit()
                appended[0] += 1
        except BaseException as error:  # reported by the test, not lost in the thread
            failures.append(error)
        finally:
            database.dispose()

    writer = threading.Thread(target=work, name="staff at work")
    writer.start()
    try:
        deadline = time.monotonic() + 10
        while appended[0] < 3 and not failures:
            assert time.monotonic() < deadline, "the writer appended nothing"
            time.sleep(0.01)
        yield lambda: appended[0]
    finally:
        stop.set()
        writer.join(timeout=30)
    assert not failures, f"the writer failed: {failures[0]!r}"


def verify_fresh(database: Database) -> audit.ChainProblem | None:
    """As `redress audit verify` does: a new session for each verification."""
    with database.session() as db:
        return audit.verify_chain(db)


def test_verifying_while_staff_work_raises_no_false_alarm(database: Database) -> None:
    append_events(database, CHAIN_LENGTH)
    with staff_at_work(database.engine.url.render_as_string(hide_password=False)) as appended:
        before = appended()
        problems = [verify_fresh(database) for _ in range(VERIFICATIONS)]
        during = appended() - before
    assert during > 0, "nothing was appended while the chain was verified"
    assert problems == [None] * VERIFICATIONS


def test_a_real_break_is_reported_exactly_while_staff_work(database: Database) -> None:
    append_events(database, CHAIN_LENGTH)
    with database.session() as db:
        db.execute(update(AuditEvent).where(AuditEvent.seq == 7).values(detail='{"n":99}'))
        db.commit()
    with staff_at_work(database.engine.url.render_as_string(hide_password=False)):
        problems = [verify_fresh(database) for _ in range(VERIFICATIONS)]
    assert [(problem.seq, problem.reason) for problem in problems if problem] == [
        (7, "was altered")
    ] * VERIFICATIONS
