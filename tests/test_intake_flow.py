"""The reporter's flow in detail: the full question set, confidential identity, receipt
confirmation, deleting a copy of a message, and the language choice."""

from __future__ import annotations

import io
import json
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from crypto.fields import decrypt_field
from crypto.keys import KeyPair
from crypto.sealing import open_sealed
from redress.keys import contexts, sessions
from redress.store import clock
from redress.store.models import (
    CaseField,
    CaseKey,
    KeyKind,
    Message,
    Recipient,
    Role,
    SessionRecord,
    SubmissionToken,
)
from tests.helpers import (
    SignedIn,
    case_ids,
    confirm_receipt,
    csrf_token,
    receipt_from,
    report_form,
    reporter_login,
)

FULL_REPORT = {
    "what_happened": "Phones of reporters were infected.",
    "product": "Tracker 3",
    "where": "Northern region",
    "when": "spring 2025",
    "who_affected": "Four journalists",
    "rights": ["privacy", "expression"],
    "how_known": "I saw the logs",
    "hopes": "That it stops",
}


def send_full_report(intake: FlaskClient, identity: dict[str, str] | None = None) -> str:
    data: dict[str, object] = {**report_form(intake), **FULL_REPORT}
    data["attachments"] = [(io.BytesIO(b"log lines"), "logs.txt")]
    for key, value in (identity or {}).items():
        data[f"identity_{key}"] = value
    response = intake.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 201
    return receipt_from(response)


def test_report_form_asks_every_question_with_labels(intake: FlaskClient) -> None:
    page = intake.get("/report").get_data(as_text=True)
    for question_id in FULL_REPORT:
        assert f'name="{question_id}"' in page
    assert "<legend>Which rights were affected?</legend>" in page
    assert page.count('name="rights" type="checkbox"') == 6
    assert 'aria-describedby="what_happened-hint"' in page


def test_every_answer_reaches_the_caseworker_with_its_label(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("ana", client=console)
    send_full_report(intake)
    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Which product or service was involved?" in page
    assert "Tracker 3" in page
    assert "Privacy, Freedom of expression" in page
    assert "logs.txt" in page


def test_typed_answers_survive_a_validation_error(intake: FlaskClient) -> None:
    data = {**report_form(intake), **FULL_REPORT, "what_happened": ""}
    response = intake.post("/report", data=data)
    assert response.status_code == 400
    page = response.get_data(as_text=True)
    assert "Tracker 3" in page
    assert "I saw the logs" in page
    assert '<input checked id="rights-0" name="rights" type="checkbox" value="privacy">' in page


def test_confidential_identity_is_held_for_approvers_only(
    intake: FlaskClient,
    console: FlaskClient,
    console_app,
    sign_in: Callable[..., SignedIn],
    make_caseworker,
    db: Session,
    recovery_keypair: KeyPair,
) -> None:
    sign_in("ana", client=console)
    approver = make_caseworker("appro", Role.APPROVER)
    send_full_report(intake, {"name": "Jane Roe", "contact": "jane@example.org"})
    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "Jane Roe" not in page
    assert "jane@example.org" not in page

    holders = db.scalars(
        select(CaseKey).where(CaseKey.case_id == case_id, CaseKey.kind == KeyKind.IDENTITY)
    ).all()
    assert {(key.recipient, key.caseworker_id) for key in holders} == {
        (Recipient.RECOVERY, None),
        (Recipient.CASEWORKER, approver.account.caseworker_id),
    }
    sealed = next(key.sealed for key in holders if key.recipient is Recipient.RECOVERY)
    identity_key = open_sealed(
        sealed,
        recovery_keypair,
        contexts.case_key(case_id, KeyKind.IDENTITY, Recipient.RECOVERY, None),
    )
    field = db.scalar(
        select(CaseField).where(CaseField.case_id == case_id, CaseField.name == "identity")
    )
    assert field is not None
    identity = json.loads(
        decrypt_field(identity_key, field.ciphertext, contexts.case_field(case_id, "identity"))
    )
    assert identity == {"format": 1, "name": "Jane Roe", "contact": "jane@example.org"}


def test_no_identity_key_without_an_identity(intake: FlaskClient, db: Session) -> None:
    send_full_report(intake)
    assert db.scalar(select(CaseKey).where(CaseKey.kind == KeyKind.IDENTITY)) is None


def test_receipt_must_be_confirmed_and_is_never_shown_again(intake: FlaskClient) -> None:
    receipt = send_full_report(intake)
    assert intake.get("/inbox").headers["Location"] == "/report/confirm"
    page = intake.get("/report/confirm").get_data(as_text=True)
    assert receipt not in page
    wrong = "0000" if receipt[-4:] != "0000" else "1111"
    response = intake.post(
        "/report/confirm",
        data={"csrf_token": csrf_token(intake, "/report/confirm"), "last_group": wrong},
    )
    assert response.status_code == 400
    assert "does not match" in response.get_data(as_text=True)
    assert confirm_receipt(intake, receipt.lower()).headers["Location"] == "/inbox"
    inbox = intake.get("/inbox").get_data(as_text=True)
    assert 'Status: <strong class="status">Received</strong>' in inbox
    assert "Your report has been received and encrypted" in inbox
    assert receipt not in inbox


def test_reporter_deletes_their_copy_only(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn], db: Session
) -> None:
    sign_in("ana", client=console)
    receipt = send_full_report(intake)
    confirm_receipt(intake, receipt)
    [case_id] = case_ids(console)
    console.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(console, f"/cases/{case_id}"), "text": "delete me later"},
    )
    reply = db.scalar(select(Message).where(Message.author == "caseworker"))
    assert reply is not None
    assert "delete me later" in intake.get("/inbox").get_data(as_text=True)
    response = intake.post(
        f"/inbox/messages/{reply.id}/hide", data={"csrf_token": csrf_token(intake, "/inbox")}
    )
    assert response.status_code == 302
    assert "delete me later" not in intake.get("/inbox").get_data(as_text=True)
    assert "delete me later" in console.get(f"/cases/{case_id}").get_data(as_text=True)
    other = intake.post(
        f"/inbox/messages/{'0' * 32}/hide", data={"csrf_token": csrf_token(intake, "/inbox")}
    )
    assert other.status_code == 404


def test_language_choice_is_remembered_and_laid_out(intake: FlaskClient) -> None:
    response = intake.get("/language/ar?next=/report")
    assert response.headers["Location"] == "/report"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("redress_lang=ar;")
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    page = intake.get("/report").get_data(as_text=True)
    assert '<html lang="ar" dir="rtl">' in page
    intake.get("/language/fr")
    assert '<html lang="fr" dir="ltr">' in intake.get("/").get_data(as_text=True)


def test_language_switch_refuses_unknown_codes_and_foreign_targets(intake: FlaskClient) -> None:
    response = intake.get("/language/xx?next=//evil.example/")
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers
    assert '<html lang="en" dir="ltr">' in intake.get("/").get_data(as_text=True)


def test_receipt_login_still_works_after_confirmation(intake: FlaskClient) -> None:
    receipt = send_full_report(intake)
    confirm_receipt(intake, receipt)
    intake.post("/logout", data={"csrf_token": csrf_token(intake, "/inbox")})
    assert reporter_login(intake, receipt).headers["Location"] == "/inbox"


def test_files_can_be_added_later_without_a_message(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("ana", client=console)
    confirm_receipt(intake, send_full_report(intake))
    empty = intake.post("/inbox", data={"csrf_token": csrf_token(intake, "/inbox"), "text": " "})
    assert empty.status_code == 400
    assert "Please write a message or choose files to send." in empty.get_data(as_text=True)
    sent = intake.post(
        "/inbox",
        data={
            "csrf_token": csrf_token(intake, "/inbox"),
            "text": "",
            "attachments": [(io.BytesIO(b"more evidence"), "second.txt")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    [case_id] = case_ids(console)
    assert "second.txt" in console.get(f"/cases/{case_id}").get_data(as_text=True)


def test_a_double_submitted_form_stores_one_report_and_shows_one_receipt(
    intake: FlaskClient, db: Session
) -> None:
    data = {**report_form(intake), **FULL_REPORT}
    first = intake.post("/report", data=data)
    second = intake.post("/report", data=data)
    assert (first.status_code, second.status_code) == (201, 200)
    receipt = receipt_from(first)
    assert receipt_from(second) == receipt
    assert "This form was sent more than once" in second.get_data(as_text=True)
    db.expire_all()
    assert len(db.scalars(select(CaseField.case_id)).all()) == 1

    assert confirm_receipt(intake, receipt).headers["Location"] == "/inbox"
    third = intake.post("/report", data=data)
    assert third.status_code == 409
    assert receipt not in third.get_data(as_text=True)
    stored = db.scalar(select(SubmissionToken))
    assert stored is not None
    assert stored.encrypted_receipt == b""


def test_pending_receipt_is_unreadable_without_the_form(intake: FlaskClient, db: Session) -> None:
    form = report_form(intake)
    receipt = receipt_from(intake.post("/report", data={**form, **FULL_REPORT}))
    stored = db.scalar(select(SubmissionToken))
    assert stored is not None
    assert receipt.encode() not in stored.encrypted_receipt
    assert str(form["submission_token"]) not in stored.id


def test_a_form_without_its_token_is_refused(intake: FlaskClient, db: Session) -> None:
    form = report_form(intake)
    response = intake.post("/report", data={"csrf_token": form["csrf_token"], **FULL_REPORT})
    assert response.status_code == 400
    assert "This form is incomplete" in response.get_data(as_text=True)
    assert db.scalar(select(CaseField)) is None


def test_a_double_click_with_the_old_cookie_gets_the_same_receipt(
    intake: FlaskClient, db: Session
) -> None:
    data = {**report_form(intake), **FULL_REPORT}
    cookie = intake.get_cookie("redress_intake")
    assert cookie is not None
    first = intake.post("/report", data=data)
    # Both requests left the browser before the first answer came back.
    intake.set_cookie("redress_intake", cookie.value)
    second = intake.post("/report", data=data)
    assert second.status_code == 200
    assert receipt_from(second) == receipt_from(first)
    db.expire_all()
    assert len(db.scalars(select(CaseField.case_id)).all()) == 1


def test_an_idle_reporter_session_ends_and_its_record_is_wiped(
    intake: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = send_full_report(intake)
    confirm_receipt(intake, receipt)
    assert intake.get("/inbox").status_code == 200
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SessionRecord)) == 1
    later = clock.utcnow() + timedelta(minutes=40)
    monkeypatch.setattr(sessions.clock, "utcnow", lambda: later)
    assert intake.get("/inbox").headers["Location"] == "/login"
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SessionRecord)) == 0


def test_logout_wipes_the_reporter_session_record(intake: FlaskClient, db: Session) -> None:
    confirm_receipt(intake, send_full_report(intake))
    intake.post("/logout", data={"csrf_token": csrf_token(intake, "/inbox")})
    db.expire_all()
    assert db.scalar(select(func.count()).select_from(SessionRecord)) == 0
    assert intake.get("/inbox").headers["Location"] == "/login"
