"""Console sign-in under parallel attempts, on SQLite and on PostgreSQL.

An outside test found that parallel wrong passphrases all got checked while the failure counter
lost most of them (so the account never backed off), and that one TOTP code signed in four
parallel sessions. Each test here signs in from several threads at once, through the console's
sign-in form, each thread with its own client (cookie jar and CSRF token) and its own connection
from the app's pool.

A barrier in the password check holds every attempt there until all have arrived, so the worst
interleaving happens on every run: each attempt has read the account before any has finished.
Every attempt reaches that check, refused ones included (they do the same hashing work, so a
backing-off account answers as fast as any other), so a barrier that breaks fails the test.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager

import pytest
from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from redress.staff import accounts, recovery_codes
from redress.staff.attempts import FREE_ATTEMPTS
from redress.store import clock
from redress.store.models import AuditEvent, Caseworker, RecoveryCode
from tests.helpers import Authenticator, Staff, console_login, csrf_token

WRONG_ATTEMPTS = 3 * FREE_ATTEMPTS
SAME_CODE_ATTEMPTS = 4
BARRIER_SECONDS = 20


@contextmanager
def all_at_the_password_check(
    monkeypatch: pytest.MonkeyPatch, parties: int
) -> Iterator[threading.Barrier]:
    """Hold each call of the password check until `parties` of them are waiting there."""
    barrier = threading.Barrier(parties, timeout=BARRIER_SECONDS)
    check = accounts.verify_password

    def meet_then_check(encoded: str | None, password: str) -> bool:
        barrier.wait()
        return check(encoded, password)

    with monkeypatch.context() as patched:
        patched.setattr(accounts, "verify_password", meet_then_check)
        yield barrier


def sign_in_at_once(
    app: Flask, monkeypatch: pytest.MonkeyPatch, forms: list[tuple[str, str, str]]
) -> list[int]:
    """POST each (username, passphrase, code) to /login from its own thread, all at once."""
    clients = [app.test_client() for _ in forms]
    tokens = [csrf_token(client, "/login") for client in clients]

    def post(index: int) -> int:
        username, passphrase, code = forms[index]
        data = {"csrf_token": tokens[index], "username": username}
        data |= {"password": passphrase, "code": code}
        return clients[index].post("/login", data=data).status_code

    with (
        all_at_the_password_check(monkeypatch, len(forms)),
        ThreadPoolExecutor(len(forms)) as pool,
    ):
        return list(pool.map(post, range(len(forms))))


def failure_reasons(db: Session, caseworker_id: str) -> Counter[str]:
    db.expire_all()
    details = db.scalars(
        select(AuditEvent.detail).where(
            AuditEvent.action == "login.failed", AuditEvent.caseworker_id == caseworker_id
        )
    )
    return Counter(details)


def sign_ins(db: Session, caseworker_id: str) -> int:
    return (
        db.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.action == "login", AuditEvent.caseworker_id == caseworker_id)
        )
        or 0
    )


def reason(text: str) -> str:
    return f'{{"reason":"{text}"}}'


def test_parallel_wrong_passphrases_each_count_and_the_account_backs_off(
    console_app: Flask,
    make_caseworker: Callable[..., Staff],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_caseworker("jo")
    worker_id = staff.account.caseworker_id
    authenticator = Authenticator(staff.account.totp_secret)
    forms = [("jo", f"wrong passphrase {n}", "123456") for n in range(WRONG_ATTEMPTS)]

    statuses = sign_in_at_once(console_app, monkeypatch, forms)

    assert statuses == [401] * WRONG_ATTEMPTS
    db.expire_all()
    worker = db.get_one(Caseworker, worker_id)
    assert worker.failed_logins == WRONG_ATTEMPTS
    assert worker.locked_until is not None
    assert worker.locked_until > clock.utcnow()
    # Only the attempts made before the account began backing off had their passphrase checked.
    assert failure_reasons(db, worker_id) == {
        reason("password"): FREE_ATTEMPTS,
        reason("backing off"): WRONG_ATTEMPTS - FREE_ATTEMPTS,
    }

    # The right passphrase and a fresh code are refused too, and that attempt counts as well.
    client = console_app.test_client()
    right = console_login(client, "jo", staff.passphrase, authenticator.next_code())
    assert right.status_code == 401
    db.expire_all()
    assert db.get_one(Caseworker, worker_id).failed_logins == WRONG_ATTEMPTS + 1
    assert sign_ins(db, worker_id) == 0


def test_one_totp_code_signs_in_once_however_many_use_it_at_once(
    console_app: Flask,
    make_caseworker: Callable[..., Staff],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_caseworker("kit")
    worker_id = staff.account.caseworker_id
    code = Authenticator(staff.account.totp_secret).next_code()
    forms = [("kit", staff.passphrase, code)] * SAME_CODE_ATTEMPTS

    statuses = sign_in_at_once(console_app, monkeypatch, forms)

    assert sorted(statuses) == [302] + [401] * (SAME_CODE_ATTEMPTS - 1)
    assert sign_ins(db, worker_id) == 1
    assert failure_reasons(db, worker_id) == {reason("code"): SAME_CODE_ATTEMPTS - 1}


def test_one_recovery_code_signs_in_once_however_many_use_it_at_once(
    console_app: Flask,
    make_caseworker: Callable[..., Staff],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    staff = make_caseworker("lee")
    worker_id = staff.account.caseworker_id
    code = recovery_codes.replace_codes(db, worker_id)[0]
    db.commit()
    forms = [("lee", staff.passphrase, code)] * SAME_CODE_ATTEMPTS

    statuses = sign_in_at_once(console_app, monkeypatch, forms)

    assert sorted(statuses) == [302] + [401] * (SAME_CODE_ATTEMPTS - 1)
    assert sign_ins(db, worker_id) == 1
    assert failure_reasons(db, worker_id) == {reason("recovery code"): SAME_CODE_ATTEMPTS - 1}
    used = db.scalar(
        select(func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.caseworker_id == worker_id, RecoveryCode.used_at.is_not(None))
    )
    assert used == 1
