"""Database engine and session factory for SQLite (embedded default) and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker


def _configure_sqlite(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    # Overwrite freed pages so a deleted row (for instance a crypto-shredded case key) does not
    # linger in the file.
    cursor.execute("PRAGMA secure_delete=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine; SQLite connections get foreign keys, WAL and secure deletion,
    PostgreSQL ones plans made for each statement's own values."""
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"check_same_thread": False})
        event.listen(engine, "connect", _configure_sqlite)
        return engine
    # psycopg prepares a statement after a few runs, and PostgreSQL may then plan it once for
    # any parameters: the case list's filters (dates, statuses, a caseworker's share of cases)
    # need plans made for their values, measured 1.7x faster (bench/bench_caselist.py).
    options = "-c plan_cache_mode=force_custom_plan"
    return create_engine(url, pool_pre_ping=True, connect_args={"options": options})


class Database:
    """One engine and its session factory; services receive sessions explicitly."""

    def __init__(self, url: str) -> None:
        self.engine = make_engine(url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    def session(self) -> Session:
        return self.sessions()

    def dispose(self) -> None:
        self.engine.dispose()
