"""The language selector's ``next`` cannot send a reporter anywhere but an intake page.

``/language/<code>?next=...`` returns to the page the selector was used on. The value comes from
a link anyone can write, so every known way to turn a "local path" check into a redirect to
another site, or into a broken header, is tried: the answer is always a redirect to one of the
intake's own pages, and to the home page for anything that is not exactly one of them.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from crypto.keys import generate_keypair
from intake import create_app
from redress.store.migrations import upgrade
from redress.web.language import LANGUAGE_COOKIE
from tests.support.instance import throwaway_config

OWN_PAGES = ["/", "/before-you-start", "/report", "/report/confirm", "/login", "/inbox"]

BYPASSES = [
    "/%09/evil.example",  # a tab, which browsers drop: //evil.example
    "/%0A/evil.example",
    "/%0D/evil.example",
    "/%0Aenv;",
    "/%0D%0ASet-Cookie:%20x=1",
    "/\\evil.example",
    "/%5Cevil.example",
    "\\\\evil.example",
    "//evil.example",
    "///evil.example",
    "/\\/evil.example",
    "/%2Fevil.example",
    "%2F%2Fevil.example",
    "/%252Fevil.example",  # double-encoded
    "%252F%252Fevil.example",
    "https://evil.example/",
    "http:evil.example",
    "HTTP://evil.example",
    "javascript:alert(1)",
    "data:text/html,x",
    "/@evil.example",
    "//user@evil.example",
    "/%40evil.example",
    "\uff0f\uff0fevil.example",  # fullwidth solidus
    "/\u2215evil.example",  # division slash
    "\u3002evil.example",
    "/report%0A",
    "/report?x=1",
    "/report%23x",
    "/report/",
    "/REPORT",
    " /report",
    "/report ",
    "/./report",
    "/inbox/../report",
    "/static/style.css",
    "/language/es",
    "/logout",
    "/inbox/files/" + "0" * 32,
    "/" + "a" * 100_000,
    "",
]


@pytest.fixture(scope="module")
def intake_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Flask]:
    """One app for the module, on SQLite only: no answer here touches the database."""
    root = tmp_path_factory.mktemp("redirects")
    url = f"sqlite:///{root / 'redress.sqlite3'}"
    upgrade(url)
    (root / "instance").mkdir()
    app = create_app(throwaway_config(root / "instance", url, generate_keypair().public))
    yield app
    app.extensions["redress"].database.dispose()


@pytest.fixture
def client(intake_app: Flask) -> FlaskClient:
    return intake_app.test_client()


def test_the_known_list_is_every_page_the_selector_is_on(intake_app: Flask) -> None:
    """Each GET page without an argument is a return page, but the language switch itself."""
    from intake.views import RETURN_PAGES

    pages = {
        rule.endpoint
        for rule in intake_app.url_map.iter_rules()
        if "GET" in (rule.methods or ()) and not rule.arguments
    }
    assert set(RETURN_PAGES) == pages - {"intake.language"}


@pytest.mark.parametrize("page", OWN_PAGES)
def test_each_own_page_is_returned_to(client: FlaskClient, page: str) -> None:
    response = client.get("/language/es", query_string={"next": page})
    assert response.status_code == 302
    assert response.headers["Location"] == page
    assert f"{LANGUAGE_COOKIE}=es" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("sent", BYPASSES)
def test_anything_else_returns_home(client: FlaskClient, sent: str) -> None:
    # Sent as written in the address bar: %-escapes stay escapes, the rest is encoded once.
    response = client.get(f"/language/fr?next={sent}")
    assert response.status_code == 302, response.status_code
    assert response.headers["Location"] == "/"
    assert f"{LANGUAGE_COOKIE}=fr" in response.headers["Set-Cookie"]


@pytest.mark.parametrize("sent", ["/%0Aenv;", "/%0D%0Ax", "/%00"])
def test_a_line_break_in_next_is_not_a_server_error(client: FlaskClient, sent: str) -> None:
    response = client.get(f"/language/en?next={sent}")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_no_next_and_an_unknown_language_return_home_without_a_cookie(client: FlaskClient) -> None:
    response = client.get("/language/xx")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "Set-Cookie" not in response.headers
