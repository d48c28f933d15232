"""The console's case page with 200 messages and 20 files: server time and queries per page.

A throwaway SQLite instance gets one caseworker and one case submitted through the intake form,
then 200 messages (reporters' and caseworker's in turn, every tenth with a small file) written
with real encryption through redress.cases.messages, as the apps write them. Only account and
receipt creation use cheap Argon2 parameters: the page itself opens the caseworker's sealed key
and decrypts every message and every file's metadata as in production. The caseworker signs in
through the real form; the case page is then asked 40 times through Flask's test client after
a warm-up (which checks that every message and file is on it), and its SQL statements are
counted. If the p95 misses the target, a cProfile run of the page prints where the time goes.
A smoke run does the same with 6 messages, 2 files and 2 requests.
"""

from __future__ import annotations

import cProfile
import io
import pstats
import re
import secrets
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event, select

from bench.bench_caselist import _sign_in
from bench.harness import Result, Settings
from caseworker import create_app as create_console
from crypto.keys import generate_keypair, keypair_from_private, unwrap_private_key
from intake import create_app as create_intake
from redress.cases.messages import post_message
from redress.cases.uploads import EncryptedUpload, commit_with_uploads
from redress.keys import casekeys
from redress.staff.accounts import NewAccount, add_caseworker
from redress.store import clock
from redress.store.migrations import upgrade
from redress.store.models import Author, Case, Caseworker, KeyKind, Role
from tests.support.instance import CHEAP_KDF, throwaway_config

FILE_BYTES = 4 * 1024


@dataclass(frozen=True)
class Sizes:
    messages: int
    files: int  # one on every (messages // files)-th message
    runs: int


FULL = Sizes(messages=200, files=20, runs=40)
SMOKE = Sizes(messages=6, files=2, runs=2)
TARGET_MS = 300
MESSAGE_TEXT = (
    "We found the device on the office network again this morning; the logs show it "
    "reporting to the same address as before. I can send the router export if that helps. "
) * 2
_CSRF_MARK = 'name="csrf_token" value="'
_SUBMISSION_MARK = 'name="submission_token" type="hidden" value="'
_MESSAGE_NUMBER = re.compile(r'<div class="text"[^>]*>(\d+): ')


def _hidden(page: str, mark: str) -> str:
    return page.split(mark, 1)[1].split('"', 1)[0]


def _submit(intake: FlaskClient) -> None:
    page = intake.get("/report").get_data(as_text=True)
    response = intake.post(
        "/report",
        data={
            "csrf_token": _hidden(page, _CSRF_MARK),
            "submission_token": _hidden(page, _SUBMISSION_MARK),
            "what_happened": "A tracker was installed on our phones at the border.",
        },
    )
    if response.status_code != 201:
        raise RuntimeError(f"the report answered {response.status_code}")


def _file(app: Flask, number: int) -> EncryptedUpload:
    services = app.extensions["redress"]
    upload = EncryptedUpload(
        services.blobs, f"export-{number}.txt", "text/plain", max_bytes=FILE_BYTES * 2
    )
    upload.write(secrets.token_bytes(FILE_BYTES))
    return upload


def _fill_thread(app: Flask, account: NewAccount, case_id: str, sizes: Sizes) -> None:
    """Messages in turn from the reporter and the caseworker; every
    (messages // files)-th one carries a file."""
    with app.extensions["redress"].database.session() as db:
        worker = db.get_one(Caseworker, account.caseworker_id)
        keypair = keypair_from_private(
            unwrap_private_key(worker.wrapped_private_key, account.password)
        )
        thread_key = casekeys.open_caseworker_key(
            db, case_id, KeyKind.THREAD, account.caseworker_id, keypair
        )
        every = sizes.messages // sizes.files
        for number in range(sizes.messages):
            author = Author.REPORTER if number % 2 else Author.CASEWORKER
            uploads = [_file(app, number)] if number % every == 0 else []
            post_message(
                db,
                case_id,
                thread_key,
                author,
                f"{number}: {MESSAGE_TEXT}",
                uploads,
                caseworker_id=account.caseworker_id if author is Author.CASEWORKER else None,
                today=clock.today(),
            )
            commit_with_uploads(db, app.extensions["redress"].blobs)


@contextmanager
def _instance(scratch: Path, sizes: Sizes) -> Iterator[tuple[Flask, FlaskClient, str]]:
    """The console, a client signed in as the caseworker, and the id of the filled case."""
    url = f"sqlite:///{scratch / 'redress.sqlite3'}"
    upgrade(url)
    config = throwaway_config(scratch, url, generate_keypair().public, testing=False)
    console, intake = create_console(config), create_intake(config)
    database = console.extensions["redress"].database
    try:
        with database.session() as db:
            account = add_caseworker(
                db, "bench", Role.CASEWORKER, kdf=CHEAP_KDF, must_change_password=False
            )
            db.commit()
        _submit(intake.test_client())
        with database.session() as db:
            case_id = db.scalars(select(Case.id)).one()
        _fill_thread(console, account, case_id, sizes)
        client = console.test_client()
        _sign_in(client, account)
        yield console, client, case_id
    finally:
        database.dispose()
        intake.extensions["redress"].database.dispose()


def _queries(app: Flask, client: FlaskClient, path: str) -> int:
    statements = 0

    def count(*_args: object) -> None:
        nonlocal statements
        statements += 1

    engine = app.extensions["redress"].database.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        client.get(path)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    return statements


def _page(client: FlaskClient, path: str) -> str:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"{path} answered {response.status_code}")
    return response.get_data(as_text=True)


def _check_complete(page: str, case_id: str, sizes: Sizes) -> None:
    """The page shows every message, in order, and a download link for every file (the case
    page holds other sections too, such as Export, so the file names alone prove nothing)."""
    numbers = [int(n) for n in _MESSAGE_NUMBER.findall(page)]
    if numbers != list(range(sizes.messages)):
        raise RuntimeError(
            f"the page shows {len(numbers)} of the {sizes.messages} messages, or not in order"
        )
    links = re.findall(rf'<a href="/cases/{case_id}/files/[^"]+">([^<]+)</a>', page)
    every = sizes.messages // sizes.files
    expected = [f"export-{number}.txt" for number in range(0, sizes.messages, every)]
    if links != expected:
        missing = sorted(set(expected) - set(links))
        unexpected = sorted(set(links) - set(expected))
        raise RuntimeError(
            f"the page links {len(links)} files, expected {sizes.files} in message order"
            f" (missing {missing}, unexpected {unexpected})"
        )
    if "failed an integrity check" in page:
        raise RuntimeError("the page shows an item that failed its integrity check")


def _hotspots(client: FlaskClient, path: str, runs: int = 5) -> None:
    """Print the functions the page spends its time in (cProfile over a few requests)."""
    profile = cProfile.Profile()
    profile.enable()
    for _ in range(runs):
        client.get(path)
    profile.disable()
    out = io.StringIO()
    pstats.Stats(profile, stream=out).sort_stats("cumulative").print_stats(
        r"redress|crypto|caseworker|jinja2|sqlalchemy", 25
    )
    print(f"case page missed its target; profile of {runs} requests:\n{out.getvalue()}")


def run(settings: Settings) -> list[Result]:
    sizes = settings.sizes(FULL, SMOKE)
    with tempfile.TemporaryDirectory(prefix="redress-bench-") as scratch:
        with _instance(Path(scratch), sizes) as (app, client, case_id):
            path = f"/cases/{case_id}"
            _check_complete(_page(client, path), case_id, sizes)  # also the warm-up
            queries = _queries(app, client, path)
            timings = []
            for _ in range(sizes.runs):
                start = time.perf_counter()
                _page(client, path)
                timings.append((time.perf_counter() - start) * 1000)
            timings.sort()
            p95 = timings[round(0.95 * (sizes.runs - 1))]
            if p95 >= TARGET_MS:
                _hotspots(client, path)
    label = f"case page, {sizes.messages} messages, {sizes.files} files, SQLite"
    return [
        Result(f"{label}: p50", statistics.median(timings), "ms"),
        Result(f"{label}: p95 (target < {TARGET_MS} ms)", p95, "ms"),
        Result(f"{label}: queries per page", queries, "queries"),
    ]
