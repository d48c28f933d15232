"""Console accounts: administrators create and (de)activate accounts; users see their second
factor again and use one-time recovery codes in place of a TOTP code."""

from __future__ import annotations

import re
from collections.abc import Callable

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from redress.store.models import AuditEvent, Base, Caseworker, Role, SessionRecord
from redress.web.headers import CONTENT_SECURITY_POLICY
from tests.helpers import (
    NEW_PASSPHRASE,
    Authenticator,
    SignedIn,
    Staff,
    change_passphrase,
    console_login,
    csrf_token,
    post_form,
    text_shown,
)

_CODE = re.compile(r"<li><code>([0-9A-Z]{4}(?:-[0-9A-Z]{4}){3})</code></li>")


def events(db: Session, action: str) -> list[AuditEvent]:
    db.expire_all()
    return list(db.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_sign_in_lands_each_role_on_its_home_with_its_sections(console_app, make_caseworker):
    for role, home, section in (
        (Role.ADMINISTRATOR, "/admin/accounts", "Accounts"),
        (Role.AUDITOR, "/audit", "Audit log"),
        (Role.CASEWORKER, "/", "Cases"),
    ):
        staff = make_caseworker(role.value, role)
        authenticator = Authenticator(staff.account.totp_secret)
        client = console_app.test_client()
        console_login(client, role.value, staff.passphrase, authenticator.next_code())
        assert (
            change_passphrase(client, staff.passphrase, NEW_PASSPHRASE).headers["Location"] == home
        )
        client.post("/logout", data={"csrf_token": csrf_token(client, "/account/two-factor")})
        response = console_login(client, role.value, NEW_PASSPHRASE, authenticator.next_code())
        assert response.headers["Location"] == home
        page = client.get(home).get_data(as_text=True)
        assert f'href="{home}" aria-current="page">{section}</a>' in page
        assert page.count('aria-current="page"') == 1
        assert ">Two-factor</a>" in page
        others = {"Accounts", "Audit log", "Cases"} - {section}
        assert not any(f">{other}</a>" in page for other in others)


def test_admin_creates_an_account_whose_credentials_are_shown_once_and_work(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker, db: Session
):
    admin = sign_in("root", Role.ADMINISTRATOR).client
    response = post_form(
        admin, "/admin/accounts", {"username": "nadia", "role": "approver"}, "/admin/accounts"
    )
    assert response.status_code == 200
    assert response.headers["Content-Security-Policy"] == CONTENT_SECURITY_POLICY
    assert response.headers["Cache-Control"] == "no-store"
    page = response.get_data(as_text=True)
    password, secret, uri = (
        text_shown(page, name) for name in ("one-time-password", "totp-secret", "totp-uri")
    )
    assert f"secret={secret}" in uri
    assert uri.startswith("otpauth://totp/Redress:nadia?")
    svg = re.search(r"<svg\b[^>]*>.*?</svg>", page, re.S)
    assert svg, "no inline QR code"
    assert "style" not in svg.group(0)
    assert not re.search(r"\sstyle=|<style|<script|data:", page)

    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert "nadia" in listing
    assert password not in listing
    assert secret not in listing

    newcomer = console_app.test_client()
    authenticator = Authenticator(secret)
    first = console_login(newcomer, "nadia", password, authenticator.next_code())
    assert first.headers["Location"] == "/passphrase"
    assert change_passphrase(newcomer, password, NEW_PASSPHRASE).headers["Location"] == "/"

    (created,) = [e for e in events(db, "account.created") if '"account"' in e.detail]
    root_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "root"))
    nadia = db.scalar(select(Caseworker).where(Caseworker.username == "nadia"))
    assert nadia is not None
    assert nadia.role is Role.APPROVER
    assert (created.actor, created.caseworker_id) == ("caseworker", root_id)
    assert created.detail == f'{{"account":"{nadia.id}","role":"approver"}}'


def test_bad_new_accounts_are_refused_with_the_field_marked(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker
):
    admin = sign_in("root", Role.ADMINISTRATOR).client
    for username, role, message in (
        ("root", "caseworker", "Another account already has this username."),
        ("bad name!", "caseworker", "Use only letters"),
        ("", "caseworker", "Please give a username."),
        ("zoe", "superuser", "Not a valid choice"),
    ):
        response = post_form(
            admin, "/admin/accounts", {"username": username, "role": role}, "/admin/accounts"
        )
        assert response.status_code == 400
        assert message in response.get_data(as_text=True)
        assert "one-time-password" not in response.get_data(as_text=True)


def test_only_administrators_reach_account_administration(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker, db
):
    target = make_caseworker("target")
    assert console_app.test_client().get("/admin/accounts").headers["Location"] == "/login"
    for role in (Role.CASEWORKER, Role.APPROVER, Role.AUDITOR):
        client = sign_in(role.value, role).client
        assert client.get("/admin/accounts").status_code == 403
        attempts = [
            ("/admin/accounts", {"username": "intruder", "role": "administrator"}),
            (f"/admin/accounts/{target.account.caseworker_id}/deactivate", {}),
            (f"/admin/accounts/{target.account.caseworker_id}/reactivate", {}),
        ]
        for path, data in attempts:
            assert post_form(client, path, data).status_code == 403
    db.expire_all()
    assert db.get_one(Caseworker, target.account.caseworker_id).active
    assert db.scalar(select(Caseworker).where(Caseworker.username == "intruder")) is None


def test_deactivation_ends_sessions_and_blocks_sign_in_until_reactivated(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker, db: Session
):
    root = make_caseworker("root", Role.ADMINISTRATOR)
    admin = sign_in(root).client
    wes = sign_in("wes")
    worker, authenticator = wes.client, wes.authenticator
    worker_id = db.scalar(select(Caseworker.id).where(Caseworker.username == "wes"))

    def sessions_of(caseworker_id: str | None) -> int:
        db.expire_all()
        count = select(func.count()).where(SessionRecord.caseworker_id == caseworker_id)
        return db.scalar(count) or 0

    assert sessions_of(worker_id) == 1
    deactivate = f"/admin/accounts/{worker_id}/deactivate"
    assert post_form(admin, deactivate, form_page="/admin/accounts").status_code == 302
    assert sessions_of(worker_id) == 0
    assert worker.get("/").headers["Location"] == "/login"
    refused = console_login(
        console_app.test_client(), "wes", NEW_PASSPHRASE, authenticator.next_code()
    )
    assert refused.status_code == 401
    assert "deactivated" in admin.get("/admin/accounts").get_data(as_text=True)

    own = f"/admin/accounts/{root.account.caseworker_id}/deactivate"
    refusal = post_form(admin, own, form_page="/admin/accounts")
    assert refusal.status_code == 400
    assert "You cannot deactivate your own account." in refusal.get_data(as_text=True)
    assert sessions_of(root.account.caseworker_id) == 1
    assert (
        post_form(
            admin, f"/admin/accounts/{'0' * 32}/deactivate", {}, "/admin/accounts"
        ).status_code
        == 404
    )

    reactivate = f"/admin/accounts/{worker_id}/reactivate"
    assert post_form(admin, reactivate, form_page="/admin/accounts").status_code == 302
    assert (
        console_login(
            console_app.test_client(), "wes", NEW_PASSPHRASE, authenticator.next_code()
        ).status_code
        == 302
    )

    (deactivated,) = events(db, "account.deactivated")
    assert deactivated.caseworker_id == root.account.caseworker_id
    assert deactivated.detail == f'{{"account":"{worker_id}","sessions_ended":1}}'
    (reactivated,) = events(db, "account.reactivated")
    assert reactivated.detail == f'{{"account":"{worker_id}"}}'

    # A forged form post changes nothing (and, as any CSRF failure, ends the admin's session).
    assert admin.post(deactivate, data={"csrf_token": "forged"}).status_code == 400
    assert sessions_of(worker_id) == 1
    assert len(events(db, "account.deactivated")) == 1


def test_users_see_their_own_secret_again_after_reentering_their_passphrase(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker, db: Session
):
    staff = make_caseworker("vic")
    client = sign_in(staff).client
    wrong = post_form(client, "/account/two-factor/secret", {"reveal-passphrase": "not it"})
    assert wrong.status_code == 400
    assert "The passphrase is wrong." in wrong.get_data(as_text=True)
    assert staff.account.totp_secret not in wrong.get_data(as_text=True)
    assert [e.detail for e in events(db, "passphrase.confirm_failed")] == [
        '{"purpose":"two_factor.viewed"}'
    ]

    page = post_form(client, "/account/two-factor/secret", {"reveal-passphrase": NEW_PASSPHRASE})
    text = page.get_data(as_text=True)
    assert page.status_code == 200
    assert text_shown(text, "totp-secret") == staff.account.totp_secret
    assert "<svg" in text
    assert len(events(db, "two_factor.viewed")) == 1


def test_a_sealed_secret_moved_from_another_account_fails_its_integrity_check(
    console_app, sign_in: Callable[..., SignedIn], make_caseworker, db: Session
):
    staff = make_caseworker("vic")
    other = make_caseworker("oda")
    client = sign_in(staff).client
    stolen = db.get_one(Caseworker, other.account.caseworker_id).sealed_totp_secret
    db.execute(
        update(Caseworker)
        .where(Caseworker.id == staff.account.caseworker_id)
        .values(sealed_totp_secret=stolen)
    )
    db.commit()
    page = post_form(client, "/account/two-factor/secret", {"reveal-passphrase": NEW_PASSPHRASE})
    assert page.status_code == 500
    assert "This item failed an integrity check" in page.get_data(as_text=True)
    assert other.account.totp_secret not in page.get_data(as_text=True)
    assert len(events(db, "two_factor.integrity_failed")) == 1


def every_stored_value(db: Session) -> str:
    """All columns of all tables as text, as a database dump would show them."""
    values = []
    for table in Base.metadata.sorted_tables:
        for row in db.execute(select(table)):
            values.extend(v.hex() if isinstance(v, bytes) else str(v) for v in row)
    return "\n".join(values)


def generate_codes(client: FlaskClient) -> list[str]:
    page = post_form(
        client, "/account/two-factor/recovery-codes", {"codes-passphrase": NEW_PASSPHRASE}
    )
    assert page.status_code == 200
    codes = _CODE.findall(page.get_data(as_text=True))
    assert len(codes) == 10
    return codes


def test_recovery_codes_are_shown_once_work_once_and_are_replaced(
    console_app: Flask,
    sign_in: Callable[..., SignedIn],
    make_caseworker: Callable[..., Staff],
    db: Session,
):
    rue = sign_in("rue")
    client, authenticator = rue.client, rue.authenticator
    assert "<strong>0</strong> unused" in client.get("/account/two-factor").get_data(as_text=True)
    wrong = post_form(client, "/account/two-factor/recovery-codes", {"codes-passphrase": "nope"})
    assert wrong.status_code == 400
    assert not _CODE.search(wrong.get_data(as_text=True))

    codes = generate_codes(client)
    assert len(set(codes)) == 10
    overview = client.get("/account/two-factor").get_data(as_text=True)
    assert "<strong>10</strong> unused" in overview
    assert not any(code in overview for code in codes)
    dump = every_stored_value(db).upper()
    for code in codes:
        assert code not in dump
        assert code.replace("-", "") not in dump
        assert code.encode().hex().upper() not in dump

    # Typed loosely (lower case, spaces for dashes): still the same code, and it works once.
    loose = codes[0].lower().replace("-", " ")
    assert console_login(console_app.test_client(), "rue", NEW_PASSPHRASE, loose).status_code == 302
    assert (
        console_login(console_app.test_client(), "rue", NEW_PASSPHRASE, codes[0]).status_code == 401
    )
    assert (
        console_login(console_app.test_client(), "rue", NEW_PASSPHRASE, codes[1]).status_code == 302
    )
    overview = client.get("/account/two-factor").get_data(as_text=True)
    assert "<strong>8</strong> unused" in overview

    fresh = generate_codes(client)
    assert (
        console_login(console_app.test_client(), "rue", NEW_PASSPHRASE, codes[2]).status_code == 401
    )
    assert (
        console_login(console_app.test_client(), "rue", NEW_PASSPHRASE, fresh[0]).status_code == 302
    )
    # The TOTP code still works, and a recovery code copied from another account does not.
    assert (
        console_login(
            console_app.test_client(), "rue", NEW_PASSPHRASE, authenticator.next_code()
        ).status_code
        == 302
    )
    sign_in("sol")
    assert (
        console_login(console_app.test_client(), "sol", NEW_PASSPHRASE, fresh[1]).status_code == 401
    )

    assert [e.detail for e in events(db, "login.recovery_code")] == [
        '{"remaining":9}',
        '{"remaining":8}',
        '{"remaining":9}',
    ]
    assert len(events(db, "recovery_codes.generated")) == 2
    reasons = [e.detail for e in events(db, "login.failed")]
    assert reasons.count('{"reason":"recovery code"}') == 3
