"""Bad input gets a clear page with the right status, stores nothing and shows no stack trace."""

from __future__ import annotations

import io
import re
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from werkzeug.datastructures import CombinedMultiDict
from werkzeug.test import EnvironBuilder, TestResponse, stream_encode_multipart

import redress.reporting.reporters as reporters
from crypto.receipts import new_receipt
from intake import create_app
from redress.store.config import Config
from redress.store.models import Attachment, AuditEvent, Case, Message, Reporter
from redress.web.language import LANGUAGE_COOKIE
from tests.helpers import (
    SignedIn,
    Staff,
    case_ids,
    confirm_receipt,
    csrf_token,
    receipt_from,
    report_form,
    reporter_login,
    submit_report,
)

TRACE_MARKERS = ("Traceback", 'File "', "sqlalchemy", "Error:")


def stored_rows(db: Session) -> dict[str, int]:
    db.expire_all()
    return {
        model.__name__: db.scalar(select(func.count()).select_from(model)) or 0
        for model in (Case, Reporter, Message, Attachment)
    }


def blob_files(config: Config) -> list[Path]:
    return [path for path in config.blob_dir.rglob("*") if path.is_file()]


def assert_clean_page(body: str) -> None:
    for marker in TRACE_MARKERS:
        assert marker not in body


def test_empty_report_keeps_nothing_but_the_typed_fields(
    intake: FlaskClient, db: Session, config: Config
) -> None:
    data = {
        **report_form(intake),
        "what_happened": "   ",
        "attachments": [(io.BytesIO(b"evidence" * 1000), "evidence.txt")],
    }
    response = intake.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Please describe what happened." in body
    assert 'href="#what_happened"' in body, "the error summary links to the field"
    assert_clean_page(body)
    assert stored_rows(db) == {"Case": 0, "Reporter": 0, "Message": 0, "Attachment": 0}
    assert blob_files(config) == []


def test_missing_csrf_token_stores_nothing(
    intake: FlaskClient, db: Session, config: Config
) -> None:
    intake.get("/report")
    response = intake.post(
        "/report",
        data={
            "what_happened": "no token",
            "attachments": [(io.BytesIO(b"x" * 200_000), "a.bin")],
        },
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "This form has expired" in body
    assert_clean_page(body)
    assert stored_rows(db)["Case"] == 0
    assert blob_files(config) == []


def test_forged_csrf_token_is_refused(intake: FlaskClient, db: Session) -> None:
    intake.get("/report")
    response = intake.post("/report", data={"csrf_token": "forged", "what_happened": "x"})
    assert response.status_code == 400
    assert stored_rows(db)["Case"] == 0


@pytest.mark.parametrize(
    ("typed", "message"),
    [
        ("ABCD", "has 20 letters and digits"),
        ("ABCD-EFGH-!JKM-NPQR-STVW", "never appears in receipt codes"),
    ],
)
def test_malformed_receipts_are_explained(intake: FlaskClient, typed: str, message: str) -> None:
    response = reporter_login(intake, typed)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)


def test_typo_in_receipt_is_caught_before_key_derivation(
    intake: FlaskClient, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = receipt_from(submit_report(intake, "a report"))
    derivations: list[str] = []
    real = reporters.derive_reporter_keys
    monkeypatch.setattr(
        reporters,
        "derive_reporter_keys",
        lambda *args, **kwargs: derivations.append("derived") or real(*args, **kwargs),
    )
    symbols = receipt.replace("-", "")
    wrong = "0" if symbols[3] != "0" else "1"
    typo = symbols[:3] + wrong + symbols[4:]
    response = reporter_login(intake, typo)
    assert response.status_code == 400
    assert "That code has a typo" in response.get_data(as_text=True)
    assert derivations == []


def test_wrong_and_unknown_receipts_look_the_same(intake: FlaskClient) -> None:
    submit_report(intake, "a report")
    responses = [reporter_login(intake, new_receipt()) for _ in range(2)]
    assert {response.status_code for response in responses} == {401}
    bodies = {
        response.get_data(as_text=True).split('name="csrf_token"')[0] for response in responses
    }
    assert len(bodies) == 1
    assert "We could not find a report for that code." in bodies.pop()


def test_inbox_without_session_asks_for_the_receipt(intake: FlaskClient) -> None:
    response = intake.get("/inbox")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"


def test_expired_session_mid_reply_explains_and_keeps_nothing(
    intake: FlaskClient, db: Session
) -> None:
    intake.get("/report")
    response = intake.post(
        "/inbox", data={"csrf_token": csrf_token(intake, "/login"), "text": "late answer"}
    )
    assert response.status_code == 401
    assert "Your session has ended" in response.get_data(as_text=True)
    assert stored_rows(db)["Message"] == 0


def test_oversized_submission_is_refused_whole(intake_app, db: Session, config: Config) -> None:
    intake_app.config["MAX_CONTENT_LENGTH"] = 100_000
    client = intake_app.test_client()
    data = {
        **report_form(client),
        "what_happened": "too big",
        "attachments": [(io.BytesIO(b"y" * 300_000), "big.bin")],
    }
    response = client.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 413
    body = response.get_data(as_text=True)
    assert "Nothing was stored" in body
    assert_clean_page(body)
    assert stored_rows(db)["Case"] == 0
    assert blob_files(config) == []


def test_garbage_multipart_body_is_a_clear_error(intake: FlaskClient, db: Session) -> None:
    csrf_token(intake, "/report")
    response = intake.post(
        "/report",
        data=b"--boundary\r\nContent-Disposition: form-data; name=\xff\r\n\r\n\x00\x01",
        content_type="multipart/form-data; boundary=boundary",
    )
    assert response.status_code == 400
    assert_clean_page(response.get_data(as_text=True))
    assert stored_rows(db)["Case"] == 0


def test_unknown_case_and_file_ids_are_not_found(
    console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("carol", client=console)
    for path in (f"/cases/{'0' * 32}", f"/cases/{'0' * 32}/files/{'1' * 32}", "/cases/../etc"):
        response = console.get(path)
        assert response.status_code == 404, path
        assert_clean_page(response.get_data(as_text=True))


def test_a_case_of_someone_else_is_not_found(
    intake: FlaskClient,
    console: FlaskClient,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    alice = make_caseworker("alice")
    submit_report(intake, "for alice only", [(b"file", "f.txt")])
    mallory = make_caseworker("mallory")

    sign_in(alice, client=console)
    [case_id] = case_ids(console)
    file_id = db.scalar(select(Attachment.id))

    other = sign_in(mallory).client
    assert case_ids(other) == []
    assert other.get(f"/cases/{case_id}").status_code == 404
    assert other.get(f"/cases/{case_id}/files/{file_id}").status_code == 404
    reply = other.post(
        f"/cases/{case_id}/reply",
        data={"csrf_token": csrf_token(other, "/"), "text": "injected"},
    )
    assert reply.status_code == 404
    assert (
        db.scalar(select(func.count()).select_from(Message).where(Message.author == "caseworker"))
        == 0
    )
    assert (
        db.scalar(
            select(func.count()).select_from(AuditEvent).where(AuditEvent.action == "case.viewed")
        )
        == 0
    )


def post_large(client: FlaskClient, path: str, data: dict[str, object]) -> TestResponse:
    """Post a multipart form of over 500 KB, encoded in memory (the test client would spool it
    to a temporary file it never closes)."""
    builder = EnvironBuilder(path=path, method="POST", data=data)
    fields = CombinedMultiDict([builder.form, builder.files])
    stream, _length, boundary = stream_encode_multipart(fields, use_tempfile=False)
    content_type = f"multipart/form-data; boundary={boundary}"
    return client.post(path, data=stream.getvalue(), content_type=content_type)


def said_with_the_file_field(page: str) -> str:
    """The hint a screen reader reads with the page's file field (its aria-describedby)."""
    field = re.search(r'<input[^>]*type="file"[^>]*>', page)
    assert field, "no file field on the page"
    described = re.search(r'aria-describedby="([^"]+)"', field[0])
    assert described, field[0]
    hint = re.search(rf'id="{re.escape(described[1])}">([^<]*)<', page)
    assert hint, described[1]
    return hint[1]


def test_the_limits_are_said_with_the_file_fields_before_any_file_is_chosen(
    config: Config,
) -> None:
    mib = 1024 * 1024
    app = create_app(replace(config, max_file_bytes=7 * mib // 2, max_submission_bytes=20 * mib))
    client = app.test_client()
    report = client.get("/report").get_data(as_text=True)
    confirm_receipt(client, receipt_from(submit_report(client, "A report.")))
    inbox = client.get("/inbox").get_data(as_text=True)
    client.set_cookie(LANGUAGE_COOKIE, "es")
    spanish = client.get("/report").get_data(as_text=True)
    app.extensions["redress"].database.dispose()
    said = "Each file may be up to 3.5 MB, and all files together up to 20 MB."
    assert said in said_with_the_file_field(report)
    assert said == said_with_the_file_field(inbox)
    assert "Cada archivo puede ocupar hasta 3,5 MB" in said_with_the_file_field(spanish)


def test_a_file_over_the_per_file_limit_keeps_the_report_typed(config: Config, db: Session) -> None:
    app = create_app(replace(config, max_file_bytes=1024 * 1024))
    client = app.test_client()
    data = {
        **report_form(client),
        "what_happened": "one small, one large",
        "where": "Port of Call",
        "attachments": [
            (io.BytesIO(b"s" * 10_000), "small.bin"),
            (io.BytesIO(b"L" * 1_500_000), "large.bin"),
        ],
        # After the files in the form, so only kept if parsing went on past the large one.
        "identity_name": "Dana",
    }
    response = post_large(client, "/report", data)
    app.extensions["redress"].database.dispose()
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "large.bin is larger than 1 MB, the most one file may be." in body
    assert "Nothing was sent" in body
    assert "one small, one large</textarea>" in body
    assert 'value="Port of Call"' in body
    assert 'value="Dana"' in body
    assert "small.bin" in body, "the files to choose again are named"
    assert_clean_page(body)
    assert stored_rows(db)["Case"] == 0
    assert blob_files(config) == []


def test_a_reply_with_a_file_over_the_limit_keeps_the_reply_typed(
    config: Config, db: Session
) -> None:
    app = create_app(replace(config, max_file_bytes=2 * 1024 * 1024))
    client = app.test_client()
    confirm_receipt(client, receipt_from(submit_report(client, "A report.")))
    reply = {
        "csrf_token": csrf_token(client, "/inbox"),
        "text": "Here is the video.",
        "attachments": [(io.BytesIO(b"V" * 2_500_000), "video.mp4")],
    }
    response = post_large(client, "/inbox", reply)
    app.extensions["redress"].database.dispose()
    body = response.get_data(as_text=True)
    assert response.status_code == 413
    assert "video.mp4 is larger than 2 MB, the most one file may be." in body
    assert "Here is the video.</textarea>" in body
    assert_clean_page(body)
    assert stored_rows(db)["Message"] == 1  # the acknowledgement only
    assert blob_files(config) == []


@pytest.mark.parametrize("text", ["A reply with a large file.", ""])
def test_the_console_still_refuses_a_file_over_the_limit(
    config: Config,
    intake: FlaskClient,
    sign_in: Callable[..., SignedIn],
    db: Session,
    monkeypatch: pytest.MonkeyPatch,
    text: str,
) -> None:
    """The console's reply and evidence forms answer a file over the limit with the plain 413
    page, valid form or not, and store nothing of it."""
    console = sign_in("ola").client
    submit_report(intake, "A report.")
    [case_id] = case_ids(console)
    token = csrf_token(console, f"/cases/{case_id}")
    extensions = console.application.extensions
    small = replace(extensions["redress"], config=replace(config, max_file_bytes=1000))
    monkeypatch.setitem(extensions, "redress", small)
    for path, field in (("reply", "attachments"), ("evidence", "evidence")):
        response = console.post(
            f"/cases/{case_id}/{path}",
            data={"csrf_token": token, "text": text, field: [(io.BytesIO(b"x" * 5000), "big.bin")]},
            content_type="multipart/form-data",
        )
        assert response.status_code == 413, path
        assert "Nothing was stored" in response.get_data(as_text=True)
    assert stored_rows(db)["Attachment"] == 0
    assert stored_rows(db)["Message"] == 1
    assert blob_files(config) == []


def test_control_characters_are_removed_and_line_endings_unified(
    intake: FlaskClient, console: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    sign_in("ola", client=console)
    submit_report(intake, "line one\r\nline\x00 two\x1b[31m\u0085 end\u202e")
    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "line one\nline two[31m end\u202e" in page


def test_invalid_utf8_is_replaced_not_fatal(intake: FlaskClient, db: Session) -> None:
    form = report_form(intake)
    body = (
        f"csrf_token={form['csrf_token']}&submission_token={form['submission_token']}"
        "&what_happened=caf%C3%A9+%FF%FE+bytes"
    )
    response = intake.post("/report", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 201
    assert stored_rows(db)["Case"] == 1


def test_a_megabyte_in_a_one_line_field_is_refused_and_kept(
    intake: FlaskClient, db: Session
) -> None:
    huge = "x" * 1_000_000
    response = intake.post(
        "/report", data={**report_form(intake), "what_happened": "ok", "where": huge}
    )
    assert response.status_code == 400
    body = response.get_data(as_text=True)
    assert "Please keep this under 500 characters." in body
    assert huge in body, "the typed text is given back"
    assert stored_rows(db)["Case"] == 0


def test_ten_thousand_fields_are_refused(intake: FlaskClient, db: Session) -> None:
    form = report_form(intake)
    fields = "&".join(f"field{n}=x" for n in range(10_000))
    body = (
        f"csrf_token={form['csrf_token']}&submission_token={form['submission_token']}"
        f"&what_happened=many+fields&{fields}"
    )
    response = intake.post("/report", data=body, content_type="application/x-www-form-urlencoded")
    assert response.status_code == 413
    assert_clean_page(response.get_data(as_text=True))
    assert stored_rows(db)["Case"] == 0


def test_a_refused_reply_leaves_no_file_behind(
    intake: FlaskClient, db: Session, config: Config
) -> None:
    """Files sent with a reply that is refused (text over its limit) are dropped with it."""
    receipt = receipt_from(submit_report(intake, "a report"))
    confirm_receipt(intake, receipt)
    before = blob_files(config)
    refused = intake.post(
        "/inbox",
        data={
            "csrf_token": csrf_token(intake, "/inbox"),
            "text": "x" * 50_001,
            "attachments": [(io.BytesIO(b"evidence bytes"), "evidence.txt")],
        },
        content_type="multipart/form-data",
    )
    assert refused.status_code == 400
    assert blob_files(config) == before
    assert db.scalar(select(func.count()).select_from(Attachment)) == 0
