"""Parallel console sign-ins against `redress serve`: gunicorn, several worker processes.

The outside test's attack, replayed over loopback HTTP on SQLite and on PostgreSQL: `redress init`
creates the instance on the engine, accounts are made as `redress caseworker add` makes them (with
the production Argon2id cost, so each password check takes as long as in production, which is the
window the attack raced through), and threads sign in at once, each with its own cookie jar and
CSRF token, released together by a barrier. The attempts are spread over the console's worker
processes, so only the database can keep count.

What must hold: 2 waves of wrong passphrases, each as many as the console has threads in all its
workers (2 x 8), all count and the account backs off (the right passphrase is then refused); one
TOTP code, and one recovery code, each sign in exactly once however many sign-ins send it at once.
"""

from __future__ import annotations

import re
import secrets
import threading
import urllib.parse
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from redress.platform import gunicorn_conf
from redress.staff import recovery_codes, totp
from redress.staff.accounts import add_caseworker
from redress.staff.attempts import FREE_ATTEMPTS
from redress.store import clock
from redress.store.config import load_config
from redress.store.db import Database
from redress.store.models import AuditEvent, Caseworker, Role
from tests.conftest import ENGINES
from tests.support.loopback import exchange
from tests.support.postgres import drop_database, fresh_database
from tests.support.servers import clean_environment, run_redress, start_serving

# Waves that each fill every thread of every console worker at once.
WAVES = 2
WAVE_SIZE = gunicorn_conf.workers * gunicorn_conf.threads
SAME_CODE_ATTEMPTS = 8
TIMEOUT = 60.0
TOTP_STEP = timedelta(seconds=30)  # pyotp's default, which redress.staff.totp uses

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@dataclass(frozen=True)
class Account:
    username: str
    passphrase: str
    totp_secret: str


@dataclass(frozen=True)
class Console:
    port: int
    database: Database


def sign_in_at_once(console: Console, forms: list[tuple[str, str, str]]) -> list[int]:
    """Open the sign-in page once per form (own cookies, own token), then POST all at once."""
    pages = []
    for _ in forms:
        page = exchange(console.port, "GET", "/login", {}, timeout=TIMEOUT)
        assert page.status == 200
        token = _CSRF.search(page.body)
        assert token, "no CSRF token on the sign-in page"
        pages.append((token[1], page.cookies))
    start = threading.Barrier(len(forms), timeout=TIMEOUT)

    def post(index: int) -> int:
        (username, passphrase, code), (token, cookies) = forms[index], pages[index]
        form = {"csrf_token": token, "username": username, "password": passphrase, "code": code}
        start.wait()
        return exchange(console.port, "POST", "/login", cookies, form, TIMEOUT).status

    with ThreadPoolExecutor(len(forms)) as pool:
        return list(pool.map(post, range(len(forms))))


def caseworker(console: Console, username: str) -> Caseworker:
    with console.database.session() as db:
        worker = db.scalar(select(Caseworker).where(Caseworker.username == username))
        assert worker is not None
        return worker


def failure_reasons(console: Console, username: str) -> Counter[str]:
    worker_id = caseworker(console, username).id
    with console.database.session() as db:
        details = db.scalars(
            select(AuditEvent.detail).where(
                AuditEvent.action == "login.failed", AuditEvent.caseworker_id == worker_id
            )
        )
        return Counter(details)


def sign_ins(console: Console, username: str) -> int:
    worker_id = caseworker(console, username).id
    with console.database.session() as db:
        counted = db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "login", AuditEvent.caseworker_id == worker_id)
        )
        return counted or 0


def lasting_code(secret: str) -> str:
    """The code of the next 30-second step: the server accepts it (one step of drift) from now
    for at least 30 seconds, however slowly a loaded machine gets the sign-ins through."""
    return totp.current_code(secret, clock.utcnow() + TOTP_STEP)


def reason(text: str) -> str:
    return f'{{"reason":"{text}"}}'


def assert_refused_for(console: Console, username: str, second_factor: str) -> None:
    """Every attempt but one failed: for its used code, or (past the free attempts, while the
    others were still being checked) because the account was backing off."""
    reasons = failure_reasons(console, username)
    assert sum(reasons.values()) == SAME_CODE_ATTEMPTS - 1
    assert set(reasons) <= {reason(second_factor), reason("backing off")}
    assert reasons[reason(second_factor)] >= 1


@dataclass(frozen=True)
class Served:
    """A running `redress serve` on one engine, its accounts, and a recovery code of `cy`."""

    console: Console
    accounts: dict[str, Account]
    recovery_code: str


@pytest.fixture(scope="module", params=ENGINES)
def served(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Served]:
    """One server per engine for this module's tests, each test using its own account."""
    base = tmp_path_factory.mktemp(f"served-{request.param}")
    home = base / "home"
    home.mkdir()
    environ = clean_environment(home)
    admin_url = None
    database_name = f"redress_{secrets.token_hex(6)}"
    if request.param == "sqlite":
        url = f"sqlite:///{base / 'redress.sqlite3'}"
    else:
        admin_url = request.getfixturevalue("postgres_admin_url")
        url = fresh_database(admin_url, database_name)
    instance = base / "instance"
    init = ["--instance", str(instance), "init", "--threshold", "2", "--shares", "3"]
    run_redress([*init, "--database-url", url], environ)
    config = load_config(instance, environ={})
    database = Database(url)
    try:
        with database.session() as db:
            # As `redress caseworker add` makes them: the production Argon2id cost.
            made = {
                name: add_caseworker(db, name, Role.CASEWORKER, kdf=config.kdf)
                for name in ("ana", "bo", "cy")
            }
            code = recovery_codes.replace_codes(db, made["cy"].caseworker_id)[0]
            db.commit()
        accounts = {
            name: Account(name, account.password, account.totp_secret)
            for name, account in made.items()
        }
        command, _intake, console_url = start_serving(
            ["--instance", str(instance), "serve"], environ
        )
        try:
            port = urllib.parse.urlsplit(console_url).port
            assert port is not None
            yield Served(Console(port, database), accounts, code)
            survivors = command.stop()
            assert survivors == [], "redress serve left processes running"
            assert "Traceback" not in command.output, command.output
        finally:
            command.stop()
    finally:
        database.dispose()
        if admin_url is not None:
            drop_database(admin_url, database_name)


def test_parallel_wrong_passphrases_all_count_across_workers(served: Served) -> None:
    console = served.console
    assert gunicorn_conf.workers > 1
    ana = served.accounts["ana"]
    statuses: list[int] = []
    for wave in range(WAVES):
        forms = [("ana", f"wrong {wave}-{n}", "123456") for n in range(WAVE_SIZE)]
        statuses += sign_in_at_once(console, forms)
    attempts = WAVES * WAVE_SIZE

    assert statuses == [401] * attempts
    worker = caseworker(console, "ana")
    assert worker.failed_logins == attempts
    assert worker.locked_until is not None
    assert worker.locked_until > clock.utcnow()
    # Only the attempts made before the account began backing off had their passphrase checked.
    assert failure_reasons(console, "ana") == {
        reason("password"): FREE_ATTEMPTS,
        reason("backing off"): attempts - FREE_ATTEMPTS,
    }
    right = [("ana", ana.passphrase, lasting_code(ana.totp_secret))]
    assert sign_in_at_once(console, right) == [401]
    assert caseworker(console, "ana").failed_logins == attempts + 1
    assert sign_ins(console, "ana") == 0


def test_one_totp_code_signs_in_once_across_workers(served: Served) -> None:
    console = served.console
    bo = served.accounts["bo"]
    code = lasting_code(bo.totp_secret)

    statuses = sign_in_at_once(console, [("bo", bo.passphrase, code)] * SAME_CODE_ATTEMPTS)

    assert sorted(statuses) == [302] + [401] * (SAME_CODE_ATTEMPTS - 1)
    assert sign_ins(console, "bo") == 1
    assert_refused_for(console, "bo", "code")


def test_one_recovery_code_signs_in_once_across_workers(served: Served) -> None:
    console = served.console
    cy = served.accounts["cy"]

    statuses = sign_in_at_once(
        console, [("cy", cy.passphrase, served.recovery_code)] * SAME_CODE_ATTEMPTS
    )

    assert sorted(statuses) == [302] + [401] * (SAME_CODE_ATTEMPTS - 1)
    assert sign_ins(console, "cy") == 1
    assert_refused_for(console, "cy", "recovery code")
