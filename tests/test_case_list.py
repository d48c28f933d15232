"""The case list: filters, counts per status, sorting, pages, deadline flags, unread messages,
access (exclusions, other caseworkers' cases), and a query count that does not grow with the
page. Cases come from the intake when they must be readable, else from the benchmark's seeder."""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, event, func, select, update
from sqlalchemy.orm import Session

from bench.bench_caselist import seed_cases
from redress.cases import deadlines
from redress.keys.blind_index import INDEX_KEY
from redress.store import clock
from redress.store.models import (
    Case,
    CaseExclusion,
    CaseStatus,
    InterimMeasure,
    MeasureState,
    OrganisationKey,
)
from tests.helpers import (
    SignedIn,
    Staff,
    case_ids,
    confirm_receipt,
    csrf_token,
    receipt_from,
    submit_report,
)

_ROW = re.compile(r"<tr[^>]*>\s*<th scope=\"row\"><a href=\"/cases/[0-9a-f]{32}\">(\w+)</a>")
_ROW_HTML = re.compile(r"<tr[^>]*>\s*<th scope=\"row\">.*?</tr>", re.S)


def listed(client: FlaskClient, query: str = "", status: int = 200) -> tuple[list[str], str]:
    """The references listed, in order, and the page."""
    response = client.get(f"/{query}")
    assert response.status_code == status
    page = response.get_data(as_text=True)
    return _ROW.findall(page), page


def row_of(page: str, reference: str) -> str:
    [row] = [row for row in _ROW_HTML.findall(page) if f">{reference}</a>" in row]
    return str(row)


def link(page: str, text: str) -> str:
    """The query string of a page link ("Next", "Previous", "First", "Last")."""
    [href] = re.findall(rf'<a href="/(\?[^"]*)"[^>]*>{text}</a>', page)
    return html.unescape(href)


def walk(client: FlaskClient, start: str, text: str) -> list[list[str]]:
    """The references of every page from `start`, following the `text` link until it ends."""
    pages = []
    query: str | None = start
    while query is not None:
        shown, page = listed(client, query)
        pages.append(shown)
        query = link(page, text) if f">{text}</a>" in page else None
    return pages


def references(db: Session, *conditions: Any) -> set[str]:
    return set(db.scalars(select(Case.reference).where(*conditions)))


@pytest.fixture
def alice(make_caseworker: Callable[..., Staff]) -> Staff:
    return make_caseworker("alice")


def test_filters_counts_sorting_and_pages(
    console: FlaskClient, sign_in: Callable[..., SignedIn], alice: Staff, db: Session
) -> None:
    seed_cases(db, alice.account.caseworker_id, 60, today=clock.today())
    sign_in(alice, client=console)

    shown, page = listed(console)
    assert len(shown) == 50
    assert "Cases 1–50 of 60, page 1 of 2" in page
    for status, count in db.execute(select(Case.status, func.count()).group_by(Case.status)):
        assert re.search(rf'status={status.value}"[^>]*>[^<]+<span class="count">{count}<', page)
    second, page_two = listed(console, link(page, "Next"))
    assert len(second) == 10
    assert "Cases 51–60 of 60, page 2 of 2" in page_two
    assert not set(second) & set(shown)
    assert set(shown + second) == references(db)
    assert listed(console, link(page, "Last"))[0] == second
    assert listed(console, link(page_two, "Previous"))[0] == shown

    newest, _ = listed(console, "?sort=newest")
    oldest, _ = listed(console, "?sort=oldest&last=y")
    assert newest[0] == "B0000000"
    assert oldest[-1] == "B0000000"
    by_reference, _ = listed(console, "?sort=reference")
    assert by_reference == sorted(by_reference)

    acknowledged = references(db, Case.status == CaseStatus.ACKNOWLEDGED)
    shown, page = listed(console, "?status=acknowledged")
    assert set(shown) == acknowledged
    assert f"of {len(acknowledged)}" in page
    mine = references(db, Case.assignee_id == alice.account.caseworker_id)
    assert set(listed(console, "?assignee=me")[0]) == mine
    assert set(listed(console, "?assignee=none")[0]) == references(db, Case.assignee_id.is_(None))
    # The seeder leaves a reporter's message unread in every tenth open case.
    assert set(listed(console, "?unread=y")[0]) == {f"B00000{i}0" for i in range(6)}

    # Pages keep the filters; counts per status link to a status with the other filters kept.
    _, page = listed(console, "?assignee=me&sort=oldest")
    assert 'href="/?status=received&amp;assignee=me&amp;sort=oldest"' in page

    shown, page = listed(console, "?status=bogus&assignee=someone", status=400)
    assert len(shown) == 50
    assert "Not a valid choice" in page


def test_deadlines_are_flagged_in_text_and_filter(
    console: FlaskClient, sign_in: Callable[..., SignedIn], alice: Staff, db: Session
) -> None:
    seed_cases(db, alice.account.caseworker_id, 6, today=clock.today())
    today = clock.today()
    setups: dict[str, dict[str, Any]] = {
        # reference: status and dates
        "B0000000": {"status": CaseStatus.RECEIVED, "acknowledgement_due": today - timedelta(1)},
        "B0000001": {"status": CaseStatus.RECEIVED, "acknowledgement_due": today + timedelta(2)},
        "B0000002": {"status": CaseStatus.RECEIVED, "acknowledgement_due": today + timedelta(3)},
        "B0000003": {
            "status": CaseStatus.UNDER_INVESTIGATION,
            "acknowledgement_due": today - timedelta(100),  # met long ago: no longer counts
            "feedback_due": today - timedelta(1),
        },
        "B0000004": {"status": CaseStatus.DECIDED, "feedback_due": today},
        "B0000005": {"status": CaseStatus.CLOSED, "feedback_due": today - timedelta(30)},
    }
    for reference, values in setups.items():
        db.execute(update(Case).where(Case.reference == reference).values(**values))
    db.commit()
    sign_in(alice, client=console)

    _, page = listed(console)
    flags = {ref: re.findall(r"(overdue|due soon)</strong>", row_of(page, ref)) for ref in setups}
    assert flags == {
        "B0000000": ["overdue"],
        "B0000001": ["due soon"],
        "B0000002": [],
        "B0000003": ["overdue"],
        "B0000004": ["due soon"],
        "B0000005": [],
    }
    for case in db.scalars(select(Case)):
        assert deadlines.is_overdue(case, today) == (flags[case.reference] == ["overdue"])
    assert set(listed(console, "?urgency=overdue")[0]) == {"B0000000", "B0000003"}
    assert set(listed(console, "?urgency=due_soon")[0]) == {"B0000001", "B0000004"}
    assert listed(console, "?sort=deadline")[0][:3] == ["B0000000", "B0000003", "B0000004"]


def test_review_dates_of_measures_in_force_are_shown_and_flagged(
    console: FlaskClient, sign_in: Callable[..., SignedIn], alice: Staff, db: Session
) -> None:
    """Only measures in force count; a case shows its earliest review date, and an overdue or
    near review makes the case stand out and match the deadline filter like any deadline."""
    seed_cases(db, alice.account.caseworker_id, 4, today=clock.today())
    today = clock.today()
    db.execute(
        update(Case).values(status=CaseStatus.ACKNOWLEDGED, feedback_due=today + timedelta(60))
    )
    case_of = {
        reference: case_id for reference, case_id in db.execute(select(Case.reference, Case.id))
    }
    measures = (
        ("B0000000", MeasureState.LIFTED, -5),
        ("B0000001", MeasureState.IN_FORCE, 30),
        ("B0000001", MeasureState.IN_FORCE, 1),
        ("B0000002", MeasureState.IN_FORCE, -1),
        ("B0000002", MeasureState.IN_FORCE, 2),  # due soon, but the overdue one comes first
        ("B0000002", MeasureState.PROPOSED, -3),
        ("B0000003", MeasureState.REJECTED, 0),
    )
    for reference, state, days in measures:
        db.add(
            InterimMeasure(
                case_id=case_of[reference],
                state=state,
                review_on=today + timedelta(days),
                proposed_on=today - timedelta(10),
                ciphertext=b"never opened by the list",
            )
        )
    db.commit()
    sign_in(alice, client=console)

    _, page = listed(console)
    expected = {
        "B0000000": ("–", None),
        "B0000001": ((today + timedelta(1)).isoformat(), "due-soon"),
        "B0000002": ((today - timedelta(1)).isoformat(), "overdue"),
        "B0000003": ("–", None),
    }
    for reference, (shown, flag) in expected.items():
        row = row_of(page, reference)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[4].startswith(shown)  # the "Measures review" column
        assert row.startswith(f'<tr class="{flag}">' if flag else "<tr>")
    assert listed(console, "?urgency=overdue")[0] == ["B0000002"]
    assert listed(console, "?urgency=due_soon")[0] == ["B0000001"]


def post_reporter_message(intake: FlaskClient, text: str) -> None:
    """Submit a report, confirm the receipt, and answer from the inbox."""
    response = submit_report(intake, "The spyware was installed at the border.")
    assert response.status_code == 201
    assert confirm_receipt(intake, receipt_from(response)).status_code == 302
    token = csrf_token(intake, "/inbox")
    assert intake.post("/inbox", data={"csrf_token": token, "text": text}).status_code == 302


def test_unread_messages_are_marked_until_read_and_access_is_respected(
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    alice = make_caseworker("alice")
    post_reporter_message(intake, "Here is more about the border crossing.")
    bob = make_caseworker("bob")  # joined after the report: not granted it
    client = sign_in(alice).client
    [case_id] = case_ids(client)
    reference = db.scalar(select(Case.reference).where(Case.id == case_id))
    assert reference

    _, page = listed(client, "?unread=y")
    assert "1 unread" in row_of(page, reference)
    assert client.get(f"/cases/{case_id}").status_code == 200
    assert listed(client, "?unread=y")[0] == []
    assert "unread" not in row_of(listed(client)[1], reference)

    assert listed(sign_in(bob).client)[1].count("No cases are granted") == 1

    db.add(
        CaseExclusion(
            case_id=case_id, caseworker_id=alice.account.caseworker_id, created_at=clock.utcnow()
        )
    )
    db.commit()
    shown, page = listed(client)
    assert shown == []
    assert "No cases are granted to you yet." in page
    assert re.search(r'status=received"[^>]*>[^<]+<span class="count">0<', page)


def test_classification_filters_use_blind_indexes(
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    intake: FlaskClient,
    alice: Staff,
    db: Session,
) -> None:
    for _ in range(2):
        assert submit_report(intake, "Our phones were tapped.").status_code == 201
    sign_in(alice, client=console)
    first, second = case_ids(console)
    for case_id, country in ((first, "Freedonia"), (second, "Sylvania")):
        token = csrf_token(console, f"/cases/{case_id}")
        response = console.post(
            f"/cases/{case_id}/triage",
            data={"csrf_token": token, "country": country, "category": "mass_surveillance"},
        )
        assert response.status_code == 302
    first_ref, second_ref = (
        db.scalar(select(Case.reference).where(Case.id == case_id)) for case_id in (first, second)
    )
    assert listed(console, "?country=%20FREEDONIA%20")[0] == [first_ref]
    assert listed(console, "?country=sylvania&category=mass_surveillance")[0] == [second_ref]
    assert listed(console, "?category=other")[0] == []

    # Without the index key, the classification filters are switched off, and say so.
    db.execute(delete(OrganisationKey).where(OrganisationKey.name == INDEX_KEY))
    db.commit()
    shown, page = listed(console, "?country=freedonia")
    assert set(shown) == {first_ref, second_ref}
    assert "has not received the organisation's index key" in page
    assert re.search(r'<input[^>]*disabled[^>]*name="country"|name="country"[^>]*disabled', page)


def count_list_queries(console_app: Flask, client: FlaskClient, query: str) -> int:
    """Statements of one list request, leaving out the session's sliding expiry, which is
    written only when its rounded time moves on."""
    engine = console_app.extensions["redress"].database.engine
    statements: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if not statement.startswith("UPDATE session_records"):
            statements.append(statement)

    event.listen(engine, "before_cursor_execute", record)
    try:
        assert client.get(f"/{query}").status_code == 200
    finally:
        event.remove(engine, "before_cursor_execute", record)
    return len(statements)


def test_the_number_of_queries_does_not_grow_with_the_page(
    console_app: Flask,
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    alice: Staff,
    db: Session,
) -> None:
    sign_in(alice, client=console)
    queries = ("", "?unread=y&sort=deadline", "?assignee=me&sort=oldest&last=y")
    seed_cases(db, alice.account.caseworker_id, 5, today=clock.today(), prefix="S")
    few = [count_list_queries(console_app, console, query) for query in queries]
    seed_cases(db, alice.account.caseworker_id, 55, today=date(2020, 1, 1), prefix="T")
    many = [count_list_queries(console_app, console, query) for query in queries]
    assert listed(console)[1].count("Cases 1–50 of 60") == 1
    assert few == many


@pytest.mark.parametrize("sort", ["newest", "oldest", "deadline", "feedback_due", "reference"])
def test_pages_seek_by_key_through_ties_and_nulls(
    console: FlaskClient, sign_in: Callable[..., SignedIn], alice: Staff, db: Session, sort: str
) -> None:
    """Pages start after (or end before) a boundary case: following Next from the first page
    and Previous from the last each shows every case once, in the same order, even where many
    cases share a date and closed cases have no deadline."""
    seed_cases(db, alice.account.caseworker_id, 130, today=clock.today())
    db.execute(update(Case).where(Case.reference < "B0000070").values(received_on=date(2026, 1, 1)))
    db.commit()
    sign_in(alice, client=console)

    forwards = walk(console, f"?sort={sort}", "Next")
    backwards = walk(console, f"?sort={sort}&last=y", "Previous")
    assert [len(shown) for shown in forwards] == [50, 50, 30]
    assert backwards == forwards[::-1]
    order = [reference for shown in forwards for reference in shown]
    assert sorted(order) == sorted(references(db))
    if sort == "reference":
        assert order == sorted(order)


def test_a_new_case_shifts_no_row_between_pages(
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    alice: Staff,
    db: Session,
    make_caseworker: Callable[..., Staff],
) -> None:
    seed_cases(db, alice.account.caseworker_id, 60, today=clock.today())
    sign_in(alice, client=console)
    first, page = listed(console)
    seed_cases(db, alice.account.caseworker_id, 1, today=clock.today(), prefix="N")
    second, page_two = listed(console, link(page, "Next"))
    assert len(second) == 10  # after the last case shown, not offset by the newcomer
    assert not set(first) & set(second)
    assert "of 61, page 2 of 2" in page_two

    # A boundary the caseworker cannot list (another caseworker's case, or a forged id) gives
    # the first page: the link reveals nothing of where that case would sort.
    bob = make_caseworker("bob")
    seed_cases(db, bob.account.caseworker_id, 1, today=clock.today(), prefix="X")
    hidden = db.scalar(select(Case.id).where(Case.reference == "X0000000"))
    for cursor in (hidden, "0" * 32, "not-an-id"):
        shown, page = listed(console, f"?after={cursor}&page=7")
        assert shown[:50] == listed(console)[0]
        assert "page 1 of 2" in page
