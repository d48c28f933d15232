"""Invariant 2 at rest: nothing stored dates a reporter's action more precisely than the day.

An outside test recovered reporters' times from the storage around their day-precision records:
the audit chain's order, blob file times, the intake's log lines, and the expiry columns of
session records and form tokens. Each test here repeats one of those readings after reporter
actions and expects the day at most.
"""

from __future__ import annotations

import io
import os
import re
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import MetaData, Table, func, select, text
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import SYSTEM, AuditAction
from redress.cases.attachments import collect_orphan_blobs
from redress.reporting import reporters
from redress.store import clock
from redress.store.blobs import STALE_UPLOAD, LocalBlobStore
from redress.store.config import Config
from redress.store.db import Database
from redress.store.models import Attachment, Case, KeyKind, SessionRecord, SubmissionToken, new_id
from tests.helpers import (
    case_ids,
    confirm_receipt,
    csrf_token,
    first_sign_in,
    receipt_from,
    report_form,
    reporter_login,
)
from tests.support.timing_scan import (
    audit_order_findings,
    clear_time_findings,
    file_time_findings,
    is_start_of_day,
    log_file_findings,
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


# Blob files and their directories.


def test_blob_files_and_directories_carry_only_the_day(
    intake: FlaskClient,
    console: FlaskClient,
    make_caseworker: Any,
    config: Config,
) -> None:
    first_sign_in(console, make_caseworker("uma"))
    receipt = send_report(intake, [(b"evidence " * 1000, "evidence.txt")])
    confirm_receipt(intake, receipt)
    sent = intake.post(
        "/inbox",
        data={
            "csrf_token": csrf_token(intake, "/inbox"),
            "text": "More.",
            "attachments": [(io.BytesIO(b"more " * 1000), "more.txt")],
        },
        content_type="multipart/form-data",
    )
    assert sent.status_code == 302
    assert file_time_findings([config.blob_dir]) == []

    # Reading a blob, by either side, does not stamp it with the time it was read.
    [case_id] = case_ids(console)
    page = console.get(f"/cases/{case_id}").get_data(as_text=True)
    for link in sorted(set(_links(page, f"/cases/{case_id}/files/"))):
        assert console.get(link).status_code == 200
    inbox = intake.get("/inbox").get_data(as_text=True)
    for link in sorted(set(_links(inbox, "/inbox/files/"))):
        assert intake.get(link).status_code == 200
    assert file_time_findings([config.blob_dir]) == []


def _links(page: str, prefix: str) -> list[str]:
    return re.findall(rf'href="({re.escape(prefix)}[0-9a-f]+)"', page)


def test_gc_keeps_a_blob_whose_row_is_committed_while_it_sweeps(
    intake: FlaskClient, database: Database, config: Config
) -> None:
    send_report(intake)
    store = LocalBlobStore(config.blob_dir)
    pending = store.create()
    pending.file.write(b"ciphertext")
    pending.commit()
    yesterday = clock.today() - timedelta(days=1)
    # Its times as they are once its row is committed: the start of its day, long past.
    midnight = datetime(yesterday.year, yesterday.month, yesterday.day, tzinfo=UTC).timestamp()
    blob = store.path_for(pending.blob_id)
    os.utime(blob, (midnight, midnight))

    class Racing(LocalBlobStore):
        """A store whose listing starts just as the blob's row is committed elsewhere."""

        def ids(self) -> Any:
            with database.session() as other:
                case_id = other.scalar(select(Case.id))
                other.add(
                    Attachment(
                        id=new_id(),
                        case_id=case_id,
                        key_kind=KeyKind.THREAD,
                        blob_id=pending.blob_id,
                        encrypted_file_key=b"k",
                        encrypted_meta=b"m",
                        size_bucket="<100KB",
                        added_on=yesterday,
                    )
                )
                other.commit()
            return super().ids()

    with database.session() as db:
        collect_orphan_blobs(db, Racing(config.blob_dir), STALE_UPLOAD)
    assert blob.exists(), "gc deleted a blob whose row was committed during the sweep"


def test_a_blob_whose_times_could_not_be_set_is_stored_and_set_by_gc(
    intake: FlaskClient, database: Database, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(_store: LocalBlobStore, _blob_id: str, _day: object) -> None:
        raise PermissionError("utime refused")

    with monkeypatch.context() as patch:
        patch.setattr(LocalBlobStore, "settle", refuse)
        send_report(intake, [(b"evidence " * 100, "evidence.txt")])
    assert file_time_findings([config.blob_dir]) != []
    with database.session() as db:
        done = collect_orphan_blobs(db, LocalBlobStore(config.blob_dir), STALE_UPLOAD)
    assert (done.orphans, done.stale_pending, done.settled) == (0, 0, 1)
    assert file_time_findings([config.blob_dir]) == []


# The intake's own log.


def test_the_intake_log_keeps_the_day_and_no_request_detail(
    intake_app: Flask, config: Config, monkeypatch: pytest.MonkeyPatch
) -> None:
    client = intake_app.test_client()
    confirm_receipt(client, send_report(client))
    secret = "CANARY-" + "5" * 32

    def failing(*_args: object, **_kwargs: object) -> None:
        raise RuntimeError(f"failed while opening {secret}")

    monkeypatch.setattr(reporters, "open_inbox", failing)
    assert client.get("/inbox?sent=1").status_code == 500
    # Flask's own report of an exception its handlers did not catch names the request path.
    attachment = "ab" * 16
    with intake_app.test_request_context(f"/inbox/files/{attachment}?next=/inbox"):
        try:
            raise RuntimeError(f"failed again {secret}")
        except RuntimeError:
            intake_app.log_exception(sys.exc_info())  # type: ignore[arg-type]

    assert config.log_dir is not None
    log = config.log_dir / "intake.log"
    assert is_start_of_day(log.stat().st_mtime)
    assert log_file_findings([log]) == []
    written = log.read_text(encoding="utf-8")
    assert "unhandled RuntimeError in intake.inbox" in written
    assert "Exception on [path] [GET]" in written
    assert secret not in written


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
