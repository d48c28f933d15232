"""Flood limits without client addresses: bounded key-derivation slots and per-minute budgets."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.receipts import new_receipt
from intake import create_app as create_intake
from intake.limits import IntakeLimits
from redress.reporting.throttle import Busy, KdfSlots, WindowBudget
from redress.store.config import Config
from redress.store.models import Case
from tests.helpers import reporter_login, submit_report


class FakeTime:
    def __init__(self) -> None:
        self.now = 1_000_020.0
        self.slept: list[float] = []

    def clock(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(seconds)


def test_budget_is_free_then_slows_then_refuses_then_resets() -> None:
    time = FakeTime()
    budget = WindowBudget(2, 4, max_delay=4.0, clock=time.clock, sleep=time.sleep)
    for _ in range(4):
        budget.check()
        budget.spend()
    assert time.slept == [2.0, 4.0]
    with pytest.raises(Busy) as refused:
        budget.check()
    assert 0 < refused.value.retry_after <= 60
    time.now += 60
    budget.check()
    assert time.slept == [2.0, 4.0]


def test_budget_rejects_nonsense_limits() -> None:
    with pytest.raises(ValueError, match="soft <= hard"):
        WindowBudget(5, 1)


def test_kdf_slots_admit_a_bounded_number_and_refuse_the_rest() -> None:
    slots = KdfSlots(slots=1, queue=1, wait=5.0)
    holding = threading.Event()
    release = threading.Event()
    outcomes: list[str] = []

    def hold() -> None:
        with slots.slot():
            holding.set()
            release.wait(5)

    def queued() -> None:
        with slots.slot():
            outcomes.append("queued one ran")

    holder = threading.Thread(target=hold)
    holder.start()
    holding.wait(5)
    waiter = threading.Thread(target=queued)
    waiter.start()
    # Wait until the queued call occupies the queue place, then a third caller is refused.
    for _ in range(500):
        try:
            with slots.slot():
                pass
        except Busy:
            break
        threading.Event().wait(0.01)
    else:
        pytest.fail("a third caller was never refused")
    release.set()
    holder.join(5)
    waiter.join(5)
    assert outcomes == ["queued one ran"]


def test_kdf_slot_times_out_instead_of_waiting_forever() -> None:
    slots = KdfSlots(slots=1, queue=1, wait=0.05)
    with slots.slot(), pytest.raises(Busy), slots.slot():
        pass


@pytest.fixture
def tight_intake(config: Config) -> Iterator[FlaskClient]:
    """An intake with tiny budgets whose slow-downs are recorded instead of slept."""
    app = create_intake(config)
    time = FakeTime()
    app.extensions["redress.limits"] = IntakeLimits(
        kdf=KdfSlots(1, 1, 5.0),
        failed_receipts=WindowBudget(2, 4, clock=time.clock, sleep=time.sleep),
        submissions=WindowBudget(1, 2, clock=time.clock, sleep=time.sleep),
    )
    yield app.test_client()
    app.extensions["redress"].database.dispose()


def test_failed_receipt_flood_gets_busy_pages(tight_intake: FlaskClient) -> None:
    statuses = [reporter_login(tight_intake, new_receipt()).status_code for _ in range(6)]
    assert statuses[:4] == [401, 401, 401, 401]
    busy = reporter_login(tight_intake, new_receipt())
    assert busy.status_code == 503
    assert 0 < int(busy.headers["Retry-After"]) <= 60
    assert "Too busy right now" in busy.get_data(as_text=True)


def test_submission_flood_is_refused_before_storing(tight_intake: FlaskClient, db: Session) -> None:
    statuses = [submit_report(tight_intake, f"report {n}").status_code for n in range(3)]
    assert statuses == [201, 201, 503]
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(Case)) == 2


def test_only_one_request_at_a_time_sits_out_a_slow_down() -> None:
    time = FakeTime()
    entered = threading.Event()
    release = threading.Event()

    def slow_sleep(_seconds: float) -> None:
        entered.set()
        release.wait(5)

    budget = WindowBudget(0, 10, clock=time.clock, sleep=slow_sleep)
    sleeper = threading.Thread(target=budget.check)
    sleeper.start()
    entered.wait(5)
    with pytest.raises(Busy):
        budget.check()
    release.set()
    sleeper.join(5)
    budget.check()
