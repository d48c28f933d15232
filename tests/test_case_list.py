"""The case list through the console: the query string reaches the list's rules, and the page
shows what they found (the summary, counts per status, page links that keep the filters,
deadline and review flags, unread marks, the classification filters' state), at a number of
queries that does not grow with the page.

The rules themselves (filters, counts, sorting, keyset pages, urgency, who lists a case) are
tested directly in tests/test_caselist_rules.py. Cases come from the benchmark's seeder, and one
readable case from the reporter's submission path.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from datetime import date, timedelta

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine, delete, func, select
from sqlalchemy.orm import Session

from bench.bench_caselist import seed_cases
from redress.keys.blind_index import INDEX_KEY
from redress.reporting.submissions import Submission
from redress.store import clock
from redress.store.models import (
    Author,
    Case,
    CaseStatus,
    MeasureState,
    Message,
    OrganisationKey,
)
from tests.helpers import SignedIn, case_action, references
from tests.support.deadlines import add_measure, deadline_setups, set_deadlines
from tests.support.statements import statements

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


def flags(row: str) -> list[str]:
    return re.findall(r"(overdue|due soon)</strong>", row)


def link(page: str, text: str) -> str:
    """The query string of a page link ("Next", "Previous", "First", "Last")."""
    [href] = re.findall(rf'<a href="/(\?[^"]*)"[^>]*>{text}</a>', page)
    return html.unescape(href)


def count_list_queries(engine: Engine, client: FlaskClient, queries: tuple[str, ...]) -> list[int]:
    """Statements of each list request, leaving out the session's sliding expiry, which is
    written only when its rounded time moves on."""
    counts = []
    for query in queries:
        with statements(engine) as run:
            assert client.get(f"/{query}").status_code == 200
        counts.append(len([s for s in run if not s.startswith("UPDATE session_records")]))
    return counts


def test_the_list_page_wires_the_query_string_to_the_list_rules(
    console_app: Flask,
    sign_in: Callable[..., SignedIn],
    submit_case: Callable[..., Submission],
    db: Session,
) -> None:
    alice = sign_in("alice")
    client = alice.client
    shown, page = listed(client)
    assert shown == []
    assert page.count("No cases are granted to you yet.") == 1
    assert re.search(r'status=received"[^>]*>[^<]+<span class="count">0<', page)

    # A readable case, classified through the console: the filters match it by blind index.
    readable = submit_case("Our phones were tapped.")
    triage = {"country": "Freedonia", "category": "mass_surveillance"}
    assert case_action(client, readable.case_id, "triage", triage) == 302
    assert listed(client, "?country=%20FREEDONIA%20")[0] == [readable.reference]
    assert listed(client, "?country=sylvania&category=mass_surveillance")[0] == []

    # The number of queries stays the same with 7 cases and with 61, on every kind of page.
    engine = console_app.extensions["redress"].database.engine
    seed_cases(db, alice.id, 6, today=clock.today(), prefix="S")
    boundary = db.scalar(select(Case.id).where(Case.reference == "S0000001"))
    queries = (
        "",
        "?unread=y&sort=deadline",
        "?assignee=me&sort=oldest&last=y",
        "?country=freedonia&urgency=overdue",
        f"?after={boundary}&page=2",
    )
    few = count_list_queries(engine, client, queries)
    seed_cases(db, alice.id, 54, today=date(2020, 1, 1), prefix="T")
    assert count_list_queries(engine, client, queries) == few

    # The summary, the counts per status, and the page links.
    first, page = listed(client)
    assert len(first) == 50
    assert "Cases 1–50 of 61, page 1 of 2" in page
    for status, count in db.execute(select(Case.status, func.count()).group_by(Case.status)):
        assert re.search(rf'status={status.value}"[^>]*>[^<]+<span class="count">{count}<', page)
    second, page_two = listed(client, link(page, "Next"))
    assert len(second) == 11
    assert "Cases 51–61 of 61, page 2 of 2" in page_two
    assert set(first + second) == references(db)
    assert listed(client, link(page, "Last"))[0] == second
    assert listed(client, link(page_two, "Previous"))[0] == first
    # A malformed boundary is no boundary: the first page.
    shown, page = listed(client, "?after=not-an-id&page=7")
    assert shown == first
    assert "page 1 of 2" in page

    # Each filter and sort of the query string reaches the list.
    by_reference = listed(client, "?sort=reference")[0]
    assert by_reference == sorted(references(db))[:50]
    acknowledged = references(db, Case.status == CaseStatus.ACKNOWLEDGED)
    shown, page = listed(client, "?status=acknowledged")
    assert set(shown) == acknowledged
    assert f"of {len(acknowledged)}" in page
    mine = references(db, Case.assignee_id == alice.id)
    assert set(listed(client, "?assignee=me")[0]) == mine
    assert set(listed(client, "?assignee=none")[0]) == references(db, Case.assignee_id.is_(None))
    unread = select(Message.case_id).where(
        Message.author == Author.REPORTER, Message.read_by_caseworkers.is_(False)
    )
    assert set(listed(client, "?unread=y")[0]) == references(db, Case.id.in_(unread))
    assert "1 unread" in row_of(listed(client)[1], "S0000000")
    # Counts per status link to a status with the other filters kept.
    _, page = listed(client, "?assignee=me&sort=oldest")
    assert 'href="/?status=received&amp;assignee=me&amp;sort=oldest"' in page
    # Invalid filters are ignored, and said so, with a 400.
    shown, page = listed(client, "?status=bogus&assignee=someone", status=400)
    assert shown == first
    assert "Not a valid choice" in page

    # Deadlines and the review dates of measures in force are flagged in text and filtered.
    today = clock.today()
    setups = deadline_setups("S", today)
    set_deadlines(db, setups)
    add_measure(db, "S0000002", MeasureState.IN_FORCE, today - timedelta(1), today)
    db.commit()
    _, page = listed(client)
    assert {reference: flags(row_of(page, reference)) for reference in setups} == {
        "S0000000": ["overdue"],
        "S0000001": ["due soon"],
        "S0000002": ["overdue"],  # the review date, in the "Measures review" column
        "S0000003": ["overdue"],
        "S0000004": ["due soon"],
        "S0000005": [],
    }
    for reference, shown_date, flag in (
        ("S0000002", (today - timedelta(1)).isoformat(), "overdue"),
        ("S0000001", "–", "due-soon"),
        ("S0000005", "–", None),
    ):
        row = row_of(page, reference)
        cells = re.findall(r"<td>(.*?)</td>", row, re.S)
        assert cells[4].startswith(shown_date)  # the "Measures review" column
        assert row.startswith(f'<tr class="{flag}">' if flag else "<tr>")
    overdue = set(listed(client, "?urgency=overdue")[0])
    assert {"S0000000", "S0000002", "S0000003"} <= overdue
    assert not {"S0000001", "S0000004", "S0000005"} & overdue
    assert set(listed(client, "?urgency=due_soon")[0]) == {"S0000001", "S0000004"}

    # Without the index key, the classification filters are switched off, and say so.
    db.execute(delete(OrganisationKey).where(OrganisationKey.name == INDEX_KEY))
    db.commit()
    shown, page = listed(client, "?country=sylvania")
    assert shown == first
    assert "has not received the organisation's index key" in page
    assert re.search(r'<input[^>]*disabled[^>]*name="country"|name="country"[^>]*disabled', page)
