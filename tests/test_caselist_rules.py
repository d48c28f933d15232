"""The case list, as rules of redress.casework.caselist called directly: which cases a caseworker
sees, filters, counts per status, sorting, keyset pages, deadline and review urgency, unread
messages, blind-index classification filters, and a query count that does not grow with the page.

Cases come from the reporter's submission path when they must be readable, else from the
benchmark's seeder (bench/bench_caselist.py). The console's wiring of the list (query string,
page text, links) is tests/test_case_list.py.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import replace
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy import Engine, delete, func, select, update
from sqlalchemy.orm import Session

from bench.bench_caselist import seed_cases
from redress.cases import deadlines
from redress.cases.deadlines import Urgency
from redress.casework import case_file, caselist, triage
from redress.casework.caselist import ME, PAGE_SIZE, UNASSIGNED, CaseFilter, Position, Sort
from redress.keys.blind_index import INDEX_KEY
from redress.reporting import reporters
from redress.reporting.submissions import Submission
from redress.staff.identity import StaffIdentity
from redress.store import clock
from redress.store.models import (
    Case,
    CaseExclusion,
    CaseStatus,
    MeasureState,
    OrganisationKey,
)
from tests.helpers import references
from tests.support.deadlines import add_measure, deadline_setups, set_deadlines
from tests.support.statements import statements

ANY = CaseFilter()


def refs(page: caselist.CasePage) -> list[str]:
    return [row.reference for row in page.rows]


def listed(db: Session, identity: StaffIdentity, **filters: Any) -> list[str]:
    """The references on the first page with these filters, in order."""
    return refs(caselist.list_page(db, identity, CaseFilter(**filters)))


def walk(
    db: Session, identity: StaffIdentity, filters: CaseFilter, forwards: bool
) -> Iterator[caselist.CasePage]:
    """Every page, by the links a page gives: Next from the first, or Previous from the last."""
    position = Position() if forwards else Position(last=True)
    while True:
        page = caselist.list_page(db, identity, replace(filters, position=position))
        yield page
        if forwards and page.next_after:
            position = Position(number=page.page + 1, after=page.next_after)
        elif not forwards and page.previous_before:
            position = Position(number=page.page - 1, before=page.previous_before)
        else:
            return


def rows_by_reference(page: caselist.CasePage) -> dict[str, caselist.CaseRow]:
    return {row.reference: row for row in page.rows}


@pytest.fixture
def alice(domain_sign_in: Callable[..., StaffIdentity]) -> StaffIdentity:
    return domain_sign_in("alice")


def test_filters_counts_sorting_and_pages(db: Session, alice: StaffIdentity) -> None:
    seed_cases(db, alice.caseworker_id, 60, today=clock.today())

    first = caselist.list_page(db, alice, ANY)
    assert (len(first.rows), first.total, first.page, first.pages) == (50, 60, 1, 2)
    by_status = dict(db.execute(select(Case.status, func.count()).group_by(Case.status)).all())
    assert first.counts == {status: by_status.get(status, 0) for status in CaseStatus}
    assert first.facets_available
    assert (first.previous_before, first.next_after) == (None, first.rows[-1].id)
    second = caselist.list_page(
        db, alice, replace(ANY, position=Position(number=2, after=first.next_after))
    )
    assert (len(second.rows), second.total, second.page, second.pages) == (10, 60, 2, 2)
    assert (second.previous_before, second.next_after) == (second.rows[0].id, None)
    assert not set(refs(first)) & set(refs(second))
    assert set(refs(first) + refs(second)) == references(db)
    last = caselist.list_page(db, alice, replace(ANY, position=Position(number=2, last=True)))
    assert (refs(last), last.page) == (refs(second), 2)
    back = replace(ANY, position=Position(number=1, before=second.previous_before))
    assert refs(caselist.list_page(db, alice, back)) == refs(first)

    assert listed(db, alice, sort=Sort.NEWEST)[0] == "B0000000"
    oldest_last = caselist.list_page(
        db, alice, CaseFilter(sort=Sort.OLDEST, position=Position(last=True))
    )
    assert refs(oldest_last)[-1] == "B0000000"
    by_reference = listed(db, alice, sort=Sort.REFERENCE)
    assert by_reference == sorted(references(db))[:PAGE_SIZE]

    acknowledged = references(db, Case.status == CaseStatus.ACKNOWLEDGED)
    page = caselist.list_page(db, alice, CaseFilter(status=CaseStatus.ACKNOWLEDGED))
    assert (set(refs(page)), page.total) == (acknowledged, len(acknowledged))
    # Counts per status keep every filter but the status.
    assert page.counts == first.counts
    mine = references(db, Case.assignee_id == alice.caseworker_id)
    assert set(listed(db, alice, assignee=ME)) == mine
    assert set(listed(db, alice, assignee=alice.caseworker_id)) == mine
    assert set(listed(db, alice, assignee=UNASSIGNED)) == references(db, Case.assignee_id.is_(None))
    narrowed = caselist.list_page(db, alice, CaseFilter(assignee=ME))
    assert sum(narrowed.counts.values()) == narrowed.total == len(mine)
    # The seeder leaves a reporter's message unread in every tenth open case.
    assert set(listed(db, alice, unread=True)) == {f"B00000{i}0" for i in range(6)}
    unread = caselist.list_page(db, alice, CaseFilter(unread=True))
    assert {row.unread for row in unread.rows} == {1}

    # Only the filters' names go to the audit log; a blank value is no filter.
    used = CaseFilter(status=CaseStatus.RECEIVED, assignee=ME, facets={"country": " "}).used()
    assert used == ["status", "assignee"]
    with pytest.raises(ValueError, match="not a list filter: reporter"):
        CaseFilter(facets={"reporter": "x"})


def test_deadlines_set_each_case_s_urgency_filter_and_sort(
    db: Session, alice: StaffIdentity
) -> None:
    seed_cases(db, alice.caseworker_id, 6, today=clock.today())
    today = clock.today()
    set_deadlines(db, deadline_setups("B", today))

    rows = rows_by_reference(caselist.list_page(db, alice, ANY))
    urgencies = {
        ref: (row.acknowledgement_urgency, row.feedback_urgency, row.stands_out)
        for ref, row in rows.items()
    }
    assert urgencies == {
        "B0000000": (Urgency.OVERDUE, None, Urgency.OVERDUE),
        "B0000001": (Urgency.DUE_SOON, None, Urgency.DUE_SOON),
        "B0000002": (None, None, None),
        "B0000003": (None, Urgency.OVERDUE, Urgency.OVERDUE),
        "B0000004": (None, Urgency.DUE_SOON, Urgency.DUE_SOON),
        "B0000005": (None, None, None),
    }
    # The list's SQL and the rest of Redress's Python tell the same urgency.
    for case in db.scalars(select(Case)):
        assert rows[case.reference].urgency == deadlines.urgency_of(
            deadlines.current_due(case), today
        )
        assert deadlines.is_overdue(case, today) == (
            rows[case.reference].urgency is Urgency.OVERDUE
        )
    assert set(listed(db, alice, urgency=Urgency.OVERDUE)) == {"B0000000", "B0000003"}
    assert set(listed(db, alice, urgency=Urgency.DUE_SOON)) == {"B0000001", "B0000004"}
    assert listed(db, alice, sort=Sort.DEADLINE)[:3] == ["B0000000", "B0000003", "B0000004"]
    # The closed case has no deadline: last.
    assert listed(db, alice, sort=Sort.DEADLINE)[-1] == "B0000005"


def test_review_dates_of_measures_in_force_count_as_deadlines(
    db: Session, alice: StaffIdentity
) -> None:
    """Only measures in force count; a case shows its earliest review date, and an overdue or
    near review makes the case stand out and match the urgency filter like any deadline."""
    seed_cases(db, alice.caseworker_id, 4, today=clock.today())
    today = clock.today()
    db.execute(
        update(Case).values(status=CaseStatus.ACKNOWLEDGED, feedback_due=today + timedelta(60))
    )
    for reference, state, days in (
        ("B0000000", MeasureState.LIFTED, -5),
        ("B0000001", MeasureState.IN_FORCE, 30),
        ("B0000001", MeasureState.IN_FORCE, 1),
        ("B0000002", MeasureState.IN_FORCE, -1),
        ("B0000002", MeasureState.IN_FORCE, 2),  # due soon, but the overdue one comes first
        ("B0000002", MeasureState.PROPOSED, -3),
        ("B0000003", MeasureState.REJECTED, 0),
    ):
        add_measure(db, reference, state, today + timedelta(days), today)
    db.commit()

    rows = rows_by_reference(caselist.list_page(db, alice, ANY))
    reviews = {
        ref: (row.review_on, row.review_urgency, row.stands_out) for ref, row in rows.items()
    }
    assert reviews == {
        "B0000000": (None, None, None),
        "B0000001": (today + timedelta(1), Urgency.DUE_SOON, Urgency.DUE_SOON),
        "B0000002": (today - timedelta(1), Urgency.OVERDUE, Urgency.OVERDUE),
        "B0000003": (None, None, None),
    }
    assert {row.urgency for row in rows.values()} == {None}  # the feedback deadlines are far
    assert listed(db, alice, urgency=Urgency.OVERDUE) == ["B0000002"]
    assert listed(db, alice, urgency=Urgency.DUE_SOON) == ["B0000001"]


def test_unread_messages_count_until_read_and_only_holders_list_a_case(
    db: Session,
    alice: StaffIdentity,
    submit_case: Callable[..., Submission],
    domain_sign_in: Callable[..., StaffIdentity],
) -> None:
    submission = submit_case("The spyware was installed at the border.")
    reporters.send_reply(db, submission.reporter, "Here is more about the border crossing.", [])
    db.commit()
    bob = domain_sign_in("bob")  # joined after the report: not granted it

    [row] = caselist.list_page(db, alice, CaseFilter(unread=True)).rows
    assert (row.id, row.reference, row.unread) == (
        submission.case_id,
        submission.reference,
        1,
    )
    case_file.open_case(db, submission.case_id, alice)
    db.commit()
    assert listed(db, alice, unread=True) == []
    [row] = caselist.list_page(db, alice, ANY).rows
    assert row.unread == 0

    nothing = dict.fromkeys(CaseStatus, 0)
    empty = caselist.list_page(db, bob, ANY)
    assert (empty.rows, empty.total, empty.pages, empty.counts) == ([], 0, 1, nothing)

    db.add(
        CaseExclusion(
            case_id=submission.case_id, caseworker_id=alice.caseworker_id, created_at=clock.utcnow()
        )
    )
    db.commit()
    excluded = caselist.list_page(db, alice, ANY)
    assert (excluded.rows, excluded.total, excluded.counts) == ([], 0, nothing)
    assert caselist.list_page(db, alice, CaseFilter(status=CaseStatus.RECEIVED)).rows == []


def test_classification_filters_use_blind_indexes(
    db: Session, alice: StaffIdentity, submit_case: Callable[..., Submission]
) -> None:
    first, second = (submit_case("Our phones were tapped.") for _ in range(2))
    for submission, country in ((first, "Freedonia"), (second, "Sylvania")):
        saved = triage.save_triage(
            db,
            submission.case_id,
            alice,
            triage.Triage(country=country, category="mass_surveillance"),
        )
        assert saved.indexed
    db.commit()

    assert listed(db, alice, facets={"country": " FREEDONIA "}) == [first.reference]
    both = {"country": "sylvania", "category": "mass_surveillance"}
    page = caselist.list_page(db, alice, CaseFilter(facets=both))
    assert (refs(page), page.total, page.facets_available) == ([second.reference], 1, True)
    assert listed(db, alice, facets={"category": "other"}) == []
    assert set(listed(db, alice, facets={"country": ""})) == {first.reference, second.reference}

    # Without the index key, the classification filters are switched off, and the page says so.
    db.execute(delete(OrganisationKey).where(OrganisationKey.name == INDEX_KEY))
    db.commit()
    page = caselist.list_page(db, alice, CaseFilter(facets={"country": "freedonia"}))
    assert set(refs(page)) == {first.reference, second.reference}
    assert (page.total, page.facets_available) == (2, False)


def test_the_number_of_queries_does_not_grow_with_the_page(
    db: Session, alice: StaffIdentity
) -> None:
    engine = db.get_bind()
    assert isinstance(engine, Engine)

    def counted() -> list[int]:
        """Statements per page: with filters, the last page, and a page after a boundary."""
        boundary = caselist.list_page(db, alice, ANY).rows[0].id
        found = []
        for filters in (
            ANY,
            CaseFilter(unread=True, sort=Sort.DEADLINE),
            CaseFilter(assignee=ME, sort=Sort.OLDEST, position=Position(last=True)),
            CaseFilter(facets={"country": "Freedonia"}, urgency=Urgency.OVERDUE),
            CaseFilter(position=Position(number=2, after=boundary)),
        ):
            with statements(engine) as run:
                caselist.list_page(db, alice, filters)
            found.append(len(run))
        return found

    seed_cases(db, alice.caseworker_id, 5, today=clock.today(), prefix="S")
    few = counted()
    seed_cases(db, alice.caseworker_id, 55, today=date(2020, 1, 1), prefix="T")
    many = counted()
    assert caselist.list_page(db, alice, ANY).total == 60
    assert few == many
    assert max(few) <= 5


@pytest.mark.parametrize("sort", list(Sort))
def test_pages_seek_by_key_through_ties_and_nulls(
    db: Session, alice: StaffIdentity, sort: Sort
) -> None:
    """Pages start after (or end before) a boundary case: following Next from the first page
    and Previous from the last each shows every case once, in the sort's order, even where many
    cases share a date and closed cases have no deadline."""
    seed_cases(db, alice.caseworker_id, 130, today=clock.today())
    db.execute(update(Case).where(Case.reference < "B0000070").values(received_on=date(2026, 1, 1)))
    db.commit()

    filters = CaseFilter(sort=sort)
    forwards = [refs(page) for page in walk(db, alice, filters, forwards=True)]
    backwards = [refs(page) for page in walk(db, alice, filters, forwards=False)]
    assert [len(shown) for shown in forwards] == [50, 50, 30]
    assert backwards == forwards[::-1]
    numbers = [page.page for page in walk(db, alice, filters, forwards=True)]
    assert numbers == [1, 2, 3]

    # The same order as the sort's keys, worked out in Python.
    def due_last(due: date | None) -> tuple[bool, date]:
        return (due is None, due or date.min)

    keys: dict[Sort, Callable[[Case], Any]] = {
        Sort.NEWEST: lambda c: (-c.received_on.toordinal(), c.reference),
        Sort.OLDEST: lambda c: (c.received_on, c.reference),
        Sort.DEADLINE: lambda c: (due_last(deadlines.current_due(c)), c.reference),
        Sort.ACKNOWLEDGEMENT_DUE: lambda c: (c.acknowledgement_due, c.reference),
        Sort.FEEDBACK_DUE: lambda c: (due_last(c.feedback_due), c.reference),
        Sort.REFERENCE: lambda c: c.reference,
    }
    expected = [case.reference for case in sorted(db.scalars(select(Case)), key=keys[sort])]
    assert [reference for shown in forwards for reference in shown] == expected


def test_a_new_case_shifts_no_row_and_a_foreign_boundary_gives_the_first_page(
    db: Session, alice: StaffIdentity, domain_sign_in: Callable[..., StaffIdentity]
) -> None:
    seed_cases(db, alice.caseworker_id, 60, today=clock.today())
    first = caselist.list_page(db, alice, ANY)
    seed_cases(db, alice.caseworker_id, 1, today=clock.today(), prefix="N")
    second = caselist.list_page(
        db, alice, replace(ANY, position=Position(number=2, after=first.next_after))
    )
    assert len(second.rows) == 10  # after the last case shown, not offset by the newcomer
    assert not set(refs(first)) & set(refs(second))
    assert (second.total, second.page, second.pages) == (61, 2, 2)

    # A boundary the caseworker cannot list (another caseworker's case, or a forged id) gives
    # the first page: the link reveals nothing of where that case would sort.
    bob = domain_sign_in("bob")
    seed_cases(db, bob.caseworker_id, 1, today=clock.today(), prefix="X")
    hidden = db.scalar(select(Case.id).where(Case.reference == "X0000000"))
    assert hidden is not None
    front = refs(caselist.list_page(db, alice, ANY))
    for cursor in (hidden, "0" * 32):
        for position in (Position(number=7, after=cursor), Position(number=7, before=cursor)):
            page = caselist.list_page(db, alice, replace(ANY, position=position))
            assert (refs(page), page.page, page.pages) == (front, 1, 2)

    # A Next link past the end (the cases after it went away) shows the last page.
    everything = [ref for page in walk(db, alice, ANY, forwards=True) for ref in refs(page)]
    end = db.scalar(select(Case.id).where(Case.reference == everything[-1]))
    page = caselist.list_page(db, alice, replace(ANY, position=Position(number=3, after=end)))
    assert (refs(page), page.page, page.next_after) == (everything[PAGE_SIZE:], 2, None)
