"""Test helpers: driving the two apps through their forms like a person would."""

from __future__ import annotations

import io
import re
import time
from datetime import UTC, datetime

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from redress.staff import totp

_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
_SUBMISSION_TOKEN = re.compile(r'name="submission_token" type="hidden" value="([0-9a-f]{64})"')
_RECEIPT = re.compile(r'id="receipt"[^>]*>([0-9A-Z-]+)</p>')
_CASE_LINK = re.compile(r'href="/cases/([0-9a-f]{32})"')


def csrf_token(client: FlaskClient, path: str) -> str:
    page = client.get(path)
    match = _CSRF.search(page.get_data(as_text=True))
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def report_form(intake: FlaskClient) -> dict[str, object]:
    """The hidden fields of a freshly opened report form."""
    page = intake.get("/report").get_data(as_text=True)
    csrf = _CSRF.search(page)
    token = _SUBMISSION_TOKEN.search(page)
    assert csrf, "no CSRF token on the report form"
    assert token, "no submission token on the report form"
    return {"csrf_token": csrf.group(1), "submission_token": token.group(1)}


def submit_report(
    intake: FlaskClient, text: str, files: list[tuple[bytes, str]] | None = None
) -> TestResponse:
    data: dict[str, object] = {
        **report_form(intake),
        "what_happened": text,
        "attachments": [(io.BytesIO(content), name) for content, name in files or []],
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


def case_ids(console: FlaskClient) -> list[str]:
    return _CASE_LINK.findall(console.get("/").get_data(as_text=True))
