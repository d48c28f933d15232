"""One consistent, read-only view of the database, however long the reading takes.

Verifying a chain reads its head and then every entry. Read in separate statements of an
ordinary transaction, an append committed in between shows a head that the entries read do not
reach (or entries the head read does not cover), which looks exactly like tampering. A snapshot
sees the database as it was when it started, whatever others commit meanwhile:

- **PostgreSQL**: a ``REPEATABLE READ`` read-only transaction, whose snapshot is taken at its
  first statement and kept until it ends.
- **SQLite** (WAL mode): an explicit ``BEGIN``, whose read transaction starts at its first
  statement and sees that version of the database until it ends, while writers append to the
  WAL. (Python's sqlite3 module would otherwise run each ``SELECT`` on its own.)

The snapshot is a connection of its own, so it neither depends on nor disturbs the caller's
session and its transaction.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session


def _engine_of(db: Session) -> Engine:
    bind = db.get_bind()
    return bind.engine if isinstance(bind, Connection) else bind


@contextmanager
def snapshot(db: Session) -> Iterator[Connection]:
    """A read-only connection whose reads all see one moment of the database."""
    engine = _engine_of(db)
    with engine.connect() as connection:
        if engine.dialect.name == "postgresql":
            isolated = connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
            with isolated.begin():
                yield isolated
            return
        with connection.begin():
            connection.exec_driver_sql("BEGIN")
            yield connection
