"""Security headers and cookies on every route of both apps, and the separation between them."""

from __future__ import annotations

import dataclasses
import re

from flask import Flask
from flask.testing import FlaskClient

from intake import create_app as create_intake
from redress.store.config import Config
from redress.web.headers import CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS, SECURITY_HEADERS
from tests.helpers import csrf_token

# The one page that may load a script: the intake's login page, for its optional proof of work
# (a file the intake serves; never inline script).
PAGES_WITH_OWN_SCRIPTS = {"/login"}
PROOF_SCRIPT = '<script src="/static/proof.js"></script>'


def parse_csp(header: str) -> dict[str, list[str]]:
    directives: dict[str, list[str]] = {}
    for part in header.split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


def routes(app: Flask) -> list[str]:
    """Every GET route without parameters, plus parameterised ones with a made-up id."""
    paths = []
    for rule in app.url_map.iter_rules():
        if "GET" not in (rule.methods or set()):
            continue
        path = rule.rule
        for argument in rule.arguments:
            path = path.replace(f"<{argument}>", "0" * 32)
        paths.append(path.replace("<path:filename>", "style.css"))
    return sorted(set(paths))


def test_csp_forbids_everything_not_needed(intake: FlaskClient) -> None:
    csp = parse_csp(intake.get("/").headers["Content-Security-Policy"])
    assert csp["default-src"] == ["'none'"]
    assert csp["style-src"] == ["'self'"]
    assert csp["img-src"] == ["'self'"]
    assert csp["form-action"] == ["'self'"]
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["base-uri"] == ["'none'"]
    assert "script-src" not in csp, "scripts fall back to default-src 'none'"
    assert not any("unsafe" in value for values in csp.values() for value in values)


def test_login_page_allows_only_its_own_script_files(intake: FlaskClient) -> None:
    csp = parse_csp(intake.get("/login").headers["Content-Security-Policy"])
    assert csp["script-src"] == ["'self'"]
    assert csp["default-src"] == ["'none'"]
    assert csp["form-action"] == ["'self'"]
    assert not any("unsafe" in value for values in csp.values() for value in values)
    assert not any(value.startswith(("'nonce-", "'sha")) for value in csp["script-src"])


def test_every_route_sends_every_header(
    intake: FlaskClient, intake_app: Flask, console: FlaskClient, console_app: Flask
) -> None:
    for client, app in ((intake, intake_app), (console, console_app)):
        paths = routes(app)
        assert len(paths) >= 3
        for path in [*paths, "/no-such-page"]:
            with client.get(path) as response:
                for name, value in SECURITY_HEADERS.items():
                    if name == "Content-Security-Policy" and (
                        client is intake and path in PAGES_WITH_OWN_SCRIPTS
                    ):
                        value = CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS
                    assert response.headers.get(name) == value, f"{name} on {path}"
                assert "X-Powered-By" not in response.headers
                assert response.status_code < 500, path


def test_login_page_sent_back_keeps_its_script_and_errors_do_not(intake: FlaskClient) -> None:
    token = csrf_token(intake, "/login")
    strict = SECURITY_HEADERS["Content-Security-Policy"]
    for receipt, status in (("", 400), ("ABCD", 400), ("0" * 20, 401)):
        response = intake.post("/login", data={"csrf_token": token, "receipt": receipt})
        assert response.status_code == status
        assert response.headers["Content-Security-Policy"] == (
            CONTENT_SECURITY_POLICY_WITH_OWN_SCRIPTS
        )
        assert PROOF_SCRIPT in response.get_data(as_text=True)
    # A CSRF failure on the same route is an error page: no script, the strict policy.
    refused = intake.post("/login", data={"csrf_token": "forged", "receipt": "0" * 20})
    assert refused.status_code == 400
    assert refused.headers["Content-Security-Policy"] == strict
    assert "<script" not in refused.get_data(as_text=True)


def test_the_proof_script_is_served_as_javascript(intake: FlaskClient) -> None:
    with intake.get("/static/proof.js") as script:
        assert script.status_code == 200
        assert script.mimetype == "text/javascript"
        assert script.headers["X-Content-Type-Options"] == "nosniff"
        text = script.get_data(as_text=True)
    # It talks to nobody and stores nothing.
    for forbidden in ("fetch(", "XMLHttpRequest", "localStorage", "cookie", "http", "eval("):
        assert forbidden not in text, forbidden


def test_without_proof_of_work_the_login_page_has_no_script(config: Config) -> None:
    app = create_intake(dataclasses.replace(config, login_proof_bits=0))
    try:
        response = app.test_client().get("/login")
        assert (
            response.headers["Content-Security-Policy"]
            == (SECURITY_HEADERS["Content-Security-Policy"])
        )
        page = response.get_data(as_text=True)
        assert "<script" not in page
        assert 'name="challenge"' not in page
    finally:
        app.extensions["redress"].database.dispose()


def test_permissions_policy_denies_powerful_features(intake: FlaskClient) -> None:
    policy = intake.get("/").headers["Permissions-Policy"]
    for feature in ("camera", "microphone", "geolocation", "usb", "payment"):
        assert f"{feature}=()" in policy
    assert intake.get("/").headers["Referrer-Policy"] == "no-referrer"
    assert intake.get("/").headers["Cache-Control"] == "no-store"


def test_session_cookies_are_strict_and_http_only(
    intake: FlaskClient, console: FlaskClient
) -> None:
    for client, path, name in ((intake, "/report", "intake"), (console, "/login", "console")):
        cookie = client.get(path).headers["Set-Cookie"]
        assert cookie.startswith(f"redress_{name}=")
        assert "HttpOnly" in cookie
        assert "SameSite=Strict" in cookie


def test_pages_load_nothing_from_elsewhere(intake: FlaskClient) -> None:
    for path in ("/", "/report", "/login", "/before-you-start"):
        page = intake.get(path).get_data(as_text=True)
        if path in PAGES_WITH_OWN_SCRIPTS:
            # One script element, a file of the intake's own, with nothing inline.
            assert re.findall(r"<script\b[^>]*>.*?</script>", page, re.DOTALL) == [PROOF_SCRIPT]
            page = page.replace(PROOF_SCRIPT, "")
        assert "<script" not in page
        assert "http://" not in page
        assert "https://" not in page
        assert " style=" not in page, "inline styles are forbidden by the CSP"


def test_intake_has_no_console_routes(intake_app: Flask, console_app: Flask) -> None:
    intake_rules = {rule.rule for rule in intake_app.url_map.iter_rules()}
    console_only = {rule.rule for rule in console_app.url_map.iter_rules()} - {
        "/static/<path:filename>",
        "/login",
        "/logout",
        "/",
    }
    assert console_only, "the console should have routes of its own"
    assert not intake_rules & console_only
    assert intake_app.secret_key != console_app.secret_key
    assert intake_app.config["SESSION_COOKIE_NAME"] != console_app.config["SESSION_COOKIE_NAME"]


def test_intake_cookie_is_worthless_to_the_console(
    intake: FlaskClient, console: FlaskClient
) -> None:
    csrf_token(intake, "/report")
    intake_cookie = intake.get_cookie("redress_intake")
    assert intake_cookie is not None
    console.set_cookie("redress_console", intake_cookie.value)
    response = console.get("/")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login"
