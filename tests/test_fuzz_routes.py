"""Every route of both apps, fuzzed (tests/support/fuzz.py): garbage in the path, the query string
and the form body gets a clear answer below 500, never a stack trace, never a redirect off the
site and never a header with a control character in it.

Each app is fuzzed by an anonymous visitor (CSRF token valid, missing or forged) and signed in
(CSRF token always valid, so the views' own validation is reached): the intake by a reporter, the
console by the first staff role allowed to use each route. Real ids and offered values come from
a case with files, messages and a task, seen through the apps' own pages. Hypothesis runs
derandomised, without an example database and with a fixed number of examples per route, so the
run is the same every time and takes seconds per app and engine.
"""

from __future__ import annotations

import io
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace

import pytest
from flask import Flask
from flask.testing import FlaskClient

from caseworker import create_app as create_console
from intake import create_app as create_intake
from redress.store.config import Config
from redress.store.models import Role
from tests.helpers import (
    Staff,
    confirm_receipt,
    csrf_token,
    first_sign_in,
    receipt_from,
    report_form,
)
from tests.support.fuzz import Knowledge, Route, explore, fuzz_route, real_values, routes

# Generated requests per route (after the sweep of its known query parameters): enough to mix
# real values, look-alike ids and garbage in each part of a request, few enough that both apps
# on both engines take well under a minute.
ANONYMOUS_EXAMPLES = 4
SIGNED_IN_EXAMPLES = 8
# Routes a signed-in visitor leaves to the anonymous one: they end the session or start another.
SESSION_CHANGING = {"intake.logout", "intake.report", "intake.login", "auth.logout", "auth.login"}
# Every staff role, each with a page only it may open; the administrator goes last, as
# deactivating accounts is among what it may fuzz.
ROLES = (Role.CASEWORKER, Role.APPROVER, Role.AUDITOR, Role.ADMINISTRATOR)
HOME = {
    Role.CASEWORKER: "/",
    Role.APPROVER: "/approvals",
    Role.AUDITOR: "/audit",
    Role.ADMINISTRATOR: "/admin/accounts",
}
CONSOLE_PAGES = [
    "/",
    "/approvals",
    "/account/two-factor",
    "/passphrase",
    "/audit",
    "/admin/accounts",
    "/admin/templates",
    "/admin/settings",
]


@pytest.fixture
def apps(config: Config) -> Iterator[tuple[Flask, Flask]]:
    """Both apps, with no flood budget to run out of (a 503 "busy" page is deliberate)."""
    unthrottled = replace(config, failed_receipts_per_minute=10**6, submissions_per_minute=10**6)
    intake, console = create_intake(unthrottled), create_console(unthrottled)
    yield intake, console
    for app in (intake, console):
        app.extensions["redress"].database.dispose()


@dataclass
class Visitor:
    client: FlaskClient
    token: str  # the CSRF token of a signed-in visitor's session ("" for an anonymous one)


def _post_files(client: FlaskClient, path: str, data: dict[str, object]) -> int:
    return client.post(path, data=data, content_type="multipart/form-data").status_code


def _reporter(intake: Flask) -> Visitor:
    """A reporter who sent a report and a reply, each with a file, signed in to the inbox."""
    client = intake.test_client()
    data = {
        **report_form(client),
        "what_happened": "A report to fuzz around",
        "attachments": [(io.BytesIO(b"report file"), "report.txt")],
    }
    page = client.post("/report", data=data, content_type="multipart/form-data")
    confirm_receipt(client, receipt_from(page))
    token = csrf_token(client, "/inbox")
    reply = {
        "csrf_token": token,
        "text": "A reply",
        "attachments": [(io.BytesIO(b"reply file"), "reply.txt")],
    }
    assert _post_files(client, "/inbox", reply) == 302
    return Visitor(client, token)


def _staff(console: Flask, staff: Staff) -> Visitor:
    client = first_sign_in(console.test_client(), staff).client
    return Visitor(client, csrf_token(client, "/account/two-factor"))


def _seed_case_work(caseworker: Visitor, knowledge: Knowledge) -> None:
    """A task, and a reply with a file, added to the case through the console's own forms."""
    [case_id] = sorted(knowledge.ids["case_id"])
    for form in knowledge.forms["investigation.add_task"]:
        fields = {name: values[0] for name, values in form.fields.items() if values}
        fields.update(csrf_token=caseworker.token, task_title="A task to fuzz")
        assert caseworker.client.post(form.action, data=fields).status_code == 302
    reply = {
        "csrf_token": caseworker.token,
        "text": "A caseworker reply",
        "attachments": [(io.BytesIO(b"caseworker file"), "answer.txt")],
    }
    assert _post_files(caseworker.client, f"/cases/{case_id}/reply", reply) == 302


def _forbidden(visitor: Visitor, route: Route, knowledge: Knowledge) -> bool:
    """A role's 403 for a route is decided before the view reads anything: fuzzing the route as
    that role reaches no code, so a role allowed to use it fuzzes it instead."""
    path = route.rule.build(real_values(route, knowledge), append_unknown=False)
    assert path is not None
    data = {"csrf_token": visitor.token} if route.method == "POST" else None
    return visitor.client.open(path[1], method=route.method, data=data).status_code == 403


def _fuzz(
    app: Flask,
    visitor: Visitor,
    knowledge: Knowledge,
    *,
    signed_in_page: str | None = None,
    done: frozenset[str] = frozenset(),
) -> set[str]:
    """Fuzz the routes of ``app`` but those ``done``, as ``visitor``; returns the routes fuzzed.

    A signed-in visitor must still be signed in after each route (``signed_in_page`` answers
    200), or the rest of the run would be anonymous; routes the visitor's role may not use are
    left out (see _forbidden).
    """
    fuzzed = set()
    for route in routes(app):
        if str(route) in done:
            continue
        if signed_in_page is None:
            # A forged or missing token clears the session: fetch one for each request.
            sent = fuzz_route(
                visitor.client,
                route,
                knowledge,
                lambda: csrf_token(visitor.client, "/login"),
                examples=ANONYMOUS_EXAMPLES,
                keep_session=False,
            )
        else:
            if route.endpoint in SESSION_CHANGING or _forbidden(visitor, route, knowledge):
                continue
            token = visitor.token
            sent = fuzz_route(
                visitor.client,
                route,
                knowledge,
                lambda: token,  # noqa: B023 - called within this iteration only
                examples=SIGNED_IN_EXAMPLES,
                keep_session=True,
            )
            still = visitor.client.get(signed_in_page).status_code
            assert still == 200, f"{signed_in_page} answered {still} after fuzzing {route}"
        assert sent > 0, f"nothing sent to {route}"
        fuzzed.add(str(route))
    return fuzzed


def test_every_intake_route_answers_garbage_clearly(apps: tuple[Flask, Flask]) -> None:
    intake, _console = apps
    reporter = _reporter(intake)
    knowledge = explore(intake, reporter.client, ["/", "/report", "/login", "/inbox"])
    assert {"attachment_id", "message_id", "code"} <= set(knowledge.ids)
    assert "next" in knowledge.queries["intake.language"]

    signed_in = _fuzz(intake, reporter, knowledge, signed_in_page="/inbox")
    anonymous = _fuzz(intake, Visitor(intake.test_client(), ""), knowledge)

    every_route = {str(route) for route in routes(intake)}
    assert anonymous == every_route
    assert signed_in == {str(r) for r in routes(intake) if r.endpoint not in SESSION_CHANGING}


def test_every_console_route_answers_garbage_clearly(
    apps: tuple[Flask, Flask], make_caseworker: Callable[..., Staff]
) -> None:
    intake, console = apps
    staff = {role: make_caseworker(f"fuzz-{role.value}", role) for role in ROLES}
    _reporter(intake)  # a case with files and messages, sealed to the caseworker
    caseworker = _staff(console, staff[Role.CASEWORKER])
    knowledge = explore(console, caseworker.client, ["/"])
    _seed_case_work(caseworker, knowledge)
    visitors = {Role.CASEWORKER: caseworker}
    visitors.update({role: _staff(console, staff[role]) for role in ROLES[1:]})
    for visitor in visitors.values():
        explore(console, visitor.client, CONSOLE_PAGES, knowledge)
    assert {"case_id", "attachment_id", "task_id", "account_id"} <= set(knowledge.ids)
    assert {"case", "action"} <= set(knowledge.queries["audit.log"])

    # Each route is fuzzed signed in by the first role allowed to use it.
    signed_in: set[str] = set()
    for role in ROLES:
        signed_in |= _fuzz(
            console,
            visitors[role],
            knowledge,
            signed_in_page=HOME[role],
            done=frozenset(signed_in),
        )
    anonymous = _fuzz(console, Visitor(console.test_client(), ""), knowledge)

    every_route = {str(route) for route in routes(console)}
    assert anonymous == every_route
    assert signed_in == {str(r) for r in routes(console) if r.endpoint not in SESSION_CHANGING}
