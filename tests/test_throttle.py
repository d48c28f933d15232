"""Flood limits without client addresses: bounded key-derivation slots, per-minute budgets for
submissions, and lanes for receipt logins (with and without a proof of work)."""

from __future__ import annotations

import re
import threading
from collections.abc import Callable, Iterator
from time import monotonic

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.receipts import new_receipt
from intake import create_app as create_intake
from intake.limits import IntakeLimits
from redress.reporting.challenges import LoginChallenges
from redress.reporting.throttle import (
    Busy,
    FailureBudget,
    KdfSlots,
    Lane,
    LaneFull,
    LoginLanes,
    WindowBudget,
)
from redress.store.config import Config
from redress.store.models import Case
from tests.helpers import receipt_from, reporter_login, submit_report
from tests.support.login_flood import solve

PROOF_BITS = 8


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
    # Wrong receipts: four per lane, never refilled (the fake clock stands still), no waiting.
    app.extensions["redress.limits"] = IntakeLimits(
        kdf=KdfSlots(1, 1, 5.0),
        submissions=WindowBudget(1, 2, clock=time.clock, sleep=time.sleep),
        logins=LoginLanes(
            Lane("open", 1, 1, 0.0, FailureBudget(4, 4, clock=time.clock)),
            Lane("proven", 1, 1, 0.0, FailureBudget(4, 4, clock=time.clock)),
        ),
        challenges=LoginChallenges(config.secrets.intake_secret_key, PROOF_BITS),
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


# Receipt logins: lanes with a continuously refilled budget of wrong receipts.


def test_failure_budget_refills_continuously_and_counts_only_failures() -> None:
    time = FakeTime()
    budget = FailureBudget(60, 2, clock=time.clock)  # one a second, two at once
    assert budget.take()
    assert budget.take()
    assert not budget.take()
    assert budget.seconds_to_next() == pytest.approx(1.0)
    time.now += 0.5
    assert not budget.take()
    time.now += 0.5
    assert budget.take(), "refilled after a second, not at the next minute"
    budget.give_back()  # that one did not fail
    assert budget.take()
    time.now += 3600
    assert budget.take()
    assert budget.take()
    assert not budget.take(), "never more than the burst at once"


def held(lane: Lane, name: str) -> tuple[threading.Thread, threading.Event, threading.Event]:
    """A thread holding one of `lane`'s slots until released."""
    inside, release = threading.Event(), threading.Event()

    def hold() -> None:
        with lane.attempt():
            inside.set()
            release.wait(10)

    thread = threading.Thread(target=hold, name=name)
    thread.start()
    assert inside.wait(10)
    return thread, inside, release


def wait_until(condition: Callable[[], bool]) -> None:
    deadline = monotonic() + 10
    while not condition():
        assert monotonic() < deadline, "timed out"
        threading.Event().wait(0.005)


def test_a_queued_login_waits_for_the_slot_instead_of_being_refused() -> None:
    lane = Lane("open", 1, 1, 10.0, FailureBudget(600))
    holder, _inside, release = held(lane, "holder")
    served: list[str] = []
    waiter = threading.Thread(target=lambda: served.append(attempt_lane(lane)))
    waiter.start()
    wait_until(lambda: lane.occupancy == (1, 1))
    release.set()
    holder.join(10)
    waiter.join(10)
    assert served == ["open"]


def attempt_lane(lane: Lane) -> str:
    with lane.attempt() as attempt:
        return attempt.lane


def test_a_full_lane_gives_a_newcomer_the_place_of_a_random_waiter() -> None:
    lane = Lane("open", 1, 1, 10.0, FailureBudget(600))
    holder, _inside, release = held(lane, "holder")
    outcomes: dict[str, str] = {}

    def login(name: str) -> None:
        try:
            outcomes[name] = attempt_lane(lane)
        except LaneFull:
            outcomes[name] = "refused at once"
        except Busy:
            outcomes[name] = "evicted"

    first = threading.Thread(target=login, args=("first",))
    first.start()
    wait_until(lambda: lane.occupancy == (1, 1))
    second = threading.Thread(target=login, args=("second",))
    second.start()
    first.join(10)
    assert outcomes == {"first": "evicted"}
    release.set()
    holder.join(10)
    second.join(10)
    assert outcomes == {"first": "evicted", "second": "open"}


def test_with_nobody_waiting_a_full_lane_refuses_at_once() -> None:
    lane = Lane("open", 1, 0, 10.0, FailureBudget(600))
    holder, _inside, release = held(lane, "holder")
    started = monotonic()
    with pytest.raises(LaneFull), lane.attempt():
        pass
    assert monotonic() - started < 1
    release.set()
    holder.join(10)


def test_the_wait_for_a_slot_is_bounded() -> None:
    lane = Lane("open", 1, 1, 0.05, FailureBudget(600))
    holder, _inside, release = held(lane, "holder")
    with pytest.raises(Busy) as refused, lane.attempt():
        pass
    assert 0 < refused.value.retry_after <= 60
    release.set()
    holder.join(10)
    assert lane.occupancy == (0, 0)


def test_a_waiting_login_gets_the_next_allowance() -> None:
    time = FakeTime()
    lane = Lane("open", 1, 1, 10.0, FailureBudget(60, 1, clock=time.clock))
    with lane.attempt() as attempt:
        attempt.failed = True
    served: list[str] = []
    waiter = threading.Thread(target=lambda: served.append(attempt_lane(lane)))
    waiter.start()
    wait_until(lambda: lane.occupancy == (0, 1))
    time.now += 1.0  # the next allowance; the waiter wakes within its own estimate (1 s)
    waiter.join(10)
    assert served == ["open"]


def test_right_receipts_spend_nothing() -> None:
    lane = Lane("open", 1, 1, 0.0, FailureBudget(60, 1, clock=FakeTime().clock))
    for _ in range(5):
        assert attempt_lane(lane) == "open"
    with lane.attempt() as attempt:
        attempt.failed = True
    with pytest.raises(Busy), lane.attempt():
        pass


def test_proven_logins_have_their_own_lane_and_fall_back_when_it_is_full() -> None:
    time = FakeTime()
    open_lane = Lane("open", 1, 1, 0.0, FailureBudget(60, 1, clock=time.clock))
    proven_lane = Lane("proven", 1, 0, 0.0, FailureBudget(60, 1, clock=time.clock))
    lanes = LoginLanes(open_lane, proven_lane)
    with lanes.attempt(proven=False) as attempt:
        attempt.failed = True
    with pytest.raises(Busy), lanes.attempt(proven=False):
        pass
    # The open lane's budget is spent; a proven login is served all the same.
    with lanes.attempt(proven=True) as attempt:
        assert attempt.lane == "proven"
    # While the proven lane's only slot is taken, a proven login may use the open lane.
    time.now += 1.0
    holder, _inside, release = held(proven_lane, "proven holder")
    with lanes.attempt(proven=True) as attempt:
        assert attempt.lane == "open"
    release.set()
    holder.join(10)
    assert attempt_lane_of(LoginLanes(open_lane, None), proven=True) == "open"


def attempt_lane_of(lanes: LoginLanes, *, proven: bool) -> str:
    with lanes.attempt(proven) as attempt:
        return attempt.lane


@pytest.fixture
def exhausted_intake(config: Config) -> Iterator[FlaskClient]:
    """An intake whose lane for logins without a proof has no allowance left."""
    app = create_intake(config)
    time = FakeTime()
    open_lane = Lane("open", 1, 1, 0.0, FailureBudget(60, 1, clock=time.clock))
    with open_lane.attempt() as attempt:
        attempt.failed = True
    app.extensions["redress.limits"] = IntakeLimits(
        kdf=KdfSlots(1, 1, 5.0),
        submissions=WindowBudget(10, 20, clock=time.clock, sleep=time.sleep),
        logins=LoginLanes(
            open_lane, Lane("proven", 1, 1, 0.0, FailureBudget(60, 5, clock=time.clock))
        ),
        challenges=LoginChallenges(config.secrets.intake_secret_key, PROOF_BITS),
    )
    yield app.test_client()
    app.extensions["redress"].database.dispose()


def login_form(intake: FlaskClient, receipt: str, *, prove: bool) -> dict[str, str]:
    page = intake.get("/login").get_data(as_text=True)
    csrf = re.search(r'name="csrf_token" value="([^"]+)"', page)
    challenge = re.search(r'name="challenge" type="hidden" value="([^"]+)"', page)
    assert csrf
    assert challenge
    proof = solve(challenge[1]) if prove else ""
    return {"csrf_token": csrf[1], "receipt": receipt, "challenge": challenge[1], "proof": proof}


def test_a_proven_login_is_served_when_the_open_lane_is_exhausted(
    exhausted_intake: FlaskClient,
) -> None:
    receipt = receipt_from(submit_report(exhausted_intake, "A report."))

    form = login_form(exhausted_intake, receipt, prove=False)
    refused = exhausted_intake.post("/login", data=form)
    assert refused.status_code == 503
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    page = refused.get_data(as_text=True)
    assert "Too busy right now" in page
    assert f'value="{receipt}"' in page, "the typed code is kept, to press Continue again"
    assert 'name="challenge"' in page, "with a fresh challenge"

    form = login_form(exhausted_intake, receipt, prove=True)
    served = exhausted_intake.post("/login", data=form)
    assert served.status_code == 302
    assert served.headers["Location"] == "/inbox"

    # The same proof again is spent: no priority, so the exhausted open lane refuses it.
    again = exhausted_intake.post("/login", data=form)
    assert again.status_code == 503


def test_a_forged_proof_gets_no_priority(exhausted_intake: FlaskClient) -> None:
    form = login_form(exhausted_intake, new_receipt(), prove=True)
    form["challenge"] = form["challenge"][:-4] + "0000"
    assert exhausted_intake.post("/login", data=form).status_code == 503
    form = login_form(exhausted_intake, new_receipt(), prove=False)
    form["proof"] = "12345"
    assert exhausted_intake.post("/login", data=form).status_code == 503
