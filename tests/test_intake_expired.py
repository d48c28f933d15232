"""A reporter's typed text is not lost when the report form or the session expires.

- A report form sent after its CSRF time limit comes back (400) with every answer as it was
  typed, a fresh token and a message naming the files to choose again; resent, it is stored.
- A reply sent after the session ended (401), or from a form that expired (400), gets the
  receipt login page carrying the reply in a hidden field; after the receipt the inbox shows it
  in the message box, unsent, and the reporter sends it.

In neither case is anything stored: no row, no blob, nothing in the cookie or the logs.
"""

from __future__ import annotations

import io
import time

import pytest
from flask import Flask
from flask.testing import FlaskClient
from markupsafe import escape
from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from intake.forms import MAX_MESSAGE_CHARS
from redress.store.config import Config
from redress.store.models import Case, Message, SessionRecord
from tests.helpers import (
    confirm_receipt,
    csrf_token,
    receipt_from,
    report_form,
    reporter_login,
    submit_report,
)
from tests.support.html_forms import form_pairs

ANSWERS = {
    "what_happened": 'They read my messages.\nA second line, with <b>markup</b> & "quotes".',
    "product": "A phone-extraction kit",
    "where": "Kharkiv",
    "when": "Spring 2025",
    "who_affected": "Three reporters of a weekly paper",
    "how_known": "A forensic check of one phone",
    "hopes": "That it stops, and that they are told",
    "identity_name": "Olena K.",
    "identity_contact": "olena@example.org",
}
RIGHTS = ["privacy", "expression"]
FILES = ["contract scan.pdf", "phone-log.csv"]
REPLY = 'Here is what happened next.\nThey came back on Monday. <script>alert("x")</script>'


def count(db: Session, model: type[Case] | type[Message]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def files() -> list[tuple[io.BytesIO, str]]:
    return [(io.BytesIO(b"content of " + name.encode()), name) for name in FILES]


def session_contents(app: Flask, client: FlaskClient) -> str:
    """What the session cookie holds, decoded (it is signed, not encrypted)."""
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    if cookie is None:
        return ""
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    return repr(serializer.loads(cookie.value))


def logged(config: Config) -> str:
    return "".join(path.read_text() for path in config.log_dir.rglob("*") if path.is_file())


def blob_files(config: Config) -> list[str]:
    return [path.name for path in config.blob_dir.rglob("*") if path.is_file()]


# The report form.


@pytest.fixture
def expiring(intake_app: Flask) -> FlaskClient:
    """An intake whose forms expire after one second."""
    intake_app.config["WTF_CSRF_TIME_LIMIT"] = 1
    return intake_app.test_client()


def typed_report(client: FlaskClient) -> tuple[dict[str, object], str]:
    form = report_form(client)
    data: dict[str, object] = {**form, **ANSWERS, "rights": RIGHTS, "attachments": files()}
    return data, str(form["submission_token"])


def test_an_expired_report_form_comes_back_as_it_was_typed(
    intake_app: Flask, expiring: FlaskClient, db: Session, config: Config
) -> None:
    data, submission_token = typed_report(expiring)
    old_token = data["csrf_token"]
    time.sleep(2.1)  # past the one-second limit (the token carries whole seconds)
    response = expiring.post("/report", data=data, content_type="multipart/form-data")

    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert "nothing was sent" in page
    assert "Files cannot be kept" in page
    for name in FILES:
        assert f"<bdi>{name}</bdi>" in page
    sent_again = form_pairs(page, "/report")
    for field, typed in ANSWERS.items():
        assert (field, typed) in sent_again, field
    assert [value for name, value in sent_again if name == "rights"] == RIGHTS
    assert "clean_metadata" not in dict(sent_again), "the unticked box stays unticked"
    assert ("submission_token", submission_token) in sent_again
    new_token = dict(sent_again)["csrf_token"]
    assert new_token != old_token

    # Nothing was kept anywhere but in that page.
    assert count(db, Case) == 0
    assert blob_files(config) == []
    for typed in (ANSWERS["what_happened"], ANSWERS["identity_name"], *FILES):
        assert typed not in session_contents(intake_app, expiring)
        assert typed not in logged(config)

    # Sent again as it stands, with the files chosen again, it is stored.
    resent = expiring.post(
        "/report",
        data={**dict(sent_again), "rights": RIGHTS, "attachments": files()},
        content_type="multipart/form-data",
    )
    assert resent.status_code == 201, resent.get_data(as_text=True)
    assert receipt_from(resent)
    assert count(db, Case) == 1


def test_a_report_form_whose_cookie_was_lost_comes_back_too(intake: FlaskClient) -> None:
    data, _ = typed_report(intake)
    intake.delete_cookie("redress_intake")
    response = intake.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert (("what_happened", ANSWERS["what_happened"])) in form_pairs(page, "/report")


def test_a_malformed_one_time_token_is_replaced(intake: FlaskClient) -> None:
    data, _ = typed_report(intake)
    data.update(csrf_token="expired", submission_token="not-a-token")
    page = intake.post("/report", data=data).get_data(as_text=True)
    token = dict(form_pairs(page, "/report"))["submission_token"]
    assert len(token) == 64
    assert token != "not-a-token"


def test_a_report_form_sent_from_another_site_is_not_filled_in(intake: FlaskClient) -> None:
    """A page elsewhere cannot put words in the reporter's form (the browser says where a
    form came from)."""
    data, _ = typed_report(intake)
    data["csrf_token"] = "from elsewhere"
    response = intake.post(
        "/report",
        data=data,
        content_type="multipart/form-data",
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "This form has expired" in page
    assert ANSWERS["where"] not in page


# A reply from the inbox.


@pytest.fixture
def reporter(intake: FlaskClient) -> str:
    """A reporter in the inbox; returns the receipt."""
    receipt = receipt_from(submit_report(intake, "the first report"))
    confirm_receipt(intake, receipt)
    return receipt


def end_sessions(db: Session) -> None:
    """What idle expiry does to a session: its server-side record is gone."""
    db.execute(delete(SessionRecord))
    db.commit()


def send_reply(client: FlaskClient, token: str, text: str) -> tuple[int, str]:
    response = client.post(
        "/inbox",
        data={"csrf_token": token, "text": text, "attachments": files()},
        content_type="multipart/form-data",
    )
    return response.status_code, response.get_data(as_text=True)


def test_a_reply_after_the_session_ended_is_kept_through_the_receipt(
    intake_app: Flask, intake: FlaskClient, reporter: str, db: Session, config: Config
) -> None:
    messages, blobs = count(db, Message), blob_files(config)
    token = csrf_token(intake, "/inbox")
    end_sessions(db)
    status, page = send_reply(intake, token, REPLY)

    assert status == 401
    assert "Your session has ended" in page
    assert "Your message was not sent" in page
    for name in FILES:
        assert f"<bdi>{name}</bdi>" in page
    login = form_pairs(page, "/login")
    assert ("carried_reply", REPLY) in login
    assert "<script>alert" not in page
    assert count(db, Message) == messages
    assert blob_files(config) == blobs
    assert REPLY not in session_contents(intake_app, intake)
    assert "They came back" not in logged(config)

    # A wrong receipt first: the reply is still carried.
    wrong = intake.post("/login", data={**dict(login), "receipt": "ABCD-EFGH-JKMN-PQRS-TVWX"})
    assert wrong.status_code == 400
    again = form_pairs(wrong.get_data(as_text=True), "/login")
    assert ("carried_reply", REPLY) in again

    # The right one: the inbox, the reply back in its box, not sent.
    inbox = intake.post("/login", data={**dict(again), "receipt": reporter})
    assert inbox.status_code == 200
    shown = inbox.get_data(as_text=True)
    assert "is back in the box below" in shown
    assert ("text", REPLY) in form_pairs(shown, "/inbox")
    assert str(escape(REPLY)) in shown
    assert count(db, Message) == messages

    # The reporter sends it.
    sent = intake.post("/inbox", data=dict(form_pairs(shown, "/inbox")))
    assert sent.status_code == 302
    assert sent.headers["Location"] == "/inbox?sent=1"
    assert count(db, Message) == messages + 1
    assert "They came back on Monday" in intake.get("/inbox").get_data(as_text=True)


def test_a_reply_from_a_form_that_expired_is_kept_too(
    intake: FlaskClient, reporter: str, db: Session
) -> None:
    """A tab left open after logging out elsewhere: the form's CSRF check fails (400)."""
    token = csrf_token(intake, "/inbox")
    intake.delete_cookie("redress_intake")
    status, page = send_reply(intake, token, REPLY)
    assert status == 400
    assert "This form has expired" in page
    assert ("carried_reply", REPLY) in form_pairs(page, "/login")
    inbox = intake.post("/login", data={**dict(form_pairs(page, "/login")), "receipt": reporter})
    assert ("text", REPLY) in form_pairs(inbox.get_data(as_text=True), "/inbox")


def test_a_receipt_form_that_expired_still_carries_the_reply(
    intake: FlaskClient, reporter: str, db: Session
) -> None:
    """The receipt page left open too long (its own CSRF token expired): still carried."""
    token = csrf_token(intake, "/inbox")
    end_sessions(db)
    _status, page = send_reply(intake, token, REPLY)
    intake.delete_cookie("redress_intake")
    again = intake.post("/login", data={**dict(form_pairs(page, "/login")), "receipt": reporter})
    assert again.status_code == 400
    shown = again.get_data(as_text=True)
    assert "This form has expired" in shown
    carried = form_pairs(shown, "/login")
    assert ("carried_reply", REPLY) in carried
    inbox = intake.post("/login", data={**dict(carried), "receipt": reporter})
    assert ("text", REPLY) in form_pairs(inbox.get_data(as_text=True), "/inbox")


def test_what_cannot_be_a_reply_is_not_carried(
    intake: FlaskClient, reporter: str, db: Session
) -> None:
    for text in ("   ", "x" * (MAX_MESSAGE_CHARS + 1)):
        assert reporter_login(intake, reporter).status_code == 302
        token = csrf_token(intake, "/inbox")
        end_sessions(db)
        status, page = send_reply(intake, token, text)
        assert status == 401
        assert "carried_reply" not in page
        assert "Your session has ended" in page
    # Nor one sent from another site.
    intake.delete_cookie("redress_intake")
    response = intake.post(
        "/inbox",
        data={"csrf_token": "x", "text": REPLY},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 400
    assert "They came back" not in response.get_data(as_text=True)


def test_a_carried_reply_is_only_ever_shown_escaped(intake: FlaskClient, reporter: str) -> None:
    """A forged carry is text in a text box, nothing more."""
    intake.post("/logout", data={"csrf_token": csrf_token(intake, "/inbox")})
    forged = '</textarea><script>alert(1)</script><textarea name="x">'
    inbox = intake.post(
        "/login",
        data={
            "csrf_token": csrf_token(intake, "/login"),
            "receipt": reporter,
            "carried_reply": forged,
        },
    )
    page = inbox.get_data(as_text=True)
    assert "<script>alert(1)</script>" not in page
    assert ("text", forged) in form_pairs(page, "/inbox")
