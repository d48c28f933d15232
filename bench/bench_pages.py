"""Weight of every intake page a reporter sees: its HTML plus the stylesheets it links.

Reporters are often on slow, expensive or Tor links, so each page (HTML + CSS) must stay under
30 KB. A reporter's whole journey is walked with Flask's test client against a throwaway instance
(`redress init`), once per language: the start page, the guidance, the report form, the form
sent back with errors, the receipt, the confirmation step, the inbox, the follow-up login and
an error page. Bytes are counted as served, uncompressed (Tor Browser gets no gzip from us), and
1 KB is 1000 bytes. Each page is reported at its heaviest language. A smoke run walks the
journey in English and Arabic only (left to right, right to left).
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from collections.abc import Callable, Iterable
from pathlib import Path

from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from bench.harness import Result, Settings
from bench.server import hidden_field, init_instance
from crypto.receipts import last_group
from intake import create_app
from redress.i18n.languages import LANGUAGES
from redress.store.config import load_config
from tests.support.instance import CHEAP_KDF
from tests.support.servers import clean_environment

KB = 1000
LIMIT_KB = 30
SMOKE_LANGUAGES = ("en", "ar")
# Page weight does not depend on the receipt KDF's cost: derive receipts cheaply here.
REPORT_TEXT = "Our phones were unlocked at the border with a tool sold to the police."
_STYLESHEET = re.compile(r"<link\b[^>]*\brel=\"stylesheet\"[^>]*>")
_HREF = re.compile(r"\bhref=\"([^\"]+)\"")
_RECEIPT = re.compile(r'id="receipt"[^>]*>([^<]+)<')


@dataclasses.dataclass(frozen=True)
class _Weight:
    page: str
    language: str
    html: int
    css: int

    @property
    def total(self) -> int:
        return self.html + self.css


class _Reporter:
    """One reporter's browser: a test client with its cookies, in one language."""

    def __init__(self, client: FlaskClient, language: str, stylesheets: dict[str, int]) -> None:
        self.client = client
        self.language = language
        self.stylesheets = stylesheets  # bytes by URL, shared across reporters
        self.weights: list[_Weight] = []
        self.last_page = ""

    def _stylesheet_bytes(self, url: str) -> int:
        if url not in self.stylesheets:
            with self.client.get(url) as response:  # closes the static file it streams
                if response.status_code != 200:
                    raise RuntimeError(f"stylesheet {url} answered {response.status_code}")
                self.stylesheets[url] = len(response.get_data())
        return self.stylesheets[url]

    def weigh(self, page: str, response: TestResponse, status: int, shows: str = "") -> str:
        """Record the page's weight, after checking it is the page meant (status, language,
        and ``shows``, a piece of its markup)."""
        if response.status_code != status:
            raise RuntimeError(f"{page} ({self.language}) answered {response.status_code}")
        body = response.get_data()
        html = body.decode("utf-8")
        if f'lang="{self.language}"' not in html[:200]:
            raise RuntimeError(f"{page} was not served in {self.language}")
        if shows not in html:
            raise RuntimeError(f"{page} ({self.language}) does not show {shows!r}")
        links = [_HREF.search(tag) for tag in _STYLESHEET.findall(html)]
        css = sum(self._stylesheet_bytes(link[1]) for link in links if link)
        self.weights.append(_Weight(page, self.language, len(body), css))
        self.last_page = html
        return html

    def form(self, **fields: str) -> dict[str, str]:
        """``fields`` plus the CSRF and submission tokens of the last page weighed."""
        found = {"csrf_token": hidden_field(self.last_page, "csrf_token")}
        if 'name="submission_token"' in self.last_page:
            found["submission_token"] = hidden_field(self.last_page, "submission_token")
        return found | fields


def _journey(reporter: _Reporter) -> None:
    """Every page of a reporter's first visit and follow-up, in order."""
    client, weigh = reporter.client, reporter.weigh
    if client.get(f"/language/{reporter.language}").status_code != 302:
        raise RuntimeError(f"could not choose {reporter.language}")
    weigh("/", client.get("/"), 200)
    weigh("/before-you-start", client.get("/before-you-start"), 200)
    weigh("/report", client.get("/report"), 200)
    weigh(
        "/report (with errors)",
        client.post("/report", data=reporter.form(), content_type="multipart/form-data"),
        400,
        shows='class="error-summary"',
    )
    receipt_page = weigh(
        "receipt (POST /report)",
        client.post(
            "/report",
            data=reporter.form(what_happened=REPORT_TEXT),
            content_type="multipart/form-data",
        ),
        201,
        shows='id="receipt"',
    )
    receipt = _RECEIPT.search(receipt_page)
    if receipt is None:
        raise RuntimeError("the receipt page shows no receipt code")
    weigh("/report/confirm", client.get("/report/confirm"), 200)
    confirmed = client.post(
        "/report/confirm", data=reporter.form(last_group=last_group(receipt[1].strip()))
    )
    if confirmed.status_code != 302:
        raise RuntimeError(f"confirming the receipt answered {confirmed.status_code}")
    weigh("/inbox", client.get("/inbox"), 200, shows='class="thread"')
    weigh("/login", client.get("/login"), 200)
    weigh("error page (404)", client.get("/no-such-page"), 404)


def _measure(new_client: Callable[[], FlaskClient], languages: Iterable[str]) -> list[_Weight]:
    stylesheets: dict[str, int] = {}
    weights: list[_Weight] = []
    for language in languages:
        reporter = _Reporter(new_client(), language, stylesheets)
        _journey(reporter)
        weights += reporter.weights
    return weights


def run(settings: Settings) -> list[Result]:
    """Weigh each intake page in each language; report each page's heaviest, and the heaviest."""
    languages = settings.sizes(tuple(LANGUAGES), SMOKE_LANGUAGES)
    with tempfile.TemporaryDirectory(prefix="redress-bench-pages-") as scratch_name:
        scratch = Path(scratch_name)
        home = scratch / "home"
        home.mkdir()
        environ = clean_environment(home)
        instance = scratch / "instance"
        init_instance(instance, environ)
        config = dataclasses.replace(load_config(instance, environ), kdf=CHEAP_KDF)
        app = create_app(config)
        try:
            weights = _measure(app.test_client, languages)
        finally:
            app.extensions["redress"].database.dispose()

    pages = list(dict.fromkeys(weight.page for weight in weights))
    heaviest_by_page = [
        max((w for w in weights if w.page == page), key=lambda w: w.total) for page in pages
    ]
    results = [
        Result(f"page weight {w.page} [{w.language}] (limit {LIMIT_KB} KB)", w.total / KB, "KB")
        for w in heaviest_by_page
    ]
    heaviest = max(heaviest_by_page, key=lambda w: w.total)
    results.append(
        Result(
            f"heaviest page: {heaviest.page} [{heaviest.language}], HTML {heaviest.html / KB:.1f}"
            f" + CSS {heaviest.css / KB:.1f} KB (limit {LIMIT_KB} KB)",
            heaviest.total / KB,
            "KB",
        )
    )
    return results
