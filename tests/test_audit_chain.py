"""Verifying the audit chains on a live system: a consistent snapshot, no false alarms.

`redress audit verify` and the auditor's page reported "entries at the end were deleted" while
someone used the console: they read the events, then the head, and appends in between looked like
a truncated log. These tests verify while another connection appends, on both engines, and check
that a real break is still reported exactly, every time.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import REPORTER, SYSTEM, AuditAction
from redress.store import clock
from redress.store.db import Database
from redress.store.models import AuditEvent, ReporterAuditEvent

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


# The reporter chain: its own sequence, the day only, and the same tamper evidence.


def _alter(db: Session) -> None:
    db.execute(
        update(ReporterAuditEvent)
        .where(ReporterAuditEvent.seq == 2)
        .values(detail='{"attachments":9}')
    )


def _delete(db: Session) -> None:
    db.execute(delete(ReporterAuditEvent).where(ReporterAuditEvent.seq == 2))


def _relink(db: Session) -> None:
    db.execute(
        update(ReporterAuditEvent)
        .where(ReporterAuditEvent.seq == 2)
        .values(previous_hash=bytes(32))
    )


def _truncate(db: Session) -> None:
    db.execute(delete(ReporterAuditEvent).where(ReporterAuditEvent.seq == 3))


def _insert_after_the_head(db: Session) -> None:
    """A forged entry, hashed as if appended, without advancing the head."""
    last = db.scalars(select(ReporterAuditEvent).where(ReporterAuditEvent.seq == 3)).one()
    forged = ReporterAuditEvent(
        seq=4,
        occurred_on=last.occurred_on,
        case_id=last.case_id,
        action="case.received",
        detail="{}",
        previous_hash=last.hash,
    )
    forged.hash = audit.reporter_chain_hash(last.hash, forged)
    db.add(forged)


REPORTER_TAMPERING = {
    "altered": (_alter, (2, "was altered")),
    "deleted": (_delete, (2, "entry 2 is missing")),
    "relinked": (_relink, (2, "does not follow the entry before it")),
    "deleted at the end": (_truncate, (3, "entries at the end were deleted")),
    "inserted at the end": (_insert_after_the_head, (4, "was added after the last recorded entry")),
}


def record_reporter_events(db: Session, number: int) -> None:
    for index in range(number):
        audit.record(
            db, AuditAction.CASE_RECEIVED, REPORTER, case_id=f"{index:032x}", detail={"n": index}
        )
    db.commit()


@pytest.mark.parametrize("tamper", list(REPORTER_TAMPERING), ids=list(REPORTER_TAMPERING))
def test_the_reporter_chain_shows_tampering_like_the_staff_chain(db: Session, tamper: str) -> None:
    audit.record(db, AuditAction.CASE_VIEWED, SYSTEM)
    record_reporter_events(db, 3)
    state = audit.verify_chains(db)
    assert (state.staff, state.reporter) == (None, None)
    assert (state.staff_entries, state.reporter_entries) == (1, 3)
    change, expected = REPORTER_TAMPERING[tamper]
    change(db)
    db.commit()
    state = audit.verify_chains(db)
    assert state.staff is None
    assert state.reporter is not None
    assert (state.reporter.seq, state.reporter.reason) == expected
    assert state.reporter.chain == audit.REPORTER_CHAIN
    assert audit.verify_chain(db) == state.reporter


def test_reporter_events_are_dated_to_the_day_and_nothing_else(db: Session) -> None:
    event = audit.record(db, AuditAction.CASE_RECEIVED, REPORTER, case_id="a" * 32)
    db.commit()
    assert isinstance(event, ReporterAuditEvent)
    assert event.occurred_on == clock.today()
    with pytest.raises(ValueError, match="not something a reporter does"):
        audit.record(db, AuditAction.CASE_VIEWED, REPORTER)


def test_both_chains_hash_as_docs_crypto_format_says(db: Session) -> None:
    """§13 "The audit chains", with hashlib alone."""
    staff = audit.record(db, AuditAction.CASE_VIEWED, SYSTEM, case_id="e" * 32, detail={"n": 1})
    reporter = audit.record(db, AuditAction.CASE_RECEIVED, REPORTER, case_id="e" * 32)
    db.commit()
    assert isinstance(staff, AuditEvent)
    assert isinstance(reporter, ReporterAuditEvent)

    def digest(previous: bytes, fields: dict[str, object], domain: bytes) -> bytes:
        canonical = json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()
        return hashlib.blake2b(previous + canonical, digest_size=32, key=domain).digest()

    staff_fields = {
        "seq": 1,
        "occurred_at": staff.occurred_at.strftime("%Y-%m-%dT%H:%M:%S"),
        "actor": "system",
        "caseworker_id": None,
        "case_id": "e" * 32,
        "action": "case.viewed",
        "detail": '{"n":1}',
    }
    reporter_fields = {
        "seq": 1,
        "occurred_on": clock.today().isoformat(),
        "case_id": "e" * 32,
        "action": "case.received",
        "detail": "{}",
    }
    assert staff.hash == digest(bytes(32), staff_fields, b"redress-audit-v1")
    assert reporter.hash == digest(bytes(32), reporter_fields, b"redress-reporter-audit-v1")
