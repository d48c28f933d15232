"""Organisation settings: administrators change the process deadlines in the console, the
change is audited with old and new values, bad values are refused and nothing is saved, and new
deadlines follow the saved values while cases keep the deadlines they had."""

from __future__ import annotations

import json
import re
from collections.abc import Callable
from datetime import timedelta

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from redress.store import clock
from redress.store.models import AuditEvent, Case, CaseStatus, OrganisationSetting, Role
from tests.helpers import SignedIn, Staff, csrf_token, submit_report


def save(client: FlaskClient, acknowledgement: str, feedback: str) -> tuple[int, str]:
    response = client.post(
        "/admin/settings",
        data={
            "csrf_token": csrf_token(client, "/admin/settings"),
            "acknowledgement_days": acknowledgement,
            "feedback_days": feedback,
        },
    )
    return response.status_code, response.get_data(as_text=True)


def shown_value(page: str, name: str) -> str:
    [value] = re.findall(rf'<input[^>]* name="{name}"[^>]* value="(\d+)">', page)
    return str(value)


def changes(db: Session) -> list[dict[str, str]]:
    db.expire_all()
    query = select(AuditEvent.detail).where(AuditEvent.action == "settings.changed")
    return [json.loads(detail) for detail in db.scalars(query.order_by(AuditEvent.seq))]


@pytest.fixture
def admin(sign_in: Callable[..., SignedIn]) -> FlaskClient:
    return sign_in("root", Role.ADMINISTRATOR).client


def test_changed_deadlines_apply_to_new_deadlines_and_are_audited(
    admin: FlaskClient,
    sign_in: Callable[..., SignedIn],
    intake: FlaskClient,
    make_caseworker: Callable[..., Staff],
    db: Session,
) -> None:
    alice = make_caseworker("alice")  # before the reports, so they are granted to her
    page = admin.get("/admin/settings").get_data(as_text=True)
    assert shown_value(page, "acknowledgement_days") == "7"
    assert shown_value(page, "feedback_days") == "90"
    assert submit_report(intake, "Before the change.").status_code == 201
    [before] = db.scalars(select(Case))

    status, page = save(admin, "10", "60")
    assert status == 302
    assert "The settings were saved." in admin.get("/admin/settings?saved=1").get_data(True)
    assert changes(db) == [{"acknowledgement_days": "7 -> 10", "feedback_days": "90 -> 60"}]

    assert submit_report(intake, "After the change.").status_code == 201
    today = clock.today()
    db.expire_all()
    after = db.scalar(select(Case).where(Case.id != before.id))
    assert after is not None
    assert after.acknowledgement_due == today + timedelta(days=10)
    assert before.acknowledgement_due == today + timedelta(days=7)

    caseworker = sign_in(alice).client
    response = caseworker.post(
        f"/cases/{after.id}/status",
        data={
            "csrf_token": csrf_token(caseworker, f"/cases/{after.id}"),
            "new_status": CaseStatus.ACKNOWLEDGED.value,
        },
    )
    assert response.status_code == 302
    db.expire_all()
    assert db.get_one(Case, after.id).feedback_due == today + timedelta(days=60)

    # Saving the same values again changes nothing and records nothing.
    assert save(admin, "10", "60")[0] == 302
    assert len(changes(db)) == 1
    assert save(admin, "10", "30")[0] == 302
    assert changes(db)[-1] == {"feedback_days": "60 -> 30"}


@pytest.mark.parametrize(
    ("acknowledgement", "feedback"),
    [("0", "90"), ("7", "366"), ("seven", "90"), ("", "90"), ("7", "-1"), ("7.5", "90")],
)
def test_bad_values_are_refused_and_nothing_is_saved(
    admin: FlaskClient, db: Session, acknowledgement: str, feedback: str
) -> None:
    status, page = save(admin, acknowledgement, feedback)
    assert status == 400
    assert "Please give a whole number of days from 1 to" in page
    assert 'aria-invalid="true"' in page
    assert db.scalars(select(OrganisationSetting)).all() == []
    assert changes(db) == []


def test_only_administrators_see_settings(
    admin: FlaskClient, sign_in: Callable[..., SignedIn]
) -> None:
    assert 'href="/admin/settings"' in admin.get("/admin/accounts").get_data(as_text=True)
    for role in (Role.CASEWORKER, Role.APPROVER, Role.AUDITOR):
        client = sign_in(f"user_{role.value}", role).client
        assert client.get("/admin/settings").status_code == 403
        assert 'href="/admin/settings"' not in client.get("/account/two-factor").get_data(True)
