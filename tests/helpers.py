"""Test helpers: driving the two apps through their forms like a person would.

Shared by every test module (test modules never import from each other). The ``sign_in``
fixture (tests/conftest.py) signs a console user in and returns a :class:`SignedIn`;
:func:`new_case` sends a report through the intake and returns its case id and receipt. Direct
tests of the domain functions, without the apps, build with tests/support/domain.py (the
``domain_sign_in`` and ``submit_case`` fixtures).
"""

from __future__ import annotations

import io
import json
import re
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from flask.testing import FlaskClient
from flask_wtf.csrf import generate_csrf
from sqlalchemy import select
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from redress.staff import totp
from redress.staff.accounts import NewAccount
from redress.store import clock
from redress.store.models import AuditEvent, Case, Caseworker

# The passphrase a console user chooses at the first sign-in (the console requires a new one).
NEW_PASSPHRASE = "a long and new passphrase"
REPORT_TEXT = "The tracker was sold to a ministry."

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{64})"')
_RECEIPT = re.compile(r'id="receipt"[^>]*>([0-9A-Z-]+)</p>')
_CASE_LINK = re.compile(r'href="/cases/([0-9a-f]{32})"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


# The intake.


def report_form(intake: FlaskClient) -> dict[str, object]:
    """The hidden fields of a freshly opened report form."""
    page = intake.get("/report").get_data(as_text=True)
    csrf = _CSRF.search(page)
    token = _SUBMISSION_TOKEN.search(page)
    assert csrf, "no CSRF token on the report form"
    assert token, "no submission token on the report form"
    return {"csrf_token": csrf.group(1), "submission_token": token.group(1)}


def submit_report(
    intake: FlaskClient, text: str, files: list[tuple[bytes, str]] | None = None, **fields: str
) -> TestResponse:
    """Send the report form: ``text`` as what happened, ``files`` (content, name) attached, and
    any other answers as ``fields`` (``identity_name="..."``, ...)."""
    data: dict[str, object] = {
        **report_form(intake),
        "what_happened": text,
        "attachments": [(io.BytesIO(content), name) for content, name in files or []],
        **fields,
    }
    return intake.post("/report", data=data, content_type="multipart/form-data")


def receipt_from(page: TestResponse | str) -> str:
    text = page if isinstance(page, str) else page.get_data(as_text=True)
    match = _RECEIPT.search(text)
    assert match, "no receipt on the page"
    return match.group(1)


def confirm_receipt(intake: FlaskClient, receipt: str) -> TestResponse:
    """Type the last group of the receipt, as the receipt page asks."""
    return intake.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(intake, "/report/confirm"), "last_group": receipt[-4:]},
    )


def reporter_login(intake: FlaskClient, receipt: str) -> TestResponse:
    return intake.post(
        "/login", data={"csrf_token": csrf_token(intake, "/login"), "receipt": receipt}
    )


@dataclass(frozen=True)
class NewCase:
    """A case made by sending a report through the intake."""

    id: str
    receipt: str


def new_case(
    intake: FlaskClient,
    db: Session,
    text: str = REPORT_TEXT,
    files: list[tuple[bytes, str]] | None = None,
    **fields: str,
) -> NewCase:
    """Send a report through the intake form (as :func:`submit_report`); the case it made, found
    in the database, and the receipt shown."""
    before = set(db.scalars(select(Case.id)))
    response = submit_report(intake, text, files, **fields)
    assert response.status_code == 201, response.get_data(as_text=True)
    db.expire_all()
    [case_id] = set(db.scalars(select(Case.id))) - before
    return NewCase(case_id, receipt_from(response))


# The console.


class Authenticator:
    """An authenticator app for one account: each call gives the code of a newer time step.

    The server accepts the previous, current and next 30-second step, each once. A code for the
    previous step is only handed out early in the current one, so a step boundary passing
    between making the code and the server checking it cannot turn it stale.
    """

    STEP_SECONDS = 30
    SAFETY_SECONDS = 5

    def __init__(self, secret: str) -> None:
        self.secret = secret
        self.last_step: int | None = None

    def next_code(self) -> str:
        now = time.time()
        current = int(now // self.STEP_SECONDS)
        left_in_step = self.STEP_SECONDS - now % self.STEP_SECONDS
        earliest = current - 1 if left_in_step > self.SAFETY_SECONDS else current
        step = earliest if self.last_step is None else max(self.last_step + 1, earliest)
        if step > current + 1:
            # Every acceptable step is spent: wait for the clock to make a new one.
            time.sleep((step - 1) * self.STEP_SECONDS - now + 0.5)
        self.last_step = step
        return totp.current_code(
            self.secret, datetime.fromtimestamp(step * self.STEP_SECONDS, UTC).replace(tzinfo=None)
        )


@dataclass
class Staff:
    """A console account created for a test, with what is needed to sign in."""

    account: NewAccount
    passphrase: str


@dataclass
class SignedIn:
    """A console user signed in on a test client of the console (the ``sign_in`` fixture), with
    the passphrase changed to NEW_PASSPHRASE; its authenticator hands out unused codes."""

    client: FlaskClient
    staff: Staff
    authenticator: Authenticator

    @property
    def id(self) -> str:
        return self.staff.account.caseworker_id

    @property
    def username(self) -> str:
        return self.staff.account.username


def console_login(console: FlaskClient, username: str, passphrase: str, code: str) -> TestResponse:
    return console.post(
        "/login",
        data={
            "csrf_token": csrf_token(console, "/login"),
            "username": username,
            "password": passphrase,
            "code": code,
        },
    )


def change_passphrase(console: FlaskClient, current: str, new: str) -> TestResponse:
    return console.post(
        "/passphrase",
        data={
            "csrf_token": csrf_token(console, "/passphrase"),
            "current": current,
            "new": new,
            "confirm": new,
        },
    )


def first_sign_in(client: FlaskClient, staff: Staff) -> SignedIn:
    """Sign ``staff`` in on ``client`` as a person does the first time: the one-time password and
    a TOTP code, then a new passphrase (NEW_PASSPHRASE). The ``sign_in`` fixture uses this; call
    it directly for a console app of a test's own."""
    authenticator = Authenticator(staff.account.totp_secret)
    username = staff.account.username
    code = authenticator.next_code()
    assert console_login(client, username, staff.passphrase, code).status_code == 302
    assert change_passphrase(client, staff.passphrase, NEW_PASSPHRASE).status_code == 302
    return SignedIn(client, staff, authenticator)


def post_form(
    client: FlaskClient,
    path: str,
    data: Mapping[str, object] | None = None,
    form_page: str = "/account/two-factor",
) -> TestResponse:
    """POST ``data`` to ``path`` with a CSRF token taken from ``form_page``."""
    token = csrf_token(client, form_page)
    return client.post(path, data={"csrf_token": token, **(data or {})})


_SHOWN = r'id="{}">([^<]+)<'


def get_page(client: FlaskClient, path: str, status: int = 200) -> str:
    """GET ``path``, which the app answers with ``status``; the page."""
    response = client.get(path)
    assert response.status_code == status, path
    return response.get_data(as_text=True)


def post_answer(client: FlaskClient, path: str, status: int, **data: str) -> str:
    """POST a form (with a CSRF token) that the app answers with ``status``; the page."""
    response = post_form(client, path, data)
    assert response.status_code == status, response.get_data(as_text=True)
    return response.get_data(as_text=True)


def post_redirect(client: FlaskClient, path: str, **data: str) -> str:
    """POST a form (with a CSRF token) that the app accepts; where it sends the browser."""
    response = post_form(client, path, data)
    assert response.status_code == 302, response.get_data(as_text=True)
    return response.location


def text_shown(page: str, element_id: str) -> str:
    """The text of the element with ``element_id`` (a one-time password, a TOTP secret...)."""
    match = re.search(_SHOWN.format(re.escape(element_id)), page)
    assert match, f"nothing shown in #{element_id}"
    return match.group(1)


def case_ids(console: FlaskClient) -> list[str]:
    return _CASE_LINK.findall(console.get("/").get_data(as_text=True))


def post_to_case(client: FlaskClient, case_id: str, path: str, **data: str) -> int:
    """POST ``data`` to ``path`` with a CSRF token (from the case's page for a case route); the
    status."""
    token = csrf_token(client, f"/cases/{case_id}") if path.startswith("/cases") else None
    with client.application.test_request_context():
        token = token or generate_csrf()
    return client.post(path, data={"csrf_token": token, **data}).status_code


def case_action(
    client: FlaskClient, case_id: str, action: str, data: Mapping[str, object] | None = None
) -> int:
    """POST ``data`` (multipart) to /cases/<case_id>/<action> with a CSRF token from the case's
    page; the status."""
    token = csrf_token(client, f"/cases/{case_id}")
    response = client.post(
        f"/cases/{case_id}/{action}",
        data={"csrf_token": token, **(data or {})},
        content_type="multipart/form-data",
    )
    return response.status_code


def worker_id(db: Session, username: str) -> str:
    """The id of the console account ``username``."""
    found = db.scalar(select(Caseworker.id).where(Caseworker.username == username))
    assert found is not None
    return found


def references(db: Session, *conditions: Any) -> set[str]:
    """The references of the cases meeting ``conditions``."""
    return set(db.scalars(select(Case.reference).where(*conditions)))


def audited(db: Session, action: str) -> list[dict[str, object]]:
    """The details of every audit entry of ``action``, oldest first."""
    db.expire_all()
    query = select(AuditEvent.detail).where(AuditEvent.action == action)
    rows = db.scalars(query.order_by(AuditEvent.seq))
    return [json.loads(row) for row in rows]


# Interim measures, from the measures section of a case page.

MEASURE_RATIONALE = "The devices keep phoning home to the ministry servers."
MEASURE_RENEWAL = "The reseller has not answered our questions yet."


def in_days(count: int) -> str:
    """The date ``count`` days from today (the store's clock), as a form field holds it."""
    return (clock.today() + timedelta(days=count)).isoformat()


def propose_measure(
    client: FlaskClient, case_id: str, review_on: str, kind: str = "remote_disable"
) -> int:
    """Propose a measure with MEASURE_RATIONALE, to be reviewed on ``review_on``; the status."""
    return post_to_case(
        client,
        case_id,
        f"/cases/{case_id}/measures",
        measure_kind=kind,
        measure_rationale=MEASURE_RATIONALE,
        measure_review_on=review_on,
    )


def review_measure(
    client: FlaskClient, case_id: str, measure_id: str, reason: str, renew_to: str = ""
) -> int:
    """Renew a measure until ``renew_to``, or lift it without one; the status."""
    prefix = f"review-{measure_id}-"
    button = {prefix + "renew": "Renew"} if renew_to else {prefix + "lift": "Lift"}
    fields = {prefix + "review_on": renew_to, prefix + "reason": reason, **button}
    return post_to_case(client, case_id, f"/cases/{case_id}/measures/{measure_id}/review", **fields)
