"""The auditor's console view of the audit log: access, paging, filters, and the chain banner."""

from __future__ import annotations

import re
from collections.abc import Callable

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from redress import audit
from redress.audit import REPORTER, SYSTEM, AuditAction
from redress.store import clock
from redress.store.models import AuditEvent, Caseworker, ReporterAuditEvent, Role
from tests.helpers import (
    NEW_PASSPHRASE,
    Authenticator,
    SignedIn,
    change_passphrase,
    console_login,
    post_form,
    text_shown,
)

_ROW = re.compile(r'<tr id="entry-(\d+)"')
_REPORTER_ROW = re.compile(r'<tr id="reporter-entry-(\d+)"')
CASE_ID = "c" * 32


def entries(client: FlaskClient, query: str = "") -> tuple[int, list[int], str]:
    response = client.get(f"/audit{query}")
    page = response.get_data(as_text=True)
    return response.status_code, [int(seq) for seq in _ROW.findall(page)], page


def test_auditors_page_through_the_log_newest_first_and_each_view_is_audited(
    sign_in: Callable[..., SignedIn], db: Session
):
    auditor = sign_in("aud", Role.AUDITOR).client
    for _ in range(55):
        audit.record(db, AuditAction.CASE_VIEWED, SYSTEM, case_id=CASE_ID)
    db.commit()

    status, seqs, page = entries(auditor)
    assert status == 200
    assert "The audit chain is intact" in page
    assert len(seqs) == 50
    assert seqs == sorted(seqs, reverse=True)
    assert 'rel="next"' in page

    status, seqs, page = entries(auditor, f"?case={CASE_ID}&page=2")
    assert (status, len(seqs)) == (200, 5)
    assert "55 entries" in page
    assert 'rel="prev"' in page
    assert "<td>case.viewed</td>" in page

    aud_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "aud"))
    status, seqs, page = entries(auditor, f"?action=login&caseworker={aud_id}")
    assert status == 200
    assert len(seqs) == 1
    assert page.count("<td>aud</td>") == len(seqs)

    bad_status, seqs, page = entries(auditor, "?action=no.such.action")
    assert bad_status == 400
    assert "Not a valid choice" in page
    assert len(seqs) == 50

    db.expire_all()
    viewed = select(AuditEvent).where(AuditEvent.action == "audit.viewed").order_by(AuditEvent.seq)
    views = db.scalars(viewed).all()
    assert len(views) == 4
    assert {view.caseworker_id for view in views} == {aud_id}
    assert f'"case":"{CASE_ID}"' in views[1].detail
    assert '"page":2' in views[1].detail


def test_only_auditors_read_the_log(console_app: Flask, sign_in: Callable[..., SignedIn]):
    assert console_app.test_client().get("/audit").headers["Location"] == "/login"
    for role in (Role.CASEWORKER, Role.APPROVER, Role.ADMINISTRATOR):
        client = sign_in(role.value, role).client
        assert client.get("/audit").status_code == 403
        assert ">Audit log</a>" not in client.get("/account/two-factor").get_data(as_text=True)


@pytest.mark.parametrize(
    ("tamper", "message"),
    [
        (
            update(AuditEvent).where(AuditEvent.seq == 2).values(detail='{"role":"administrator"}'),
            "broken at entry 2</strong> (was altered)",
        ),
        (
            delete(AuditEvent).where(AuditEvent.seq == 2),
            "broken at entry 2</strong> (entry 2 is missing)",
        ),
    ],
    ids=["edited", "deleted"],
)
def test_a_tampered_log_shows_which_entry_broke_the_chain(
    sign_in: Callable[..., SignedIn], make_caseworker, db: Session, tamper, message: str
):
    make_caseworker("first")
    auditor = sign_in("aud", Role.AUDITOR).client
    db.execute(tamper)
    db.commit()
    status, _, page = entries(auditor)
    assert status == 200
    assert message in page
    assert "The audit chain is intact" not in page


def test_every_account_action_in_the_console_reaches_the_audit_log(
    console_app: Flask, sign_in: Callable[..., SignedIn], db: Session
):
    admin = sign_in("root", Role.ADMINISTRATOR).client
    auditor = sign_in("aud", Role.AUDITOR).client
    created = post_form(admin, "/admin/accounts", {"username": "kim", "role": "caseworker"})
    text = created.get_data(as_text=True)
    password, secret = text_shown(text, "one-time-password"), text_shown(text, "totp-secret")
    authenticator = Authenticator(secret)
    kim = console_app.test_client()
    assert console_login(kim, "kim", password, authenticator.next_code()).status_code == 302
    assert change_passphrase(kim, password, NEW_PASSPHRASE).status_code == 302
    post_form(kim, "/account/two-factor/secret", {"reveal-passphrase": NEW_PASSPHRASE})
    codes = post_form(
        kim, "/account/two-factor/recovery-codes", {"codes-passphrase": NEW_PASSPHRASE}
    )
    code = re.findall(r"<code>([0-9A-Z-]{19})</code>", codes.get_data(as_text=True))[0]
    assert console_login(console_app.test_client(), "kim", "wrong", code).status_code == 401
    assert console_login(console_app.test_client(), "kim", NEW_PASSPHRASE, code).status_code == 302
    kim_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "kim"))
    for verb in ("deactivate", "reactivate"):
        post_form(admin, f"/admin/accounts/{kim_id}/{verb}", form_page="/admin/accounts")

    for action in (
        "account.created",
        "login",
        "login.failed",
        "account.passphrase_changed",
        "two_factor.viewed",
        "recovery_codes.generated",
        "login.recovery_code",
        "account.deactivated",
        "account.reactivated",
        "audit.viewed",
    ):
        status, seqs, page = entries(auditor, f"?action={action}")
        assert status == 200, action
        assert seqs, f"{action} is not in the log"
        assert page.count(f"<td>{action}</td>") == len(seqs)


def test_reporter_entries_are_shown_beside_the_staff_chain_with_the_day_only(
    sign_in: Callable[..., SignedIn], db: Session
):
    auditor = sign_in("aud", Role.AUDITOR).client
    audit.record(db, AuditAction.CASE_RECEIVED, REPORTER, case_id=CASE_ID, detail={"n": 1})
    audit.record(db, AuditAction.CASE_RECEIVED, REPORTER, case_id="d" * 32, detail={"n": 2})
    db.commit()
    status, staff_seqs, page = entries(auditor)
    assert status == 200
    assert "The audit chain is intact" in page
    assert "The reporter chain is intact" in page
    assert _REPORTER_ROW.findall(page) == ["2", "1"]
    assert f"<td>{clock.today().isoformat()}</td>" in page
    assert "case.received" not in page.split('id="reporter-entries"')[0].split("<h2>Staff")[1]

    _, _, page = entries(auditor, f"?case={CASE_ID}")
    assert _REPORTER_ROW.findall(page) == ["1"]
    aud_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "aud"))
    _, _, page = entries(auditor, f"?caseworker={aud_id}")
    assert _REPORTER_ROW.findall(page) == []

    db.execute(
        update(ReporterAuditEvent).where(ReporterAuditEvent.seq == 1).values(detail='{"n":7}')
    )
    db.commit()
    _, _, page = entries(auditor)
    assert "The reporter chain is broken at entry 1</strong> (was altered)" in page
    assert "The audit chain is intact" in page
