"""Revision 0005 on both engines: reporter entries recorded before it leave the staff chain.

Before 0005 a reporter's `case.received` took the next place in the one chain, between staff
entries with exact times. The upgrade moves such entries into the reporter chain and re-links
the staff chain without them, but only a staff chain that verifies: re-linking a broken one
would hide the break. The downgrade merges them back at the start of their day.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime

import pytest
from alembic import command
from alembic.config import Config as AlembicConfig
from sqlalchemy import Engine, insert, select, update

from redress import audit
from redress.audit import GENESIS
from redress.store.db import Database, make_engine
from redress.store.migrations import alembic_config
from redress.store.models import AuditEvent, AuditHead

DAY = date(2026, 1, 5)
# A 0003-era chain: the reporter's entries at midnight, in their place among staff entries.
OLD_CHAIN = [
    ("caseworker", datetime(2026, 1, 5, 9, 0, 1), "login", None),
    ("reporter", datetime(2026, 1, 5), "case.received", "a" * 32),
    ("caseworker", datetime(2026, 1, 5, 9, 0, 7), "case.viewed", "a" * 32),
    ("reporter", datetime(2026, 1, 5), "case.received", "b" * 32),
    ("system", datetime(2026, 1, 5, 9, 0, 9), "account.created", None),
]


@pytest.fixture
def migrations(database_url: str) -> Iterator[tuple[Engine, AlembicConfig]]:
    engine = make_engine(database_url)
    config = alembic_config(engine)
    command.downgrade(config, "0003")
    try:
        yield engine, config
    finally:
        command.upgrade(config, "head")
        engine.dispose()


def write_old_chain(engine: Engine) -> None:
    previous = GENESIS
    with engine.begin() as connection:
        for seq, (actor, at, action, case_id) in enumerate(OLD_CHAIN, start=1):
            event = AuditEvent(
                seq=seq,
                occurred_at=at,
                actor=actor,
                caseworker_id="c" * 32 if actor == "caseworker" else None,
                case_id=case_id,
                action=action,
                detail="{}",
                previous_hash=previous,
            )
            event.hash = audit.chain_hash(previous, event)
            connection.execute(
                insert(AuditEvent).values(
                    {
                        column: getattr(event, column)
                        for column in AuditEvent.__table__.columns.keys()
                    }
                )
            )
            previous = event.hash
        connection.execute(insert(AuditHead).values(id=1, seq=len(OLD_CHAIN), last_hash=previous))


def staff_rows(engine: Engine) -> list[tuple[int, str, str]]:
    with engine.connect() as connection:
        rows = connection.execute(
            select(AuditEvent.seq, AuditEvent.actor, AuditEvent.action).order_by(AuditEvent.seq)
        )
        return [(seq, actor, action) for seq, actor, action in rows]


def test_upgrade_moves_reporter_entries_to_their_chain_and_downgrade_merges_them(
    database_url: str, migrations: tuple[Engine, AlembicConfig]
) -> None:
    engine, config = migrations
    write_old_chain(engine)
    command.upgrade(config, "head")

    assert staff_rows(engine) == [
        (1, "caseworker", "login"),
        (2, "caseworker", "case.viewed"),
        (3, "system", "account.created"),
    ]
    database = Database(database_url)
    try:
        with database.session() as db:
            state = audit.verify_chains(db)
            page = audit.reporter_events(db)
    finally:
        database.dispose()
    assert state.problems == []
    assert (state.staff_entries, state.reporter_entries) == (3, 2)
    assert [(row.seq, row.occurred_on, row.case_id) for row in reversed(page.rows)] == [
        (1, DAY, "a" * 32),
        (2, DAY, "b" * 32),
    ]

    command.downgrade(config, "0003")
    assert staff_rows(engine) == [
        (1, "reporter", "case.received"),
        (2, "reporter", "case.received"),
        (3, "caseworker", "login"),
        (4, "caseworker", "case.viewed"),
        (5, "system", "account.created"),
    ]
    with engine.connect() as connection:
        events = connection.execute(select(AuditEvent).order_by(AuditEvent.seq)).all()
    previous = GENESIS
    for row in events:
        event = AuditEvent(**row._mapping)
        assert event.previous_hash == previous
        assert audit.chain_hash(previous, event) == event.hash
        previous = event.hash


def test_upgrade_leaves_a_broken_staff_chain_as_it_is(
    database_url: str, migrations: tuple[Engine, AlembicConfig]
) -> None:
    engine, config = migrations
    write_old_chain(engine)
    with engine.begin() as connection:
        connection.execute(update(AuditEvent).where(AuditEvent.seq == 3).values(detail='{"x":1}'))
    command.upgrade(config, "head")

    assert [actor for _seq, actor, _action in staff_rows(engine)] == [
        actor for actor, *_rest in OLD_CHAIN
    ]
    database = Database(database_url)
    try:
        with database.session() as db:
            state = audit.verify_chains(db)
    finally:
        database.dispose()
    assert state.staff is not None
    assert (state.staff.seq, state.staff.reason) == (3, "was altered")
    assert state.reporter is None
    assert state.reporter_entries == 0
