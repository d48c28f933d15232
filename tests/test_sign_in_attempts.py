"""The atomic steps of sign-in (redress.staff.attempts, recovery_codes.redeem), on SQLite and on
PostgreSQL, each taken from several threads at once with their own connections, and the back-off
they keep."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from typing import TypeVar

import pytest
from sqlalchemy.orm import Session

from redress.staff import accounts, attempts, recovery_codes
from redress.staff.accounts import LoginError, authenticate, check_sign_in, claim_sign_in
from redress.staff.attempts import FREE_ATTEMPTS, MAX_BACKOFF
from redress.store import clock
from redress.store.db import Database
from redress.store.models import Caseworker
from tests.helpers import Authenticator, Staff

THREADS = 12
T = TypeVar("T")


def at_once(database: Database, step: Callable[[Session], T], threads: int = THREADS) -> list[T]:
    """Run `step` in `threads` threads, each in its own session, released together, each
    committing its own work."""
    start = threading.Barrier(threads, timeout=20)

    def run(_index: int) -> T:
        with database.session() as db:
            start.wait()
            result = step(db)
            db.commit()
            return result

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(run, range(threads)))


def account(db: Session, caseworker_id: str) -> Caseworker:
    db.expire_all()
    return db.get_one(Caseworker, caseworker_id)


def test_parallel_claims_all_count_and_only_the_free_ones_are_granted(
    database: Database, db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    worker_id = make_caseworker("mo").account.caseworker_id
    now = clock.utcnow()

    granted = at_once(database, lambda session: attempts.claim(session, worker_id, now))

    assert granted.count(True) == FREE_ATTEMPTS
    worker = account(db, worker_id)
    assert worker.failed_logins == THREADS
    assert worker.locked_until == now + attempts.backoff(THREADS)


def test_one_totp_step_is_claimed_once(
    database: Database, db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    worker_id = make_caseworker("nia").account.caseworker_id
    step = int(time.time()) // 30

    claimed = at_once(database, lambda session: attempts.claim_totp_step(session, worker_id, step))

    assert claimed.count(True) == 1
    assert account(db, worker_id).totp_last_step == step
    assert not attempts.claim_totp_step(db, worker_id, step)
    assert not attempts.claim_totp_step(db, worker_id, step - 1)
    assert attempts.claim_totp_step(db, worker_id, step + 1)


def test_one_recovery_code_is_redeemed_once(
    database: Database, db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    worker_id = make_caseworker("oz").account.caseworker_id
    code = recovery_codes.replace_codes(db, worker_id)[0]
    db.commit()
    now = clock.utcnow()

    redeemed = at_once(
        database, lambda session: recovery_codes.redeem(session, worker_id, code, at=now)
    )

    assert redeemed.count(True) == 1
    assert recovery_codes.unused_count(db, worker_id) == recovery_codes.CODE_COUNT - 1


def test_a_claim_after_the_back_off_is_granted_and_lengthens_the_next_one(
    db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    worker_id = make_caseworker("pat").account.caseworker_id
    now = clock.utcnow()
    for _ in range(FREE_ATTEMPTS):
        assert attempts.claim(db, worker_id, now)
    assert account(db, worker_id).locked_until == now + timedelta(minutes=1)
    assert not attempts.claim(db, worker_id, now + timedelta(seconds=59))
    later = now + timedelta(minutes=5)
    assert attempts.claim(db, worker_id, later)
    assert account(db, worker_id).locked_until == later + timedelta(minutes=4)


def test_back_off_doubles_up_to_an_hour_however_many_failures() -> None:
    lengths = [attempts.backoff(failures) for failures in range(FREE_ATTEMPTS, 10_000)]
    assert lengths[:4] == [timedelta(minutes=minutes) for minutes in (1, 2, 4, 8)]
    assert lengths == sorted(lengths)
    assert max(lengths) == MAX_BACKOFF


def test_a_long_guessing_run_keeps_being_refused(
    db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    """Each attempt while backing off counts too; the 46th used to raise OverflowError."""
    staff = make_caseworker("quin")
    for _ in range(60):
        with pytest.raises(LoginError):
            authenticate(db, "quin", "wrong", "123456")
        db.commit()
    worker = account(db, staff.account.caseworker_id)
    assert worker.failed_logins == 60
    assert worker.locked_until is not None
    assert timedelta(0) < worker.locked_until - clock.utcnow() <= MAX_BACKOFF


def test_a_sign_in_starts_the_count_again(
    db: Session, make_caseworker: Callable[..., Staff]
) -> None:
    staff = make_caseworker("ray")
    for _ in range(FREE_ATTEMPTS - 1):
        with pytest.raises(LoginError):
            authenticate(db, "ray", "wrong", "123456")
    code = Authenticator(staff.account.totp_secret).next_code()
    authenticate(db, "ray", staff.passphrase, code)
    db.commit()
    worker = account(db, staff.account.caseworker_id)
    assert (worker.failed_logins, worker.locked_until) == (0, None)


def test_a_refused_attempt_does_the_same_hashing_work(
    db: Session, make_caseworker: Callable[..., Staff], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Unknown, backing off or not: one password check each, so timing tells none apart."""
    staff = make_caseworker("sam")
    worker = account(db, staff.account.caseworker_id)
    for _ in range(FREE_ATTEMPTS):
        with pytest.raises(LoginError):
            authenticate(db, "sam", "wrong", "123456")
    checked: list[str | None] = []
    check = accounts.verify_password

    def counted(encoded: str | None, password: str) -> bool:
        checked.append(encoded)
        return check(encoded, password)

    monkeypatch.setattr(accounts, "verify_password", counted)
    code = Authenticator(staff.account.totp_secret).next_code()
    refused = claim_sign_in(db, "sam")
    assert refused.refused
    with pytest.raises(LoginError):
        check_sign_in(db, refused, staff.passphrase, code)
    with pytest.raises(LoginError):
        authenticate(db, "nobody", staff.passphrase, code)
    assert checked == [worker.password_hash, None]
