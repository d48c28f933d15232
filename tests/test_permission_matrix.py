"""Every console route, for every role and for staff not granted the case: allowed or refused.

The expectation table below must name every route of the console (endpoint and method, from
``url_map``): a new route without an entry fails the test until someone decides who may use it.
Each actor asks for every route with real ids (a case submitted through intake with a file and a
confidential identity, a reply with a file, a note, a task, an evidence file, a disclosure
request, interim measures proposed and in force, reply templates, a colleague) and valid CSRF
tokens. All mismatches of one engine are collected and shown together as a table.
"""

from __future__ import annotations

import enum
import itertools
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from redress.store.models import Role
from tests.helpers import NEW_PASSPHRASE, SignedIn, Staff, csrf_token
from tests.support.case_scene import (
    NOTE,
    REASON,
    TASK,
    Actor,
    Scene,
    build_scene,
    evidence_form,
    measure_form,
    renew_form,
    reply_form,
)

# Any X25519 public key will do for an export nobody opens.
EXPORT_RECIPIENT = "redress-export-pk-1:sgD2beGpfV4aEdXP4Kz93AJFUXD2ZhA09vAWlCCoo34"


class Outcome(enum.StrEnum):
    # Past authorisation: 2xx, 3xx other than to the sign-in page, and also 400 (the minimal
    # form failed validation) or 409 (the service refused, e.g. a grant already made): both
    # happen only after the guards let the actor through.
    ALLOWED = "allowed"
    FORBIDDEN = "403"
    NOT_FOUND = "404"
    # To the sign-in page: a redirect to /login, or the sign-in page answered in place with a
    # 401 when a POST carries typed text through sign-in (caseworker/auth.py, CARRIED_FIELDS).
    SIGN_IN = "sign in"


A, F, N, S = Outcome.ALLOWED, Outcome.FORBIDDEN, Outcome.NOT_FOUND, Outcome.SIGN_IN
Expectations = Mapping[Actor, Outcome]


def profile(
    admin: Outcome,
    holder: Outcome,
    outsider: Outcome,
    approver: Outcome,
    other_approver: Outcome,
    auditor: Outcome,
    anonymous: Outcome = S,
) -> Expectations:
    return {
        Actor.ANONYMOUS: anonymous,
        Actor.ADMINISTRATOR: admin,
        Actor.HOLDER: holder,
        Actor.OUTSIDER: outsider,
        Actor.APPROVER: approver,
        Actor.OTHER_APPROVER: other_approver,
        Actor.AUDITOR: auditor,
    }


# Case content: only staff with a case role who hold its keys; others with the role get a 404.
CASE_CONTENT = profile(admin=F, holder=A, outsider=N, approver=A, other_approver=N, auditor=F)
CASE_LIST = profile(admin=F, holder=A, outsider=A, approver=A, other_approver=A, auditor=F)
APPROVALS = profile(admin=F, holder=F, outsider=F, approver=A, other_approver=A, auditor=F)
# Deciding needs the approver role and the case's identity key (held from submission).
DECIDE = profile(admin=F, holder=F, outsider=F, approver=A, other_approver=N, auditor=F)
# The receiving team: seen by staff with a case role; changed by approvers in the team (both
# approvers are: the operator created them). Who may change it beyond the role is the core's
# rule (tests/test_receiving_team.py): an approver outside the team or the account's creator is
# refused with a 403 too.
TEAM = profile(admin=F, holder=A, outsider=A, approver=A, other_approver=A, auditor=F)
TEAM_CHANGE = profile(admin=F, holder=F, outsider=F, approver=A, other_approver=A, auditor=F)
ADMINISTRATION = profile(admin=A, holder=F, outsider=F, approver=F, other_approver=F, auditor=F)
AUDIT_LOG = profile(admin=F, holder=F, outsider=F, approver=F, other_approver=F, auditor=A)
SIGNED_IN = profile(admin=A, holder=A, outsider=A, approver=A, other_approver=A, auditor=A)
PUBLIC = profile(
    admin=A, holder=A, outsider=A, approver=A, other_approver=A, auditor=A, anonymous=A
)
# Signing out sends everyone to the sign-in page; it runs last for each actor.
SIGN_OUT = profile(admin=S, holder=S, outsider=S, approver=S, other_approver=S, auditor=S)

Form = Callable[["Scene"], dict[str, object]]


def no_form(_scene: Scene) -> dict[str, object]:
    return {}


@dataclass(frozen=True)
class Route:
    path: str  # formatted with the scene's ids
    expected: Expectations
    form: Form = no_form


# Unique names for the accounts and templates the matrix itself creates.
NUMBERS = itertools.count(1)


CASE = "/cases/{case}"
# Targets of grants, exclusions and account changes are a spare colleague, never an actor, so
# what one actor is allowed to do never changes what the next one is allowed to do.
ROUTES: dict[tuple[str, str], Route] = {
    ("auth.login", "GET"): Route("/login", PUBLIC),
    # Empty: a real sign-in would replace the actor's session (a 400 is past authorisation).
    ("auth.login", "POST"): Route("/login", PUBLIC),
    ("auth.passphrase", "GET"): Route("/passphrase", SIGNED_IN),
    ("auth.passphrase", "POST"): Route(
        "/passphrase",
        SIGNED_IN,
        lambda _s: {
            "current": "not the passphrase",
            "new": NEW_PASSPHRASE + "!",
            "confirm": NEW_PASSPHRASE + "!",
        },
    ),
    ("cases.index", "GET"): Route("/", CASE_LIST),
    ("cases.show", "GET"): Route(CASE, CASE_CONTENT),
    ("cases.reply", "POST"): Route(CASE + "/reply", CASE_CONTENT, reply_form),
    ("cases.download", "GET"): Route(CASE + "/files/{attachment}", CASE_CONTENT),
    ("triage.save", "POST"): Route(
        CASE + "/triage", CASE_CONTENT, lambda _s: {"credibility_rationale": "Plausible."}
    ),
    ("triage.change_status", "POST"): Route(
        CASE + "/status", CASE_CONTENT, lambda _s: {"new_status": "acknowledged"}
    ),
    ("investigation.add_note", "POST"): Route(
        CASE + "/notes", CASE_CONTENT, lambda _s: {"note": NOTE}
    ),
    ("investigation.add_task", "POST"): Route(
        CASE + "/tasks",
        CASE_CONTENT,
        lambda s: {"task_title": TASK, "task_owner": s.ids["holder"]},
    ),
    ("investigation.change_task", "POST"): Route(CASE + "/tasks/{task}/complete", CASE_CONTENT),
    ("investigation.add_evidence", "POST"): Route(CASE + "/evidence", CASE_CONTENT, evidence_form),
    ("export.download", "POST"): Route(
        CASE + "/export", CASE_CONTENT, lambda _s: {"recipient_key": EXPORT_RECIPIENT}
    ),
    ("access.grant", "POST"): Route(
        CASE + "/access/grant", CASE_CONTENT, lambda s: {"grantee": s.ids["spare"]}
    ),
    ("access.revoke", "POST"): Route(CASE + "/access/revoke/{spare}", CASE_CONTENT),
    ("access.assign", "POST"): Route(
        CASE + "/access/assign", CASE_CONTENT, lambda s: {"assignee": s.ids["holder"]}
    ),
    ("access.exclude", "POST"): Route(
        CASE + "/access/exclude", CASE_CONTENT, lambda s: {"excluded": s.ids["spare"]}
    ),
    ("access.lift", "POST"): Route(CASE + "/access/exclusions/{spare}/lift", CASE_CONTENT),
    ("access.request_disclosure", "POST"): Route(
        CASE + "/access/disclosure", CASE_CONTENT, lambda _s: {"disclosure_reason": REASON}
    ),
    # Deciding needs the approver role, and a key: the identity key for a disclosure request,
    # the case's internal key (a grant) for an interim measure (OTHER_ITEMS has that one).
    ("approvals.decide", "POST"): Route(CASE + "/approvals/disclosure/{request}/approve", DECIDE),
    ("measures.propose", "POST"): Route(CASE + "/measures", CASE_CONTENT, measure_form),
    ("measures.review", "POST"): Route(
        CASE + "/measures/{in_force}/review", CASE_CONTENT, renew_form
    ),
    ("approvals.queue", "GET"): Route("/approvals", APPROVALS),
    ("team.index", "GET"): Route("/team", TEAM),
    # The spare colleague leaves and rejoins the team: an add of a member is a 409, past the
    # guards, and a grant to them is refused past the guards too.
    ("team.add", "POST"): Route("/team/{spare}/add", TEAM_CHANGE),
    ("team.remove", "POST"): Route("/team/{spare}/remove", TEAM_CHANGE),
    ("admin.accounts", "GET"): Route("/admin/accounts", ADMINISTRATION),
    ("admin.create", "POST"): Route(
        "/admin/accounts",
        ADMINISTRATION,
        lambda _s: {"username": f"made{next(NUMBERS)}", "role": Role.AUDITOR.value},
    ),
    ("admin.deactivate", "POST"): Route("/admin/accounts/{spare}/deactivate", ADMINISTRATION),
    ("admin.reactivate", "POST"): Route("/admin/accounts/{spare}/reactivate", ADMINISTRATION),
    ("templates.index", "GET"): Route("/admin/templates", ADMINISTRATION),
    ("templates.create", "POST"): Route(
        "/admin/templates",
        ADMINISTRATION,
        lambda _s: {"name": f"Template {next(NUMBERS)}", "body": "Thank you for {reference}."},
    ),
    ("templates.edit", "GET"): Route("/admin/templates/{template}", ADMINISTRATION),
    ("templates.update", "POST"): Route(
        "/admin/templates/{template}",
        ADMINISTRATION,
        lambda _s: {"name": "Acknowledgement", "body": "We received {reference}."},
    ),
    ("templates.delete", "POST"): Route("/admin/templates/{doomed}/delete", ADMINISTRATION),
    ("settings.edit", "GET"): Route("/admin/settings", ADMINISTRATION),
    ("settings.save", "POST"): Route(
        "/admin/settings",
        ADMINISTRATION,
        lambda _s: {"acknowledgement_days": "7", "feedback_days": "90"},
    ),
    ("audit.log", "GET"): Route("/audit", AUDIT_LOG),
    ("account.two_factor", "GET"): Route("/account/two-factor", SIGNED_IN),
    ("account.reveal", "POST"): Route(
        "/account/two-factor/secret", SIGNED_IN, lambda _s: {"reveal-passphrase": NEW_PASSPHRASE}
    ),
    ("account.generate_codes", "POST"): Route(
        "/account/two-factor/recovery-codes",
        SIGNED_IN,
        lambda _s: {"codes-passphrase": NEW_PASSPHRASE},
    ),
    ("auth.logout", "POST"): Route("/logout", SIGN_OUT),
}

# Routes that reach an endpoint of ROUTES by another path (another kind of item), checked too.
OTHER_ITEMS: dict[tuple[str, str], tuple[Route, ...]] = {
    ("approvals.decide", "POST"): (Route(CASE + "/approvals/measure/{measure}/approve", DECIDE),),
}


def every_route() -> list[tuple[str, str, Route]]:
    """Each (endpoint, method, route) to ask, signing out last."""
    found = [(endpoint, method, route) for (endpoint, method), route in ROUTES.items()]
    found += [(*key, route) for key, routes in OTHER_ITEMS.items() for route in routes]
    return sorted(found, key=lambda item: item[2].expected is SIGN_OUT)


def console_routes(app: Flask) -> set[tuple[str, str]]:
    """(endpoint, method) of every route but static files, HEAD and OPTIONS."""
    return {
        (rule.endpoint, method)
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static"
        for method in rule.methods or ()
        if method not in {"HEAD", "OPTIONS"}
    }


def outcome(response: TestResponse) -> Outcome | str:
    status = response.status_code
    if status in (301, 302, 303) and urlsplit(response.location).path == "/login":
        return Outcome.SIGN_IN
    if status == 401 and 'name="username"' in response.get_data(as_text=True):
        return Outcome.SIGN_IN
    if status == 403:
        return Outcome.FORBIDDEN
    if status == 404:
        return Outcome.NOT_FOUND
    if status < 400 or status in (400, 409):
        return Outcome.ALLOWED
    return str(status)


# Running the matrix.


@dataclass(frozen=True)
class Mismatch:
    endpoint: str
    method: str
    actor: Actor
    form: str
    expected: Outcome
    got: str

    def row(self) -> str:
        return table_row(self.endpoint, self.method, self.actor, self.form, self.expected, self.got)


def table_row(*cells: str) -> str:
    widths = (28, 5, 32, 7, 8, 0)
    return " ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()


def token_page(actor: Actor) -> str:
    """A page every actor may open, to take a CSRF token from (valid for any form)."""
    return "/login" if actor is Actor.ANONYMOUS else "/account/two-factor"


def ask(client: FlaskClient, method: str, path: str, data: Mapping[str, object]) -> TestResponse:
    if method == "GET":
        response = client.get(path)
    else:
        response = client.post(path, data=dict(data), content_type="multipart/form-data")
    response.get_data()  # consume a streamed download
    response.close()
    return response


def check(scene: Scene, actor: Actor, endpoint: str, method: str, route: Route) -> list[Mismatch]:
    """The route asked by one actor: with the minimal form, and for an actor who must be
    refused, once more with an empty form (a refusal must come before validation). Signing out
    is asked once: it clears the session, and with it the CSRF secret."""
    client, expected = scene.clients[actor], route.expected[actor]
    token = csrf_token(client, token_page(actor)) if method == "POST" else ""
    forms = {"minimal": {"csrf_token": token, **route.form(scene)}}
    if method == "POST" and expected is not Outcome.ALLOWED and route.expected is not SIGN_OUT:
        forms["empty"] = {"csrf_token": token}
    found = []
    for name, data in forms.items():
        response = ask(client, method, scene.path(route.path), data)
        got = outcome(response)
        text = response.get_data().decode("utf-8", "replace")  # a download may be binary
        if got != expected or "Traceback" in text:
            where = f" -> {response.location}" if response.location else ""
            found.append(
                Mismatch(endpoint, method, actor, name, expected, f"{response.status_code}{where}")
            )
    return found


def run_matrix(scene: Scene) -> list[Mismatch]:
    mismatches = []
    for actor in Actor:
        for endpoint, method, route in every_route():
            mismatches += check(scene, actor, endpoint, method, route)
    return mismatches


def test_the_table_names_every_console_route(console_app: Flask) -> None:
    routes = console_routes(console_app)
    assert routes - ROUTES.keys() == set(), "routes without an expectation: add them to ROUTES"
    assert ROUTES.keys() - routes == set(), "expectations for routes that no longer exist"
    adapter = console_app.url_map.bind("console.test")
    names = ("case", "attachment", "task", "request", "measure", "in_force", "template", "doomed")
    ids = dict.fromkeys(names, "0" * 32)
    for endpoint, method, route in every_route():
        assert set(route.expected) == set(Actor), endpoint
        matched, _args = adapter.match(route.path.format(spare="1" * 32, **ids), method)
        assert matched == endpoint, f"{route.path} reaches {matched}, not {endpoint}"


def test_every_route_allows_or_refuses_every_actor(
    console_app: Flask,
    intake: FlaskClient,
    db: Session,
    make_caseworker: Callable[..., Staff],
    sign_in: Callable[..., SignedIn],
) -> None:
    scene = build_scene(console_app, intake, db, make_caseworker, sign_in)
    mismatches = run_matrix(scene)
    header = table_row("endpoint", "verb", "actor", "form", "expected", "got")
    table = "\n".join([header, *map(Mismatch.row, mismatches)])
    assert not mismatches, f"{len(mismatches)} mismatches:\n{table}"
    # Signing out ended each session: nothing but the sign-in page is left.
    for actor, client in scene.clients.items():
        assert outcome(client.get("/account/two-factor")) is Outcome.SIGN_IN, actor
