"""Garbage in an address or a parameter is a clear 4xx on both engines, never a server error.

PostgreSQL refuses a NUL in text where SQLite takes it, so a NUL that reached a query failed
there only (found by tests/test_fuzz_routes.py): an id in the path, the audit log's case filter,
a sign-in name. Ids in paths are checked for their shape, and NUL is removed from every query and
form parameter, before any view runs (redress/web/inputs.py).
"""

from __future__ import annotations

from collections.abc import Callable

from flask.testing import FlaskClient

from redress.store.models import Role
from tests.helpers import (
    Staff,
    case_ids,
    confirm_receipt,
    csrf_token,
    first_sign_in,
    receipt_from,
    submit_report,
)

MALFORMED_IDS = [
    "%00",
    "a%00b",
    "0" * 31,
    "0" * 33,
    "A" * 32,
    "g" * 32,
    "%20" + "0" * 32,
    "x" * 5000,
]


def test_a_malformed_id_in_a_console_address_is_not_found(
    console: FlaskClient, intake: FlaskClient, make_caseworker: Callable[..., Staff]
) -> None:
    first_sign_in(console, make_caseworker("ida"))
    submit_report(intake, "a report")
    [case_id] = case_ids(console)
    token = csrf_token(console, "/")
    for bad in MALFORMED_IDS:
        for method, path in [
            ("GET", f"/cases/{bad}"),
            ("GET", f"/cases/{case_id}/files/{bad}"),
            ("POST", f"/cases/{bad}/notes"),
            ("POST", f"/cases/{case_id}/tasks/{bad}/complete"),
            ("GET", f"/admin/templates/{bad}"),
        ]:
            response = console.open(path, method=method, data={"csrf_token": token, "note": "x"})
            assert response.status_code in (403, 404), (path, response.status_code)
    assert console.get("/").status_code == 200, "still signed in"


def test_a_malformed_id_in_an_intake_address_is_not_found(intake: FlaskClient) -> None:
    confirm_receipt(intake, receipt_from(submit_report(intake, "a report")))
    token = csrf_token(intake, "/inbox")
    for bad in MALFORMED_IDS:
        assert intake.get(f"/inbox/files/{bad}").status_code == 404, bad
        hidden = intake.post(f"/inbox/messages/{bad}/hide", data={"csrf_token": token})
        assert hidden.status_code == 404, bad
    assert intake.get("/inbox").status_code == 200, "still signed in"


def test_nul_in_the_audit_log_filter_is_not_a_server_error(
    console: FlaskClient, make_caseworker: Callable[..., Staff]
) -> None:
    first_sign_in(console, make_caseworker("aude", Role.AUDITOR))
    for query in ("case=%00", "case=ab%00cd", "action=%00", "caseworker=%00&page=%00"):
        response = console.get(f"/audit?{query}")
        assert response.status_code in (200, 400), (query, response.status_code)


def test_nul_in_a_sign_in_is_a_failed_sign_in(
    console: FlaskClient, intake: FlaskClient, make_caseworker: Callable[..., Staff]
) -> None:
    staff = make_caseworker("nul")
    response = console.post(
        "/login",
        data={
            "csrf_token": csrf_token(console, "/login"),
            "username": "nul\x00",
            "password": "wrong\x00passphrase",
            "code": "12\x003456",
        },
    )
    assert response.status_code == 401
    receipt = intake.post(
        "/login", data={"csrf_token": csrf_token(intake, "/login"), "receipt": "AB\x00CD"}
    )
    assert receipt.status_code == 400
    assert staff.account.username == "nul"
