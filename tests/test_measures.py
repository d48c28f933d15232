"""Interim measures through the console: the routes that propose, decide and review a measure,
the approvals queue and the case page's measures section, each wired to its rule.

The rules themselves (dates, texts, who decides, what is stored and audited) are tested directly
in tests/test_measure_rules.py; who may use each route, in tests/test_permission_matrix.py.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from redress.reporting.submissions import Submission
from redress.store.models import InterimMeasure, MeasureState, Role
from tests.helpers import (
    MEASURE_RATIONALE,
    MEASURE_RENEWAL,
    SignedIn,
    get_page,
    in_days,
    post_answer,
    post_redirect,
    post_to_case,
    review_measure,
)
from tests.support.domain import flip_last_byte

LIFTING = "The reseller cut the ministry off; updates may resume."
OWN_RATIONALE = "The approver's own proposal, for another approver to decide."
TAMPERED = "This rationale is altered in storage."
INTEGRITY = "This item failed an integrity check"


def new_measure(db: Session, case_id: str, known: set[str]) -> str:
    """The id of the case's one measure not in `known`, which it joins."""
    db.expire_all()
    ids = set(db.scalars(select(InterimMeasure.id).where(InterimMeasure.case_id == case_id)))
    [found] = ids - known
    known.add(found)
    return found


def state_of(db: Session, measure_id: str) -> MeasureState:
    db.expire_all()
    return db.get_one(InterimMeasure, measure_id).state


def test_the_measure_routes_wire_the_rules_to_the_console(
    sign_in: Callable[..., SignedIn], submit_case: Callable[..., Submission], db: Session
) -> None:
    alice, carol = sign_in("alice"), sign_in("carol", Role.APPROVER)
    case_id = submit_case().case_id
    case_page, known = f"/cases/{case_id}", set[str]()
    decide = f"{case_page}/approvals/measure/{{}}/{{}}"

    # A refused proposal: the service's message on its field, the typed text kept, nothing kept.
    form = {
        "measure_kind": "remote_disable",
        "measure_rationale": MEASURE_RATIONALE,
        "measure_review_on": in_days(30),
    }
    shown = post_answer(
        alice.client, f"{case_page}/measures", 400, **{**form, "measure_review_on": in_days(0)}
    )
    assert "The review date must be after today" in shown
    assert 'href="#measure_review_on"' in shown
    assert MEASURE_RATIONALE in shown
    assert db.scalars(select(InterimMeasure)).all() == []

    proposed = post_redirect(alice.client, f"{case_page}/measures", **form)
    assert proposed == f"{case_page}?measures=proposed#measures"
    measure = new_measure(db, case_id, known)
    shown = get_page(alice.client, proposed)
    assert "The measure was proposed. An approver other than you decides." in shown
    assert "Remote disable – proposed" in shown
    assert MEASURE_RATIONALE in shown
    assert "No approver other than you holds this case" in shown

    # Carol decides once the case is granted to her and she can read the rationale.
    assert "Remote disable" not in get_page(carol.client, "/approvals")
    assert post_to_case(carol.client, case_id, decide.format(measure, "approve")) == 404
    grant = f"{case_page}/access/grant"
    assert post_to_case(alice.client, case_id, grant, grantee=carol.id) == 302
    queue = get_page(carol.client, "/approvals")
    assert "Remote disable" in queue
    assert MEASURE_RATIONALE in queue
    for verdict in ("Approve", "Reject"):
        assert f'aria-label="{verdict} the measure on case ' in queue
    approved = post_redirect(carol.client, decide.format(measure, "approve"))
    assert approved == "/approvals?decided=approve&kind=measure"
    queue = get_page(carol.client, approved)
    assert "Measure approved: it is in force until it is lifted." in queue
    assert "No measures are waiting" in queue
    assert state_of(db, measure) is MeasureState.IN_FORCE
    again = post_answer(carol.client, decide.format(measure, "reject"), 409)
    assert "This proposal was already decided." in again
    assert post_to_case(carol.client, case_id, decide.format("0" * 32, "approve")) == 404

    # Renewing: the form's own checks, the service's date rule, an unknown measure.
    review, prefix = f"{case_page}/measures/{measure}/review", f"review-{measure}-"
    no_date = {prefix + "reason": MEASURE_RENEWAL, prefix + "renew": "Renew"}
    assert "Please give the new review date." in post_answer(alice.client, review, 400, **no_date)
    no_button = {prefix + "reason": LIFTING}
    assert "Please choose Renew or Lift" in post_answer(alice.client, review, 400, **no_button)
    past = {**no_date, prefix + "review_on": in_days(-3)}
    shown = post_answer(alice.client, review, 400, **past)
    assert "The review date must be after today" in shown
    assert MEASURE_RENEWAL in shown
    unknown = review_measure(alice.client, case_id, "0" * 32, MEASURE_RENEWAL, in_days(9))
    assert unknown == 404
    assert review_measure(alice.client, case_id, measure, MEASURE_RENEWAL, in_days(60)) == 302
    shown = get_page(alice.client, f"{case_page}?measures=renewed")
    assert "The measure was renewed." in shown
    assert f"renewed until {in_days(60)} by alice" in shown
    assert MEASURE_RENEWAL in shown

    # The review date stands out when it is near or past.
    for review_on, flag in ((in_days(1), "review due soon"), (in_days(-1), "review overdue")):
        db.execute(update(InterimMeasure).values(review_on=date.fromisoformat(review_on)))
        db.commit()
        assert flag in get_page(alice.client, case_page)

    assert review_measure(carol.client, case_id, measure, LIFTING) == 302
    assert state_of(db, measure) is MeasureState.LIFTED
    shown = get_page(alice.client, case_page)
    assert "Remote disable – lifted" in shown
    assert LIFTING in shown
    timeline = shown.split("<details", 1)[1].split("</details>", 1)[0]
    for step in ("proposed", "approved", "renewed", "lifted"):
        assert f"Interim measure {step}" in timeline
    lifted = post_answer(
        alice.client, review, 409, **{**no_date, prefix + "review_on": in_days(60)}
    )
    assert "Only a measure in force can be renewed or lifted." in lifted

    # An approver's own proposal waits for another approver.
    own_form = {**form, "measure_kind": "suspend_support", "measure_rationale": OWN_RATIONALE}
    assert post_to_case(carol.client, case_id, f"{case_page}/measures", **own_form) == 302
    own = new_measure(db, case_id, known)
    assert "Your own proposal: another approver decides" in get_page(carol.client, "/approvals")
    refused = post_answer(carol.client, decide.format(own, "approve"), 403)
    assert "Another approver must decide your own proposal." in refused
    assert state_of(db, own) is MeasureState.PROPOSED

    # A tampered proposal: shown as failed, cannot be approved, can be rejected.
    tampered_form = {**form, "measure_kind": "suspend_updates", "measure_rationale": TAMPERED}
    assert post_to_case(alice.client, case_id, f"{case_page}/measures", **tampered_form) == 302
    tampered = new_measure(db, case_id, known)
    ciphertext = db.get_one(InterimMeasure, tampered).ciphertext
    db.execute(
        update(InterimMeasure)
        .where(InterimMeasure.id == tampered)
        .values(ciphertext=flip_last_byte(ciphertext))
    )
    db.commit()
    shown = get_page(alice.client, case_page)
    assert INTEGRITY in shown
    assert TAMPERED not in shown
    queue = get_page(carol.client, "/approvals")
    assert INTEGRITY in queue
    assert 'aria-label="Approve the measure on case ' not in queue
    unreadable = post_answer(carol.client, decide.format(tampered, "approve"), 409)
    assert "This item failed an integrity check; it cannot be approved." in unreadable
    assert post_to_case(carol.client, case_id, decide.format(tampered, "reject")) == 302
    assert state_of(db, tampered) is MeasureState.REJECTED
