"""The console's case list at 100,000 cases: server time per page and queries per page.

A throwaway SQLite database is migrated and filled in bulk: generating real submissions (with
Argon2 and sealing) would take hours, and the list decrypts nothing, so cases get dummy sealed
keys, a reporter row, some messages (unread in a tenth of the open cases) and blind-index
digests under the caseworker's real index key. Cases spread over ten years, so most are
closed, as in a deployment that has run that long. One caseworker, signed in through the real
login form, asks for the list page through Flask's test client with several filters, sorts
and pages; each variant is timed after a warm-up, and its SQL statements are counted. The deep
page is the one a Next link leads to after 999 pages (its boundary case looked up beforehand).

It runs on SQLite and, where PostgreSQL's server binaries are installed, again on a throwaway
PostgreSQL cluster, vacuumed and analysed after seeding as autovacuum would have been by then.
The databases are measured as migrated (their indexes for the list come from this benchmark).
A smoke run does the same with 60 cases, the deep page being page 2, and 2 requests a variant;
it measures PostgreSQL in the empty database the harness gives it, when it gives one.
"""

from __future__ import annotations

import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, insert, select, text
from sqlalchemy.orm import Session

from bench.harness import Result, Settings
from caseworker import create_app
from crypto.keys import generate_keypair, keypair_from_private, unwrap_private_key
from redress.casework.caselist import PAGE_SIZE
from redress.keys.blind_index import index_digest, open_index_key
from redress.staff import totp
from redress.staff.accounts import NewAccount, add_caseworker
from redress.store import clock
from redress.store.migrations import upgrade
from redress.store.models import (
    Author,
    Base,
    BlindIndex,
    Case,
    CaseKey,
    CaseStatus,
    Caseworker,
    KeyKind,
    Message,
    Recipient,
    Reporter,
    Role,
    new_id,
)
from tests.support.instance import CHEAP_KDF, throwaway_config
from tests.support.postgres import PostgresUnavailable, throwaway_postgres


@dataclass(frozen=True)
class Sizes:
    cases: int
    runs: int  # timed requests per variant
    deep_page: int  # the page a Next link leads to; needs (deep_page - 1) * PAGE_SIZE cases


FULL = Sizes(cases=100_000, runs=50, deep_page=1000)
SMOKE = Sizes(cases=PAGE_SIZE + 10, runs=2, deep_page=2)
TARGET_MS = 150
BATCH = 10_000
SEED_CACHE_KIB = 256 * 1024
COUNTRIES = ("Freedonia", "Sylvania", "Ruritania", "Latveria", "Genovia", "Elbonia", "Zubrowka")
CATEGORIES = ("targeted_surveillance", "mass_surveillance", "unlawful_interception", "other")


def _variants(deep_page: int) -> tuple[tuple[str, str], ...]:
    """Each variant: (name, query string); {deep} is the case the deep page starts after."""
    return (
        ("newest, page 1", ""),
        (f"newest, page {deep_page:,} (by its Next link)", f"?after={{deep}}&page={deep_page}"),
        ("newest, last page", "?last=y"),
        ("overdue, next deadline first", "?urgency=overdue&sort=deadline"),
        ("under investigation, feedback due", "?status=under_investigation&sort=feedback_due"),
        ("unread only", "?unread=y"),
        ("assigned to me, due soon", "?assignee=me&urgency=due_soon"),
        ("country (blind index)", "?country=latveria&sort=oldest"),
    )


_DUMMY_SEALED = bytes(80)
Row = dict[str, Any]


# A case's status by its age in days, as in a long-running deployment: most cases are closed.
_STAGES = (
    (6, CaseStatus.RECEIVED),
    (30, CaseStatus.ACKNOWLEDGED),
    (90, CaseStatus.IN_ASSESSMENT),
    (240, CaseStatus.UNDER_INVESTIGATION),
    (300, CaseStatus.DECIDED),
    (365, CaseStatus.REMEDY_IN_PROGRESS),
)
HISTORY_DAYS = 3650
LONG_RUNNING = 40  # one older case in LONG_RUNNING is still under investigation


def _status(i: int, age: int) -> CaseStatus:
    for limit, status in _STAGES:
        if age < limit:
            return status
    return CaseStatus.UNDER_INVESTIGATION if i % LONG_RUNNING == 0 else CaseStatus.CLOSED


def _case(i: int, prefix: str, today: date, assignee: str) -> Row:
    """Case number `i`: received up to ten years ago, a third of them assigned."""
    age = i % HISTORY_DAYS
    status = _status(i, age)
    received = today - timedelta(days=age)
    acknowledged = received + timedelta(days=i % 9) if status is not CaseStatus.RECEIVED else None
    return {
        "id": new_id(),
        "reference": f"{prefix}{i:07d}",
        "reporter_id": new_id(),
        "status": status,
        "received_on": received,
        "acknowledgement_due": received + timedelta(days=7),
        "acknowledged_on": acknowledged,
        "feedback_due": acknowledged + timedelta(days=90) if acknowledged else None,
        "closed_on": today if status is CaseStatus.CLOSED else None,
        "assignee_id": assignee if i % 3 == 0 else None,
    }


def _reporter(case: Row) -> Row:
    return {
        "id": case["reporter_id"],
        "lookup_token": secrets.token_bytes(32),
        "public_key": bytes(32),
        "created_on": case["received_on"],
    }


def _keys(case: Row, caseworker_id: str) -> list[Row]:
    """Sealed copies of the thread key (dummy bytes: the list never opens them); the copies
    of a real case the list never reads are left out to keep seeding fast."""
    holders = [
        (KeyKind.THREAD, Recipient.REPORTER, None),
        (KeyKind.THREAD, Recipient.CASEWORKER, caseworker_id),
    ]
    return [
        {
            "id": new_id(),
            "case_id": case["id"],
            "kind": kind,
            "recipient": recipient,
            "caseworker_id": holder,
            "sealed": _DUMMY_SEALED,
        }
        for kind, recipient, holder in holders
    ]


def _messages(i: int, case: Row) -> list[Row]:
    """Every fifth case has a reply and an answer, unread in every tenth open case."""
    unread = i % 10 == 0 and case["status"] is not CaseStatus.CLOSED
    rows = []
    for seq, author, read in ((1, Author.CASEWORKER, True), (2, Author.REPORTER, not unread)):
        if i % 5 == 0:
            rows.append(
                {
                    "id": new_id(),
                    "case_id": case["id"],
                    "seq": seq,
                    "author": author,
                    "ciphertext": _DUMMY_SEALED,
                    "sent_on": case["received_on"],
                    "read_by_reporter": True,
                    "read_by_caseworkers": read,
                }
            )
    return rows


def _digests(i: int, case: Row, digests: dict[tuple[str, str], bytes]) -> list[Row]:
    """Half the cases are triaged: a country and a category digest each."""
    if i % 2:
        return []
    values = (("country", COUNTRIES[i % len(COUNTRIES)]), ("category", CATEGORIES[i % 4]))
    return [
        {"id": new_id(), "case_id": case["id"], "facet": facet, "digest": digests[facet, value]}
        for facet, value in values
    ]


def seed_cases(
    db: Session,
    caseworker_id: str,
    count: int,
    *,
    today: date,
    index_key: bytes | None = None,
    prefix: str = "B",
) -> None:
    """Insert `count` cases granted to the caseworker, in bulk, and commit.

    Without an index key, no case gets blind-index digests.
    """
    digests = {
        (facet, value): index_digest(index_key, facet, value)
        for facet, values in (("country", COUNTRIES), ("category", CATEGORIES))
        for value in values
        if index_key is not None
    }
    if db.get_bind().dialect.name == "sqlite":
        # Random ids scatter the index writes: a bigger page cache keeps them in memory.
        db.execute(text(f"PRAGMA cache_size=-{SEED_CACHE_KIB}"))
    for start in range(0, count, BATCH):
        numbered = [
            (i, _case(i, prefix, today, caseworker_id))
            for i in range(start, min(count, start + BATCH))
        ]
        rows = {
            Reporter: [_reporter(case) for _i, case in numbered],
            Case: [case for _i, case in numbered],
            CaseKey: [key for _i, case in numbered for key in _keys(case, caseworker_id)],
            Message: [message for i, case in numbered for message in _messages(i, case)],
            BlindIndex: [
                row for i, case in numbered if digests for row in _digests(i, case, digests)
            ],
        }
        for model, values in rows.items():
            if values:
                db.execute(insert(Base.metadata.tables[model.__tablename__]), values)
    db.commit()


def _sign_in(client: FlaskClient, account: NewAccount) -> None:
    page = client.get("/login").get_data(as_text=True)
    token = page.split('name="csrf_token" value="', 1)[1].split('"', 1)[0]
    response = client.post(
        "/login",
        data={
            "csrf_token": token,
            "username": account.username,
            "password": account.password,
            "code": totp.current_code(account.totp_secret),
        },
    )
    if response.status_code != 302:
        raise RuntimeError(f"sign-in answered {response.status_code}")


@contextmanager
def _seeded(instance: Path, database_url: str, cases: int) -> Iterator[tuple[Flask, FlaskClient]]:
    """A migrated, seeded instance and a client signed in as the caseworker holding the cases."""
    upgrade(database_url)
    app = create_app(
        throwaway_config(instance, database_url, generate_keypair().public, testing=False)
    )
    database = app.extensions["redress"].database
    try:
        with database.session() as db:
            account = add_caseworker(
                db, "bench", Role.CASEWORKER, kdf=CHEAP_KDF, must_change_password=False
            )
            db.commit()
            client = app.test_client()
            _sign_in(client, account)  # the first sign-in creates the index key
            wrapped = db.get_one(Caseworker, account.caseworker_id).wrapped_private_key
            keypair = keypair_from_private(unwrap_private_key(wrapped, account.password))
            index_key = open_index_key(db, account.caseworker_id, keypair)
            seed_cases(db, account.caseworker_id, cases, today=clock.today(), index_key=index_key)
        if database.engine.dialect.name == "postgresql":
            # As autovacuum would have by now: planner statistics and the visibility map that
            # lets index-only scans skip the table.
            with database.engine.connect() as connection:
                connection.execution_options(isolation_level="AUTOCOMMIT").execute(
                    text("VACUUM ANALYZE")
                )
        yield app, client
    finally:
        database.dispose()


@dataclass(frozen=True)
class _Timing:
    p50_ms: float
    p95_ms: float
    queries: int


def _measure(app: Flask, client: FlaskClient, query: str, runs: int) -> _Timing:
    """Server time of the list page with `query` over `runs` requests, and its statements."""
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    engine = app.extensions["redress"].database.engine
    for _ in range(2):  # warm-up: caches, the planner, pages of the file
        client.get(f"/{query}")
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(f"/{query}")
    finally:
        event.remove(engine, "before_cursor_execute", count)
    timings = []
    for _ in range(runs):
        start = time.perf_counter()
        response = client.get(f"/{query}")
        timings.append((time.perf_counter() - start) * 1000)
        if response.status_code != 200:
            raise RuntimeError(f"/{query} answered {response.status_code}")
    timings.sort()
    return _Timing(statistics.median(timings), timings[round(0.95 * (runs - 1))], statements)


def _figures(engine: str, cases: int, timings: dict[str, _Timing]) -> list[Result]:
    results = []
    for name, timing in timings.items():
        label = f"case list, {cases:,} cases, {engine}, {name}"
        results += [
            Result(f"{label}: p50", timing.p50_ms, "ms"),
            Result(f"{label}: p95 (target < {TARGET_MS} ms)", timing.p95_ms, "ms"),
            Result(f"{label}: queries per page", timing.queries, "queries"),
        ]
    return results


def _deep_boundary(app: Flask, deep_page: int) -> str:
    """The last case of the page before the deep page, newest first."""
    with app.extensions["redress"].database.session() as db:
        query = select(Case.id).order_by(Case.received_on.desc(), Case.reference)
        boundary: str | None = db.scalar(query.offset((deep_page - 1) * PAGE_SIZE - 1).limit(1))
    if boundary is None:
        raise RuntimeError("too few cases for the deep page")
    return boundary


def _engine(engine: str, scratch: Path, url: str, sizes: Sizes) -> list[Result]:
    with _seeded(scratch, url, sizes.cases) as (app, client):
        deep = _deep_boundary(app, sizes.deep_page)
        timings = {
            name: _measure(app, client, query.format(deep=deep), sizes.runs)
            for name, query in _variants(sizes.deep_page)
        }
    return _figures(engine, sizes.cases, timings)


@contextmanager
def _postgres(settings: Settings) -> Iterator[str]:
    """The empty database the harness gave, else one on a throwaway cluster of our own."""
    if settings.postgres_url:
        yield settings.postgres_url
        return
    with throwaway_postgres() as url:
        yield url


def run(settings: Settings) -> Iterator[Result]:
    """SQLite's figures, then PostgreSQL's (each yielded once measured)."""
    sizes = settings.sizes(FULL, SMOKE)
    with tempfile.TemporaryDirectory(prefix="redress-bench-") as scratch:
        url = f"sqlite:///{Path(scratch) / 'redress.sqlite3'}"
        results = _engine("SQLite", Path(scratch), url, sizes)
    yield from results
    try:
        with (
            _postgres(settings) as url,
            tempfile.TemporaryDirectory(prefix="redress-bench-") as scratch,
        ):
            results = _engine("PostgreSQL", Path(scratch), url, sizes)
    except PostgresUnavailable as missing:
        print(f"PostgreSQL not measured: {missing}")
        return
    yield from results
