"""The walking skeleton end to end through both apps' test clients, on SQLite and PostgreSQL."""

from __future__ import annotations

import os

from flask.testing import FlaskClient

from tests.helpers import (
    NEW_PASSPHRASE,
    Authenticator,
    case_ids,
    change_passphrase,
    confirm_receipt,
    console_login,
    csrf_token,
    receipt_from,
    reporter_login,
    submit_report,
)


def test_report_reply_and_follow_up(
    intake: FlaskClient, console: FlaskClient, make_caseworker
) -> None:
    staff = make_caseworker("alice")
    attachment = os.urandom(300_000)

    submitted = submit_report(
        intake, "The tracker was sold to a ministry.", [(attachment, "leak.bin")]
    )
    assert submitted.status_code == 201
    receipt = receipt_from(submitted)
    assert confirm_receipt(intake, receipt).headers["Location"] == "/inbox"

    authenticator = Authenticator(staff.account.totp_secret)
    signed_in = console_login(console, "alice", staff.passphrase, authenticator.next_code())
    assert signed_in.status_code == 302
    assert signed_in.headers["Location"] == "/passphrase"
    assert change_passphrase(console, staff.passphrase, NEW_PASSPHRASE).status_code == 302

    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    assert "The tracker was sold to a ministry." in page
    assert "leak.bin" in page

    file_link = page.split(f"/cases/{case_id}/files/", 1)[1].split('"', 1)[0]
    download = console.get(f"/cases/{case_id}/files/{file_link}")
    assert download.status_code == 200
    assert download.data == attachment
    assert download.headers["Content-Type"] == "application/octet-stream"

    replied = console.post(
        f"/cases/{case_id}/reply",
        data={
            "csrf_token": csrf_token(console, f"/cases/{case_id}"),
            "text": "Thank you, we are on it.",
        },
    )
    assert replied.status_code == 302

    intake.post("/logout", data={"csrf_token": csrf_token(intake, "/inbox")})
    assert reporter_login(intake, receipt.lower().replace("-", " ")).status_code == 302
    inbox = intake.get("/inbox").get_data(as_text=True)
    assert "Thank you, we are on it." in inbox
