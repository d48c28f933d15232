"""Invariant 2 at rest: nothing stored dates a reporter's action more precisely than the day.

An outside test recovered reporters' times from the storage around their day-precision records:
the audit chain's order, blob file times, the intake's log lines, and the expiry columns of
session records and form tokens. Each test here repeats one of those readings after reporter
actions and expects the day at most.
"""

from __future__ import annotations

import io
from typing import Any

from flask.testing import FlaskClient
from sqlalchemy import MetaData, Table, select, text
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import SYSTEM, AuditAction
from redress.store import clock
from redress.store.config import Config
from redress.store.models import Case
from tests.helpers import (
    Authenticator,
    change_passphrase,
    console_login,
    receipt_from,
    report_form,
)
from tests.support.timing_scan import (
    audit_order_findings,
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
