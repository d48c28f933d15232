"""Console sign-in: passphrase and TOTP, replay, back-off, passphrase change, session records."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.keys import unwrap_private_key
from redress.keys import sessions
from redress.staff import totp
from redress.staff.accounts import LoginError, authenticate
from redress.staff.attempts import MAX_BACKOFF
from redress.store import clock
from redress.store.models import AuditEvent, Caseworker, Role, SessionRecord
from tests.helpers import (
    NEW_PASSPHRASE,
    Authenticator,
    SignedIn,
    change_passphrase,
    console_login,
    csrf_token,
)

FAILURE_TEXT = "The username, passphrase or code is not right"


def session_count(db: Session) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(SessionRecord)) or 0


def test_first_sign_in_forces_a_passphrase_change_that_rewraps_the_key(
    console: FlaskClient, make_caseworker, db: Session
) -> None:
    staff = make_caseworker("dana")
    worker = db.scalar(select(Caseworker).where(Caseworker.username == "dana"))
    assert worker is not None
    private = unwrap_private_key(worker.wrapped_private_key, staff.passphrase)
    authenticator = Authenticator(staff.account.totp_secret)

    response = console_login(console, "dana", staff.passphrase, authenticator.next_code())
    assert response.headers["Location"] == "/passphrase"
    assert console.get("/").headers["Location"] == "/passphrase"

    too_short = change_passphrase(console, staff.passphrase, "short")
    assert too_short.status_code == 400
    assert change_passphrase(console, staff.passphrase, NEW_PASSPHRASE).status_code == 302
    assert console.get("/").status_code == 200

    db.expire_all()
    worker = db.get_one(Caseworker, worker.id)
    assert not worker.must_change_password
    assert unwrap_private_key(worker.wrapped_private_key, NEW_PASSPHRASE) == private
    with pytest.raises(LoginError):
        authenticate(db, "dana", staff.passphrase, authenticator.next_code())
    assert (
        authenticate(db, "dana", NEW_PASSPHRASE, authenticator.next_code()).keypair.private
        == private
    )


def test_wrong_password_wrong_code_and_unknown_user_look_the_same(
    console: FlaskClient, make_caseworker
) -> None:
    staff = make_caseworker("erin")
    authenticator = Authenticator(staff.account.totp_secret)
    attempts = [
        ("erin", "wrong passphrase", authenticator.next_code()),
        ("erin", staff.passphrase, "000000"),
        ("nobody", staff.passphrase, authenticator.next_code()),
    ]
    pages = set()
    for username, passphrase, code in attempts:
        response = console_login(console, username, passphrase, code)
        assert response.status_code == 401
        body = response.get_data(as_text=True)
        assert FAILURE_TEXT in body
        pages.add(body.split('name="csrf_token"')[0])
    assert len(pages) == 1


def test_a_used_code_cannot_be_replayed(console_app, make_caseworker, db: Session) -> None:
    staff = make_caseworker("fay")
    code = Authenticator(staff.account.totp_secret).next_code()
    first = console_app.test_client()
    assert console_login(first, "fay", staff.passphrase, code).status_code == 302
    second = console_app.test_client()
    assert console_login(second, "fay", staff.passphrase, code).status_code == 401
    reasons = db.scalars(select(AuditEvent.detail).where(AuditEvent.action == "login.failed"))
    assert '{"reason":"code"}' in list(reasons)


def test_repeated_failures_back_off_even_with_the_right_passphrase(
    make_caseworker, db: Session
) -> None:
    staff = make_caseworker("gil")
    authenticator = Authenticator(staff.account.totp_secret)
    for _ in range(5):
        with pytest.raises(LoginError):
            authenticate(db, "gil", "wrong", "123456")
    worker = db.scalar(select(Caseworker).where(Caseworker.username == "gil"))
    assert worker is not None
    assert worker.locked_until is not None
    assert timedelta(0) < worker.locked_until - clock.utcnow() <= MAX_BACKOFF
    with pytest.raises(LoginError):
        authenticate(db, "gil", staff.passphrase, authenticator.next_code())


def test_session_record_holds_no_usable_key_and_goes_at_logout(
    console: FlaskClient, make_caseworker, db: Session
) -> None:
    staff = make_caseworker("hal")
    console_login(
        console, "hal", staff.passphrase, Authenticator(staff.account.totp_secret).next_code()
    )
    assert session_count(db) == 1
    record = db.scalar(select(SessionRecord))
    assert record is not None
    worker = db.scalar(select(Caseworker).where(Caseworker.username == "hal"))
    assert worker is not None
    private = unwrap_private_key(worker.wrapped_private_key, staff.passphrase)
    assert private not in record.payload
    assert private.hex().encode() not in record.payload

    console.post("/logout", data={"csrf_token": csrf_token(console, "/passphrase")})
    assert session_count(db) == 0
    assert console.get("/").headers["Location"] == "/login"


def test_idle_session_expires(
    console: FlaskClient, make_caseworker, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    staff = make_caseworker("ivy")
    console_login(
        console, "ivy", staff.passphrase, Authenticator(staff.account.totp_secret).next_code()
    )
    assert console.get("/passphrase").status_code == 200
    later = clock.utcnow() + timedelta(minutes=31)
    monkeypatch.setattr(sessions.clock, "utcnow", lambda: later)
    assert console.get("/passphrase").headers["Location"] == "/login"
    assert session_count(db) == 0


def test_non_caseworker_roles_cannot_open_cases(sign_in: Callable[..., SignedIn]) -> None:
    client = sign_in("root", Role.ADMINISTRATOR).client
    assert client.get("/").status_code == 403
    assert client.get(f"/cases/{'0' * 32}").status_code == 403


def test_codes_do_not_depend_on_the_server_time_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    import time as time_module

    secret = totp.new_secret()
    now = clock.utcnow()
    expected = totp.current_code(secret, now)
    monkeypatch.setenv("TZ", "Pacific/Kiritimati")
    time_module.tzset()
    try:
        assert totp.current_code(secret, now) == expected
        assert totp.accepted_step(secret, expected, last_step=0, at=now) is not None
    finally:
        monkeypatch.undo()
        time_module.tzset()
