"""Invariant 2 at rest: nothing stored dates a reporter's action more precisely than the day.

An outside test recovered reporters' times from the storage around their day-precision records:
the audit chain's order, blob file times, the intake's log lines, and the expiry columns of
session records and form tokens. Each test here repeats one of those readings after reporter
actions and expects the day at most.
"""

from __future__ import annotations

import io
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import SYSTEM, AuditAction
from redress.store import clock
from redress.store.config import Config
from redress.store.models import Case, SessionRecord, SubmissionToken
from tests.helpers import (
    Authenticator,
    change_passphrase,
    confirm_receipt,
    console_login,
    receipt_from,
    report_form,
    reporter_login,
)
from tests.support.timing_scan import (
    audit_order_findings,
    clear_time_findings,
)

REPORT = {"what_happened": "The tracker was sold to a ministry."}


def send_report(intake: FlaskClient, files: list[tuple[bytes, str]] | None = None) -> str:
    data: dict[str, object] = {
        **report_form(intake),
        **REPORT,
        "attachments": [(io.BytesIO(content), name) for content, name in files or []],
    }
    response = intake.post("/report", data=data, content_type="multipart/form-data")
    assert response.status_code == 201, response.get_data(as_text=True)
    return receipt_from(response)


def reflected(db: Session, name: str) -> Table:
    """A table as the database has it (not as the models say it should be)."""
    metadata = MetaData()
    metadata.reflect(db.get_bind(), only=[name])
    return metadata.tables[name]


def sign_in(console: FlaskClient, make_caseworker: Any) -> None:
    staff = make_caseworker("uma")
    console_login(
        console, "uma", staff.passphrase, Authenticator(staff.account.totp_secret).next_code()
    )
    change_passphrase(console, staff.passphrase, "uma's long passphrase")


# The audit chain.


def test_a_reporter_event_takes_no_place_among_staff_events(
    intake: FlaskClient, db: Session, config: Config
) -> None:
    audit.record(db, AuditAction.SETTINGS_CHANGED, SYSTEM, detail={"before": 1})
    db.commit()
    send_report(intake)
    audit.record(db, AuditAction.SETTINGS_CHANGED, SYSTEM, detail={"after": 1})
    db.commit()

    assert audit_order_findings(config.database_url) == []
    staff = db.execute(text("SELECT seq, actor FROM audit_events ORDER BY seq")).all()
    assert staff == [(1, "system"), (2, "system")]
    events = reflected(db, "reporter_audit_events")
    [event] = db.execute(select(events)).mappings().all()
    assert event["action"] == "case.received"
    assert event["occurred_on"] == clock.today()
    assert event["case_id"] == db.scalar(select(Case.id))
    assert set(events.columns.keys()) == {
        "seq",
        "occurred_on",
        "case_id",
        "action",
        "detail",
        "previous_hash",
        "hash",
    }


# Session records and form tokens.


def test_session_and_form_rows_keep_only_the_day_in_clear(
    intake_app: Flask, config: Config
) -> None:
    submitted = intake_app.test_client()
    receipt = send_report(submitted)
    returning = intake_app.test_client()
    assert reporter_login(returning, receipt).status_code == 302
    assert returning.get("/inbox").status_code == 200
    assert clear_time_findings(config.database_url, ["session_records", "submission_tokens"]) == []


def count(db: Session, model: type[Any]) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(model)) or 0


def test_expired_session_records_are_purged_at_the_next_sign_in(
    intake_app: Flask, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    receipt = send_report(intake_app.test_client())
    reporter_login(intake_app.test_client(), receipt)
    assert count(db, SessionRecord) == 2
    later = clock.utcnow() + timedelta(days=3)
    monkeypatch.setattr(clock, "utcnow", lambda: later)
    assert reporter_login(intake_app.test_client(), receipt).status_code == 302
    assert count(db, SessionRecord) == 1


# Form tokens: the exact expiry is encrypted, the day of purging is all that is clear.


def test_a_form_token_expires_exactly_while_only_its_purge_day_is_in_clear(
    intake: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {**report_form(intake), **REPORT}
    first = intake.post("/report", data=data)
    assert first.status_code == 201
    now = clock.utcnow()
    [purge_after] = db.scalars(select(SubmissionToken.purge_after)).all()
    assert purge_after == now.date() + timedelta(days=2)

    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(minutes=14))
    again = intake.post("/report", data=data)
    assert again.status_code == 200
    assert receipt_from(again) == receipt_from(first)

    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(minutes=16))
    late = intake.post("/report", data=data)
    assert late.status_code == 201
    assert receipt_from(late) != receipt_from(first)
    assert count(db, Case) == 2


def test_a_confirmed_form_stays_spent_until_its_purge_day(
    intake: FlaskClient, db: Session, monkeypatch: pytest.MonkeyPatch
) -> None:
    data = {**report_form(intake), **REPORT}
    receipt = receipt_from(intake.post("/report", data=data))
    assert confirm_receipt(intake, receipt).headers["Location"] == "/inbox"
    now = clock.utcnow()
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(hours=20))
    assert intake.post("/report", data=data).status_code == 409
    monkeypatch.setattr(clock, "utcnow", lambda: now + timedelta(days=2))
    assert intake.post("/report", data=data).status_code == 201
    assert count(db, SubmissionToken) == 1
